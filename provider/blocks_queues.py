"""Building blocks around the queue: QueueWithDlq, QueueAlarms, RedisCache, CloudflareQueue and Dashboard.

Each plans its profile, picks one queue of the plan (Dashboard: several), and creates the Python
component of the same name as its child: same types, names and inputs as the Python program.
"""

from typing import NotRequired, Optional, TypedDict

import pulumi

from components import dashboard, queue_alarms, redis_cache, sqs_queue
from provider.profile_inputs import Profile
from provider.validation import (
    block_plan,
    component_args,
    feasible_plan,
    load_profile_input,
    queue_plan,
    region_of,
    require,
    stack_name,
)


class QueueWithDlqArgs(TypedDict):
    """One planned SQS queue (broker sqs or sqs-fifo)."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    queue: NotRequired[str]
    """Which queue of the plan (partitions and priorities plan several, e.g. jobs-0). Default: the only one."""
    stack: NotRequired[str]
    """The name in every resource's name and tags (qcap-<stack>-<queue>). Default: the Pulumi stack's name."""


class QueueWithDlq(pulumi.ComponentResource):
    """A source queue and its dead-letter queue, with the plan's retention, visibility and redrive."""

    queue_url: pulumi.Output[str]
    """URL of the source queue."""
    queue_arn: pulumi.Output[str]
    """ARN of the source queue."""
    queue_name: pulumi.Output[str]
    """Name of the source queue (qcap-<stack>-<queue>)."""
    dlq_url: pulumi.Output[str]
    """URL of the dead-letter queue."""
    dlq_arn: pulumi.Output[str]
    """ARN of the dead-letter queue."""
    dlq_name: pulumi.Output[str]
    """Name of the dead-letter queue."""

    def __init__(self, name: str, args: QueueWithDlqArgs, opts: Optional[pulumi.ResourceOptions] = None):
        where = f"QueueWithDlq {name!r}"
        plan, stack, _ = block_plan(where, dict(args))
        queue_args = component_args(where, lambda: sqs_queue.QueueWithDlqArgs(plan=plan, stack=stack))
        super().__init__("qcap:index:QueueWithDlq", name, {}, opts)
        queue = sqs_queue.QueueWithDlq(plan.name, queue_args, pulumi.ResourceOptions(parent=self))
        self.queue_url, self.queue_arn, self.queue_name = queue.queue_url, queue.queue_arn, queue.queue_name
        self.dlq_url, self.dlq_arn, self.dlq_name = queue.dlq_url, queue.dlq_arn, queue.dlq_name
        self.register_outputs({"queueUrl": self.queue_url, "queueArn": self.queue_arn, "queueName": self.queue_name,
                               "dlqUrl": self.dlq_url, "dlqArn": self.dlq_arn, "dlqName": self.dlq_name})


class QueueAlarmsArgs(TypedDict):
    """The alarms of one planned queue and the topic they notify (alerts.emails of the profile)."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    queue: NotRequired[str]
    """Which queue of the plan (partitions and priorities plan several, e.g. jobs-0). Default: the only one."""
    stack: NotRequired[str]
    """The name in every resource's name and tags (qcap-<stack>-<queue>). Default: the Pulumi stack's name."""
    region: NotRequired[str]
    """The topic's region, named in its policy. Default: the stack's aws:region config."""
    queue_name: NotRequired[pulumi.Input[str]]
    """Name of the SQS queue to watch (QueueWithDlq's queueName); SQS brokers only."""
    dlq_name: NotRequired[pulumi.Input[str]]
    """Name of its dead-letter queue (QueueWithDlq's dlqName); SQS brokers only."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """Cluster of the consumer service; with serviceName, adds the tasks-at-max alarm."""
    service_name: NotRequired[pulumi.Input[str]]
    """The consumer service; with clusterName, adds the tasks-at-max alarm."""
    topic_arn: NotRequired[pulumi.Input[str]]
    """An existing SNS topic to notify. Default: a new topic with the profile's alert emails subscribed."""
    kms_key_id: NotRequired[pulumi.Input[str]]
    """KMS key (id, ARN or alias) of the new topic. Default: a key of its own that CloudWatch may use."""


class QueueAlarms(pulumi.ComponentResource):
    """The plan's alarms on one queue and its fleet (age, dead letters, saturation, tasks at max, stalled)."""

    topic_arn: pulumi.Output[str]
    """ARN of the topic the alarms notify on ALARM and OK."""
    alarm_arns: pulumi.Output[dict[str, str]]
    """ARN of each alarm, by kind (age, dlq, saturation, max-tasks, stalled)."""

    def __init__(self, name: str, args: QueueAlarmsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        args = dict(args)
        where = f"QueueAlarms {name!r}"
        plan, stack, stack_plan = block_plan(where, args)
        alert_emails = stack_plan.alert_emails
        alarms_args = component_args(where, lambda: queue_alarms.QueueAlarmsArgs(
            plan=plan, stack=stack, queue_name=args.get("queue_name"), dlq_name=args.get("dlq_name"),
            cluster_name=args.get("cluster_name"), service_name=args.get("service_name"), alert_emails=alert_emails,
            topic_arn=args.get("topic_arn"), kms_key_id=args.get("kms_key_id"), region=region_of(args)))
        super().__init__("qcap:index:QueueAlarms", name, {}, opts)
        alarms = queue_alarms.QueueAlarms(plan.name, alarms_args, pulumi.ResourceOptions(parent=self))
        self.topic_arn = alarms.topic_arn
        self.alarm_arns = pulumi.Output.from_input(alarms.alarm_arns)
        self.register_outputs({"topicArn": self.topic_arn, "alarmArns": self.alarm_arns})


class RedisCacheArgs(TypedDict):
    """The ElastiCache Redis of one planned queue (broker redis)."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    queue: NotRequired[str]
    """Which queue of the plan (partitions and priorities plan several, e.g. jobs-0). Default: the only one."""
    stack: NotRequired[str]
    """The name in every resource's name and tags (qcap-<stack>-<queue>). Default: the Pulumi stack's name."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cache's security group."""
    subnet_ids: list[pulumi.Input[str]]
    """Private subnets of the cache nodes."""
    consumer_security_group_ids: list[pulumi.Input[str]]
    """Security groups of the consumer tasks: the only ones that may connect."""
    auth_token: pulumi.Input[str]
    """The Redis AUTH token, 16-128 characters; pass it as a secret."""
    alarm_topic_arn: pulumi.Input[str]
    """The topic the cache alarms notify (QueueAlarms' topicArn)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key of the data at rest and the AUTH secret. Default: AWS-owned keys."""


class RedisCache(pulumi.ComponentResource):
    """A Redis replication group sized by the plan, its AUTH secret, endpoint parameter and four alarms."""

    replication_group_id: pulumi.Output[str]
    """Id of the replication group."""
    primary_endpoint: pulumi.Output[str]
    """Address of the primary node."""
    reader_endpoint: pulumi.Output[str]
    """Address of the reader endpoint."""
    port: pulumi.Output[int]
    """Port of the cache (TLS)."""
    security_group_id: pulumi.Output[str]
    """Id of the cache's security group."""
    auth_secret_arn: pulumi.Output[str]
    """ARN of the Secrets Manager secret holding the AUTH token."""
    auth_secret_name: str
    """Name of that secret: what the consumer's secrets name (known before it exists)."""
    host_parameter_name: str
    """Name of the SSM parameter holding the primary endpoint, read by the consumers."""
    secret_arns: list[pulumi.Output[str]]
    """Secrets Manager ARN patterns the consumer's execution role must read (FargateConsumer's secretArns)."""
    parameter_arns: list[pulumi.Output[str]]
    """SSM parameter ARNs the consumer's execution role must read (FargateConsumer's parameterArns)."""
    alarm_arns: pulumi.Output[dict[str, str]]
    """ARN of each cache alarm, by kind."""

    def __init__(self, name: str, args: RedisCacheArgs, opts: Optional[pulumi.ResourceOptions] = None):
        args = dict(args)
        where = f"RedisCache {name!r}"
        plan, stack, _ = block_plan(where, args)
        needed = {key: require(where, args, key, why) for key, why in (
            ("vpc_id", "the VPC of the Redis security group"), ("subnet_ids", "private subnets of the cache"),
            ("consumer_security_group_ids", "the consumers' security groups, the only ones that may connect"),
            ("auth_token", "the Redis AUTH token, 16-128 characters; pass it as a secret"),
            ("alarm_topic_arn", "the topic the cache alarms notify"))}
        cache_args = component_args(where, lambda: redis_cache.RedisCacheArgs(
            plan=plan, stack=stack, kms_key_arn=args.get("kms_key_arn"), **needed))
        super().__init__("qcap:index:RedisCache", name, {}, opts)
        cache = redis_cache.RedisCache(f"{plan.name}-cache", cache_args, pulumi.ResourceOptions(parent=self))
        self.replication_group_id = cache.replication_group_id
        self.primary_endpoint, self.reader_endpoint = cache.primary_endpoint, cache.reader_endpoint
        self.port = cache.port
        self.security_group_id, self.auth_secret_arn = cache.security_group_id, cache.auth_secret_arn
        self.auth_secret_name, self.host_parameter_name = cache.auth_secret_name, cache.host_parameter_name
        self.secret_arns = [pulumi.Output.from_input(arn) for arn in cache.secret_access.secrets]
        self.parameter_arns = [pulumi.Output.from_input(arn) for arn in cache.secret_access.parameters]
        self.alarm_arns = pulumi.Output.from_input(cache.alarm_arns)
        self.register_outputs({"primaryEndpoint": self.primary_endpoint, "authSecretArn": self.auth_secret_arn,
                               "alarmArns": self.alarm_arns})


class CloudflareQueueArgs(TypedDict):
    """One planned Cloudflare workload (broker cloudflare): its shards, DLQ and Worker consumers."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    queue: NotRequired[str]
    """Which queue of the plan. Default: the only one."""
    account_id: str
    """The Cloudflare account that owns the queues."""


class CloudflareQueue(pulumi.ComponentResource):
    """Shard queues <name>-<n>, a dead-letter queue <name>-dlq, and the Worker consumer on every shard."""

    queue_ids: list[pulumi.Output[str]]
    """Ids of the shard queues, shard 0 first."""
    queue_names: list[str]
    """Names of the shard queues, shard 0 first."""
    dlq_id: pulumi.Output[str]
    """Id of the dead-letter queue."""
    dlq_name: str
    """Name of the dead-letter queue."""
    routing_rule: str
    """How a producer picks a shard."""

    def __init__(self, name: str, args: CloudflareQueueArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Imported here so AWS-only programs never load the Cloudflare provider.
        from components import cloudflare_queue

        args = dict(args)
        where = f"CloudflareQueue {name!r}"
        plan, _, _ = block_plan(where, args)
        account_id = require(where, args, "account_id", "the Cloudflare account that owns the queues")
        queue_args = component_args(where, lambda: cloudflare_queue.CloudflareQueueArgs.from_plan(plan, account_id))
        super().__init__("qcap:index:CloudflareQueue", name, {}, opts)
        queue = cloudflare_queue.CloudflareQueue(plan.name, queue_args, pulumi.ResourceOptions(parent=self))
        self.queue_ids, self.queue_names = queue.queue_ids, queue.queue_names
        self.dlq_id, self.dlq_name, self.routing_rule = queue.dlq_id, queue.dlq_name, queue.routing_rule
        self.register_outputs({"queueIds": self.queue_ids, "queueNames": self.queue_names, "dlqId": self.dlq_id,
                               "dlqName": self.dlq_name, "routingRule": self.routing_rule})


class DashboardPanel(TypedDict):
    """One row of the dashboard: a planned queue and the names its metrics carry."""

    queue: str
    """The queue of the plan this row shows."""
    queue_name: NotRequired[pulumi.Input[str]]
    """Name of its SQS queue (QueueWithDlq's queueName); SQS brokers only."""
    dlq_name: NotRequired[pulumi.Input[str]]
    """Name of its dead-letter queue; SQS brokers only."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """Cluster of its consumer service; with serviceName, adds the task panels."""
    service_name: NotRequired[pulumi.Input[str]]
    """Its consumer service; with clusterName, adds the task panels."""


class DashboardArgs(TypedDict):
    """The dashboard of a planned profile: one row per AWS queue given in panels."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    stack: NotRequired[str]
    """The dashboard is qcap-<stack>. Default: the Pulumi stack's name."""
    region: NotRequired[str]
    """Region of the metrics. Default: the stack's aws:region config."""
    panels: list[DashboardPanel]
    """The rows, in order."""


class Dashboard(pulumi.ComponentResource):
    """A CloudWatch dashboard: per queue, its backlog per task, tasks, age and dead letters against the plan."""

    dashboard_name: pulumi.Output[str]
    """Name of the dashboard (qcap-<stack>)."""
    url: pulumi.Output[str]
    """The dashboard's console URL."""

    def __init__(self, name: str, args: DashboardArgs, opts: Optional[pulumi.ResourceOptions] = None):
        args = dict(args)
        where = f"Dashboard {name!r}"
        stack = stack_name(args)
        stack_plan = feasible_plan(where, load_profile_input(where, args), stack)
        region = require(where, {"region": region_of(args)}, "region", "the metrics' region; or set aws:region")
        panels = require(where, args, "panels", "the queues to show")
        rows = [component_args(where, lambda panel=panel: dashboard.DashboardWorkload(
            plan=queue_plan(where, stack_plan, panel.get("queue")), queue_name=panel.get("queue_name"),
            dlq_name=panel.get("dlq_name"), cluster_name=panel.get("cluster_name"),
            service_name=panel.get("service_name"))) for panel in panels]
        super().__init__("qcap:index:Dashboard", name, {}, opts)
        board = dashboard.Dashboard(name, dashboard.DashboardArgs(stack=stack, region=region, workloads=rows),
                                    pulumi.ResourceOptions(parent=self))
        self.dashboard_name, self.url = board.dashboard_name, board.url
        self.register_outputs({"dashboardName": self.dashboard_name, "url": self.url})
