"""Build one WorkloadPlan's resources, choosing components by its broker and consumer mode.

- sqs / sqs-fifo, mode service: QueueWithDlq + FargateConsumer + QueueAlarms
- sqs / sqs-fifo, mode scheduled: QueueWithDlq + ScheduledConsumer + QueueAlarms
- redis: RedisCache + FargateConsumer (scaling on the workers' QueueDepth) + QueueAlarms
- cloudflare: CloudflareQueue (shards, DLQ, Worker consumer)

Stack-wide settings (region, network ids, existing cluster, secrets) come from Pulumi config
through `read_settings`; __main__.py stays a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from capacity import contract
from capacity.contract import Broker, ConsumerMode
from capacity.plan import Plan, WorkloadPlan
from components.consumer_base import ClusterRef, create_cluster
from components.dashboard import Dashboard, DashboardArgs, DashboardWorkload
from components.fargate_consumer import FargateConsumer, FargateConsumerArgs
from components.queue_alarms import QueueAlarms, QueueAlarmsArgs
from components.redis_cache import REDIS_PORT, RedisCache, RedisCacheArgs
from components.scheduled_consumer import ScheduledConsumer, ScheduledConsumerArgs
from components.sqs_queue import QueueWithDlq, QueueWithDlqArgs
from components.stack_key import StackKey, stack_key

AWS_BROKERS = contract.CONSUMER_BROKERS
SQS_BROKERS = contract.SQS_BROKERS


@dataclass(frozen=True)
class StackSettings:
    """Provider settings of a stack, from Pulumi.<stack>.yaml (see docs/aws-components.md)."""

    stack: str
    region: str | None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str | None = None
    cluster_arn: str | None = None
    redis_auth_token: pulumi.Output[str] | None = None
    cloudflare_account_id: str | None = None
    alert_emails: tuple[str, ...] = field(default_factory=tuple)
    kms_key_arn: str | None = None


class SettingsError(pulumi.RunError):
    """Stack config the program needs is missing or malformed; the message says which key and how to set it."""


def _require(value: Any, key: str, example: str, why: str) -> Any:
    if value in (None, "", [], ()):
        raise SettingsError(f"stack config {key} is not set ({why}); set it with: pulumi config set {example}")
    return value


def _string_list(config: pulumi.Config, key: str, example: str) -> tuple[str, ...]:
    raw = config.get(key)
    if raw is None:
        return ()
    try:
        value = config.get_object(key)
    except Exception:  # noqa: BLE001 - any parse failure gets the same readable message
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(
            f"stack config qcap:{key} must be a list of ids, got {raw!r}; set it with: pulumi config set {example}"
        )
    return tuple(value)


def read_settings(plan: Plan, stack: str | None = None) -> StackSettings:
    """Read what this plan needs from stack config, failing early with the key and the command that sets it."""
    stack = stack or pulumi.get_stack()
    qcap = pulumi.Config("qcap")
    brokers = {w.broker for w in plan.workloads}
    subnets_example = "--path 'qcap:subnetIds[0]' subnet-0123456789abcdef0"
    groups_example = "--path 'qcap:securityGroupIds[0]' sg-0123456789abcdef0"
    subnet_ids = _string_list(qcap, "subnetIds", subnets_example)
    security_group_ids = _string_list(qcap, "securityGroupIds", groups_example)
    region = pulumi.Config("aws").get("region")
    vpc_id = qcap.get("vpcId")
    token = None
    account_id = qcap.get("cloudflareAccountId")
    if brokers & set(AWS_BROKERS):
        _require(region, "aws:region", "aws:region us-east-1", "the AWS region to deploy to")
        _require(subnet_ids, "qcap:subnetIds", subnets_example, "private subnets for the consumer tasks")
        _require(security_group_ids, "qcap:securityGroupIds", groups_example, "security groups of the consumer tasks")
    if "redis" in brokers:
        _require(vpc_id, "qcap:vpcId", "qcap:vpcId vpc-0123456789abcdef0", "the VPC of the Redis security group")
        token = qcap.get_secret("redisAuthToken")
        if token is None:
            raise SettingsError(
                "stack config qcap:redisAuthToken is not set (the Redis AUTH token, 16-128 characters); set it "
                "as a secret with: pulumi config set --secret qcap:redisAuthToken \"$(openssl rand -hex 32)\""
            )
    if "cloudflare" in brokers:
        _require(account_id, "qcap:cloudflareAccountId", "qcap:cloudflareAccountId <32-hex account id>",
                 "the Cloudflare account that owns the queues")
    return StackSettings(
        stack=stack,
        region=region,
        subnet_ids=subnet_ids,
        security_group_ids=security_group_ids,
        vpc_id=vpc_id,
        cluster_arn=qcap.get("clusterArn"),
        redis_auth_token=token,
        cloudflare_account_id=account_id,
        alert_emails=plan.alert_emails,
        kms_key_arn=qcap.get("kmsKeyArn"),
    )


def infeasible_message(plan: Plan, stack: str) -> str:
    """Why a plan cannot be deployed: each infeasible workload's binding limit, shortfall and fix."""
    lines = [f"stack {stack!r} is not deployed: its plan is infeasible."]
    for w in plan.workloads:
        if w.feasible:
            continue
        lines.append(f"  {w.name}: binding limit: {w.binding_limit}")
        if w.shortfall:
            lines.append(f"    shortfall: {w.shortfall}")
        if w.fix:
            lines.append(f"    fix: {w.fix}")
    lines.append(f"Run `qcap plan {stack}` for every number and its reason.")
    return "\n".join(lines)


def stack_cluster(plan: Plan, settings: StackSettings, parent: pulumi.Resource | None = None) -> ClusterRef | None:
    """The ECS cluster every consumer of the stack shares: the configured one, or a new `qcap-<stack>`."""
    if not any(w.broker in AWS_BROKERS for w in plan.workloads):
        return None
    if settings.cluster_arn:
        try:
            return ClusterRef.from_arn(settings.cluster_arn)
        except ValueError as exc:
            raise SettingsError(f"stack config qcap:clusterArn: {exc}") from None
    return create_cluster("cluster", settings.stack, plan.environment, pulumi.ResourceOptions(parent=parent))


def build_workload(plan: WorkloadPlan, settings: StackSettings, cluster: ClusterRef | None,
                   key: StackKey | None = None, parent: pulumi.Resource | None = None) -> dict[str, Any]:
    """Create one plan's resources (children of `parent`, if given) and return its stack outputs (camelCase keys)."""
    if plan.broker == Broker.cloudflare:
        return _build_cloudflare(plan, settings, parent)
    if key is None:
        key = stack_key(settings.stack, plan.environment, settings.region, settings.kms_key_arn, prefix=f"{plan.name}-",
                        alias=f"alias/qcap-{settings.stack}-{plan.name}", parent=parent)
    if plan.broker == Broker.redis:
        return _build_redis(plan, settings, cluster, key, parent)
    if plan.broker in SQS_BROKERS:
        return _build_sqs(plan, settings, cluster, key, parent)
    raise ValueError(f"workload {plan.name!r}: broker {str(plan.broker)!r}; allowed: sqs, sqs-fifo, redis, cloudflare")


def build_stack(plan: Plan, settings: StackSettings, parent: pulumi.Resource | None = None) -> dict[str, Any]:
    """Every workload of a plan; returns the stack outputs: `workloads` by name, `routing`, and
    (when any workload is on AWS) `dashboardName` and `dashboardUrl` of the stack's dashboard.

    With `parent` (a component), every resource is its child: the component package builds a stack this way."""
    cluster = stack_cluster(plan, settings, parent)
    key = None
    if any(w.broker in AWS_BROKERS for w in plan.workloads):
        key = stack_key(settings.stack, plan.environment, settings.region, settings.kms_key_arn, parent=parent)
    workloads = {w.name: build_workload(w, settings, cluster, key, parent) for w in plan.workloads}
    outputs: dict[str, Any] = {"workloads": workloads, "routing": dict(plan.routing)}
    panels = [dashboard_workload(w, workloads[w.name]) for w in plan.workloads if w.broker in AWS_BROKERS]
    if panels:
        dashboard = Dashboard("dashboard", DashboardArgs(stack=settings.stack, region=settings.region,
                                                         workloads=panels), pulumi.ResourceOptions(parent=parent))
        outputs["dashboardName"] = dashboard.dashboard_name
        outputs["dashboardUrl"] = dashboard.url
    return outputs


def dashboard_workload(plan: WorkloadPlan, outputs: dict[str, Any]) -> DashboardWorkload:
    """What the dashboard needs of one built workload: its queue names and its service, if any."""
    has_service = "serviceName" in outputs
    return DashboardWorkload(
        plan=plan,
        queue_name=outputs.get("queueName"),
        dlq_name=outputs.get("dlqName"),
        cluster_name=outputs["clusterName"] if has_service else None,
        service_name=outputs["serviceName"] if has_service else None,
    )


# --- per broker -----------------------------------------------------------------------


def _build_sqs(plan: WorkloadPlan, settings: StackSettings, cluster: ClusterRef | None,
               key: StackKey, parent: pulumi.Resource | None) -> dict[str, Any]:
    stack = settings.stack
    child = pulumi.ResourceOptions(parent=parent)
    queue = QueueWithDlq(plan.name, QueueWithDlqArgs(plan=plan, stack=stack), child)
    outputs: dict[str, Any] = {
        "broker": plan.broker,
        "queueUrl": queue.queue_url,
        "queueArn": queue.queue_arn,
        "queueName": queue.queue_name,
        "dlqUrl": queue.dlq_url,
        "dlqArn": queue.dlq_arn,
        "dlqName": queue.dlq_name,
    }
    network = dict(region=settings.region, subnet_ids=settings.subnet_ids, security_group_ids=settings.security_group_ids,
                   kms_key_arn=key.arn)
    if plan.mode == ConsumerMode.scheduled:
        consumer = ScheduledConsumer(
            plan.name,
            ScheduledConsumerArgs(plan=plan, stack=stack, queue_url=queue.queue_url, queue_arn=queue.queue_arn,
                                  cluster=cluster, kms_key_alias=key.alias, **network),
            child,
        )
        outputs["scheduleName"] = consumer.schedule_name
        service_name = None
    else:
        consumer = FargateConsumer(
            plan.name,
            FargateConsumerArgs(plan=plan, stack=stack, queue_url=queue.queue_url, queue_arn=queue.queue_arn,
                                queue_name=queue.queue_name, cluster=cluster, **network),
            child,
        )
        service_name = consumer.service_name
        outputs["serviceName"] = service_name
    outputs["clusterName"] = consumer.cluster_name
    alarms = QueueAlarms(
        plan.name,
        QueueAlarmsArgs(
            plan=plan,
            stack=stack,
            queue_name=queue.queue_name,
            dlq_name=queue.dlq_name,
            cluster_name=consumer.cluster_name if service_name is not None else None,
            service_name=service_name,
            alert_emails=settings.alert_emails,
            kms_key_id=key.id_for_topics,
            region=settings.region,
        ),
        # The topic names the key by its alias.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(key.resources)),
    )
    outputs["alarmTopicArn"] = alarms.topic_arn
    outputs["alarmArns"] = alarms.alarm_arns
    return outputs


def _build_redis(plan: WorkloadPlan, settings: StackSettings, cluster: ClusterRef | None,
                 key: StackKey, parent: pulumi.Resource | None) -> dict[str, Any]:
    stack = settings.stack
    alarms = QueueAlarms(
        plan.name,
        QueueAlarmsArgs(
            plan=plan,
            stack=stack,
            cluster_name=cluster.name if cluster else None,
            service_name=plan.name if cluster else None,
            alert_emails=settings.alert_emails,
            kms_key_id=key.id_for_topics,
            region=settings.region,
        ),
        # The topic names the key by its alias.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(key.resources)),
    )
    cache = RedisCache(
        f"{plan.name}-cache",
        RedisCacheArgs(
            plan=plan,
            stack=stack,
            vpc_id=settings.vpc_id,
            subnet_ids=settings.subnet_ids,
            consumer_security_group_ids=settings.security_group_ids,
            auth_token=settings.redis_auth_token,
            alarm_topic_arn=alarms.topic_arn,
            kms_key_arn=key.arn,
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[alarms]),  # the cache alarms act on the alarm topic
    )
    consumer = FargateConsumer(
        plan.name,
        FargateConsumerArgs(
            plan=plan,
            stack=stack,
            region=settings.region,
            subnet_ids=settings.subnet_ids,
            security_group_ids=settings.security_group_ids,
            cluster=cluster,
            environment={
                contract.REDIS_PORT.name: str(REDIS_PORT),
                contract.REDIS_TLS.name: "true",
            },
            # ECS injects both as environment: the Secrets Manager secret by its full ARN (a bare name is
            # read as an SSM parameter name), the SSM parameter by name (same region, known at preview).
            secrets={contract.REDIS_AUTH_TOKEN.name: cache.auth_secret_arn,
                     contract.REDIS_HOST.name: cache.host_parameter_name},
            secret_access=cache.secret_access,
            kms_key_arn=key.arn,
        ),
        # The consumer's secrets name the cache's secret and parameter; they must exist before tasks start.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[cache]),
    )
    return {
        "broker": plan.broker,
        "serviceName": consumer.service_name,
        "clusterName": consumer.cluster_name,
        "cacheEndpoint": cache.primary_endpoint,
        "cacheReaderEndpoint": cache.reader_endpoint,
        "cachePort": cache.port,
        "cacheAuthSecretArn": cache.auth_secret_arn,
        "alarmTopicArn": alarms.topic_arn,
        "alarmArns": {**alarms.alarm_arns, **{f"cache-{k}": v for k, v in cache.alarm_arns.items()}},
    }


def _build_cloudflare(plan: WorkloadPlan, settings: StackSettings, parent: pulumi.Resource | None) -> dict[str, Any]:
    # Imported here so AWS-only stacks never need the Cloudflare provider.
    from components.cloudflare_queue import CloudflareQueue, CloudflareQueueArgs

    account_id = _require(settings.cloudflare_account_id, "qcap:cloudflareAccountId",
                          "qcap:cloudflareAccountId <32-hex account id>", "the Cloudflare account")
    queue = CloudflareQueue(plan.name, CloudflareQueueArgs.from_plan(plan, account_id),
                            pulumi.ResourceOptions(parent=parent))
    return {
        "broker": plan.broker,
        "queueIds": queue.queue_ids,
        "queueNames": queue.queue_names,
        "dlqId": queue.dlq_id,
        "dlqName": queue.dlq_name,
        "routingRule": queue.routing_rule,
    }
