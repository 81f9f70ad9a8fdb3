"""ElastiCache Redis for a `broker: redis` workload (seed 001), sized by the plan.

Node type and node count are the plan's (memory from backlog x item size, a replica in
prod). Encryption at rest and in transit always, an AUTH token from a Pulumi secret (also
stored in Secrets Manager so workers read it without plain environment), automatic
failover and multi-AZ in prod, `noeviction` (a queue must never drop items), snapshots,
and alarms on CPU, memory, evictions and connections against the plan's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from capacity import contract, limits
from capacity.contract import Broker, Environment
from capacity.names import fit_name
from capacity.plan import WorkloadPlan
from components.consumer_iam import SecretAccess
from components.stack_key import known_arn
from components.tags import workload_tags

REDIS_PORT = 6379
REDIS_ENGINE = "redis"
REDIS_ENGINE_VERSION = "7.1"
REDIS_PARAMETER_FAMILY = "redis7"
# A queue must never lose items to eviction: writes fail instead, and the alarm says so.
MAXMEMORY_POLICY = "noeviction"
# Daily snapshots kept: a week in prod, one day elsewhere. Our choice.
SNAPSHOT_RETENTION_DAYS_PROD = 7
SNAPSHOT_RETENTION_DAYS_OTHER = 1
SNAPSHOT_WINDOW_UTC = "03:00-04:00"
MAINTENANCE_WINDOW_UTC = "sun:05:00-sun:06:00"
# Minutes a cache CPU, memory or connection level must hold before it alarms. Our choice.
CACHE_ALARM_MINUTES = 5


def replication_group_id(stack: str, plan: WorkloadPlan) -> str:
    """qcap-<stack>-<workload>, fitted to ElastiCache's 40 characters: cut, then a hash of the full name.

    A bare cut dropped the lane suffix, so two partitions got one id.
    """
    return fit_name(f"qcap-{stack}-{plan.name}", limits.ELASTICACHE_REPLICATION_GROUP_ID_MAX_CHARS)


def auth_secret_name(stack: str, plan: WorkloadPlan) -> str:
    """The AUTH token's Secrets Manager name; its ARN adds a suffix AWS picks (`name-??????`)."""
    return f"qcap/{stack}/{plan.name}/redis-auth"


def host_parameter_name(stack: str, plan: WorkloadPlan) -> str:
    """The SSM parameter holding the primary endpoint (ElastiCache picks the host name on create)."""
    return f"/qcap/{stack}/{plan.name}/redis-host"


def member_cluster_ids(group_id: str, nodes: int) -> list[str]:
    """ElastiCache names the nodes of a replication group <group-id>-001, -002, ..."""
    return [f"{group_id}-{i:03d}" for i in range(1, nodes + 1)]


def checked_auth_token(token: str) -> str:
    """The AUTH token, or a clear error when ElastiCache would reject it."""
    if not (limits.ELASTICACHE_AUTH_TOKEN_MIN_CHARS <= len(token) <= limits.ELASTICACHE_AUTH_TOKEN_MAX_CHARS):
        raise ValueError(
            f"qcap:redisAuthToken has {len(token)} characters; ElastiCache needs "
            f"{limits.ELASTICACHE_AUTH_TOKEN_MIN_CHARS}-{limits.ELASTICACHE_AUTH_TOKEN_MAX_CHARS} printable "
            "characters (no @, \" or /): pulumi config set --secret qcap:redisAuthToken <token>"
        )
    if any(c in token for c in '@"/') or not token.isprintable():
        raise ValueError('qcap:redisAuthToken may not contain @, " or / or unprintable characters')
    return token


@dataclass(frozen=True)
class RedisCacheArgs:
    """What a RedisCache needs.

    `plan` (broker `redis`) gives node type, node count, connection budget and environment
    (prod: failover, multi-AZ, protection, a week of snapshots). `vpc_id` and `subnet_ids`
    place it; only `consumer_security_group_ids` may connect. `auth_token` is a Pulumi secret
    (`qcap:redisAuthToken`). Alarms notify `alarm_topic_arn` on ALARM and OK. `kms_key_arn`
    (the stack key) encrypts the data at rest and the AUTH secret; default: AWS-owned keys.
    """

    plan: WorkloadPlan
    stack: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    consumer_security_group_ids: Sequence[pulumi.Input[str]]
    auth_token: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        plan = self.plan
        where = f"RedisCache {plan.name!r}"
        if plan.broker != Broker.redis:
            raise ValueError(f"{where}: broker is {str(plan.broker)!r}; RedisCache serves broker redis")
        if plan.cache is None:
            raise ValueError(f"{where}: the plan has no cache (cache_node_type, cache_nodes, cache_connections_budget)")
        if self.prod and plan.cache.nodes < limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER:
            raise ValueError(
                f"{where}: prod needs automatic failover, which needs {limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER} "
                f"or more nodes; the plan has {plan.cache.nodes}"
            )
        if not self.subnet_ids:
            raise ValueError(f"{where}: no subnets; set qcap:subnetIds in the stack config")
        if not self.consumer_security_group_ids:
            raise ValueError(f"{where}: no consumer security groups to admit; set qcap:securityGroupIds")
        if isinstance(self.auth_token, str):
            checked_auth_token(self.auth_token)

    @property
    def prod(self) -> bool:
        return self.plan.environment == Environment.prod


class RedisCache(pulumi.ComponentResource):
    """Replication group with parameter, subnet and security groups, the AUTH secret and four alarms."""

    replication_group_id: pulumi.Output[str]
    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    security_group_id: pulumi.Output[str]
    auth_secret_arn: pulumi.Output[str]
    alarm_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("qcap:aws:RedisCache", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        plan, stack = args.plan, args.stack
        tags = workload_tags(plan, stack, "cache")
        token = pulumi.Output.secret(args.auth_token).apply(checked_auth_token)

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"qcap {stack}/{plan.name}: Redis, reachable only from the consumers",
            ingress=[
                {
                    "description": "Redis from the consumer tasks",
                    "protocol": "tcp",
                    "from_port": REDIS_PORT,
                    "to_port": REDIS_PORT,
                    "security_groups": list(args.consumer_security_group_ids),
                }
            ],
            egress=[],
            tags=tags,
            opts=self._child,
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"qcap {stack}/{plan.name}",
            tags=tags,
            opts=self._child,
        )
        parameter_group = aws.elasticache.ParameterGroup(
            f"{name}-params",
            family=REDIS_PARAMETER_FAMILY,
            description=f"qcap {stack}/{plan.name}: {MAXMEMORY_POLICY}",
            parameters=[{"name": "maxmemory-policy", "value": MAXMEMORY_POLICY}],
            tags=tags,
            opts=self._child,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-auth",
            name=auth_secret_name(stack, plan),
            description=f"qcap {stack}/{plan.name}: Redis AUTH token for the workers",
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=self._child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-value",
            secret_id=secret.id,
            secret_string=token,
            opts=self._child,
        )
        group_id = replication_group_id(stack, plan)
        group = aws.elasticache.ReplicationGroup(
            f"{name}-group",
            replication_group_id=group_id,
            description=f"qcap {stack}/{plan.name}: Redis queue",
            engine=REDIS_ENGINE,
            engine_version=REDIS_ENGINE_VERSION,
            node_type=plan.cache.node_type,
            num_cache_clusters=plan.cache.nodes,
            port=REDIS_PORT,
            parameter_group_name=parameter_group.name,
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            transit_encryption_enabled=True,
            auth_token=token,
            automatic_failover_enabled=args.prod,
            multi_az_enabled=args.prod,
            snapshot_retention_limit=SNAPSHOT_RETENTION_DAYS_PROD if args.prod else SNAPSHOT_RETENTION_DAYS_OTHER,
            snapshot_window=SNAPSHOT_WINDOW_UTC,
            maintenance_window=MAINTENANCE_WINDOW_UTC,
            final_snapshot_identifier=f"{group_id}-final" if args.prod else None,
            auto_minor_version_upgrade=True,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.prod),
        )
        host = aws.ssm.Parameter(
            f"{name}-host",
            name=host_parameter_name(stack, plan),
            type="String",
            value=group.primary_endpoint_address,
            description=f"qcap {stack}/{plan.name}: Redis primary endpoint for the workers",
            tags=tags,
            opts=self._child,
        )
        self.host_parameter = host
        # What the workers' task definition names and what its execution role may read and decrypt. ECS takes a
        # secret by its full ARN (known once the secret exists); the role's policy uses ARN patterns known at the
        # first preview: `-??????` is the suffix Secrets Manager adds to the name.
        self.auth_secret_name = auth_secret_name(stack, plan)
        self.host_parameter_name = host_parameter_name(stack, plan)
        self.secret_access = SecretAccess(
            secrets=[known_arn("secretsmanager", f"secret:{auth_secret_name(stack, plan)}-??????")],
            parameters=[known_arn("ssm", f"parameter{host_parameter_name(stack, plan)}")],
            kms_key_arn=args.kms_key_arn,
        )
        self.replication_group_id = group.replication_group_id
        self.primary_endpoint = group.primary_endpoint_address
        self.reader_endpoint = group.reader_endpoint_address
        self.port = group.port
        self.security_group_id = security_group.id
        self.auth_secret_arn = secret.arn
        self.alarm_arns = self._create_alarms(member_cluster_ids(group_id, plan.cache.nodes), [group])
        self.register_outputs(
            {
                "replication_group_id": self.replication_group_id,
                "primary_endpoint": self.primary_endpoint,
                "reader_endpoint": self.reader_endpoint,
                "port": self.port,
                "security_group_id": self.security_group_id,
                "auth_secret_arn": self.auth_secret_arn,
                "alarm_arns": self.alarm_arns,
            }
        )

    def _create_alarms(self, nodes: list[str], group: list[pulumi.Resource]) -> dict[str, pulumi.Output[str]]:
        """One alarm per signal over all nodes (the highest node counts): CPU, memory, evictions, connections."""
        plan = self._args.plan
        budget = plan.cache.connections_budget
        connections_threshold = plan.cache.alarm_connections
        signals: list[tuple[str, str, str, str, float, int, str, str]] = [
            ("cpu", contract.CACHE_CPU_METRIC, "Average", "GreaterThanThreshold", limits.REDIS_CPU_ALARM_PERCENT,
             CACHE_ALARM_MINUTES, "missing", f"Redis engine CPU above {limits.REDIS_CPU_ALARM_PERCENT}%"),
            ("memory", contract.CACHE_MEMORY_METRIC, "Maximum", "GreaterThanThreshold",
             limits.REDIS_MEMORY_ALARM_PERCENT, CACHE_ALARM_MINUTES, "missing",
             f"Redis memory above {limits.REDIS_MEMORY_ALARM_PERCENT}% of maxmemory: writes fail at 100% (noeviction)"),
            ("evictions", contract.CACHE_EVICTIONS_METRIC, "Sum", "GreaterThanOrEqualToThreshold", 1, 1, "notBreaching",
             "Redis evicted keys: queued items were lost"),
            ("connections", contract.CACHE_CONNECTIONS_METRIC, "Maximum", "GreaterThanThreshold", connections_threshold,
             CACHE_ALARM_MINUTES, "missing",
             f"Redis connections above {limits.REDIS_CONNECTIONS_ALARM_FRACTION:g} x the budget of {budget}"),
        ]
        arns: dict[str, pulumi.Output[str]] = {}
        for kind, metric, stat, comparison, threshold, minutes, missing, what in signals:
            queries: list[dict[str, Any]] = [
                {
                    "id": f"n{i}",
                    "return_data": False,
                    "metric": {
                        "namespace": contract.ELASTICACHE_NAMESPACE,
                        "metric_name": metric,
                        "dimensions": {contract.CACHE_NODE_DIMENSION: node},
                        "stat": stat,
                        "period": limits.CLOUDWATCH_ALARM_PERIOD_SECONDS,
                    },
                }
                for i, node in enumerate(nodes, start=1)
            ]
            ids = ", ".join(q["id"] for q in queries)
            queries.append({"id": "worst", "expression": f"MAX([{ids}])", "label": f"highest node {metric}",
                            "return_data": True})
            alarm = aws.cloudwatch.MetricAlarm(
                f"{self._name}-alarm-{kind}",
                name=f"qcap-{self._args.stack}-{plan.name}-cache-{kind}",
                alarm_description=f"{plan.name}: {what}",
                comparison_operator=comparison,
                threshold=threshold,
                evaluation_periods=minutes,
                datapoints_to_alarm=minutes,
                treat_missing_data=missing,
                metric_queries=queries,
                alarm_actions=[self._args.alarm_topic_arn],
                ok_actions=[self._args.alarm_topic_arn],
                tags=workload_tags(plan, self._args.stack, "alarm"),
                # The alarms watch nodes the replication group creates.
                opts=pulumi.ResourceOptions(parent=self, depends_on=group),
            )
            arns[kind] = alarm.arn
        return arns
