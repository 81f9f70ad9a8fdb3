"""qcap:index:QueueWorkload: a capacity profile in, the plan's resources out, as `pulumi up` builds a stack.

The profile is planned and every workload built by components/workload.py (`build_stack`), as
children of this component: the same types, names and inputs as the Python program, with the
stack config it reads (subnets, security groups, cluster, secrets) given as inputs instead.
"""

from typing import Any, NotRequired, Optional, TypedDict

import pulumi

from capacity.plan import WorkloadPlan
from components.workload import build_stack
from provider.profile_inputs import Profile
from provider.validation import feasible_plan, load_profile_input, stack_name, stack_settings


class QueueWorkloadArgs(TypedDict):
    """A capacity profile and the stack settings its plan needs."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    stack: NotRequired[str]
    """The name in every resource's name and tags (qcap-<stack>-<queue>). Default: the Pulumi stack's name."""
    region: NotRequired[str]
    """AWS region of the resources. Default: the stack's aws:region config."""
    subnet_ids: NotRequired[list[pulumi.Input[str]]]
    """Private subnets for the consumer tasks (they get no public IP: the subnets need NAT or VPC endpoints)."""
    security_group_ids: NotRequired[list[pulumi.Input[str]]]
    """Security groups of the consumer tasks."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """The VPC of the Redis security group (broker redis)."""
    cluster_arn: NotRequired[str]
    """An existing ECS cluster (Container Insights on) to run the consumers in. Default: a new qcap-<stack>."""
    redis_auth_token: NotRequired[pulumi.Input[str]]
    """The Redis AUTH token, 16-128 characters (broker redis); pass it as a secret."""
    cloudflare_account_id: NotRequired[str]
    """The Cloudflare account that owns the queues (broker cloudflare)."""
    kms_key_arn: NotRequired[str]
    """An existing KMS key for topics, logs, Redis and schedules. Default: a new key alias/qcap-<stack>."""


class QueuePlan(TypedDict):
    """What the plan derived for one queue (a workload, or one of its partitions or priority levels)."""

    workload: str
    """The profile workload this queue belongs to."""
    broker: str
    """sqs, sqs-fifo, cloudflare or redis."""
    mode: str
    """service (autoscaled tasks) or scheduled (a task started every interval)."""
    binding_limit: str
    """What limits the fleet: the objective, the drain, the sink, a quota."""
    min_tasks: int
    """Tasks always running (min capacity); Cloudflare: 0."""
    max_tasks: int
    """Most tasks the fleet may scale to (max capacity); Cloudflare: the consumer's max concurrency."""
    target_backlog_per_task: NotRequired[float]
    """The autoscaling target: (visible + in flight) messages per running task (service mode)."""
    retention_seconds: int
    """How long the queue keeps a message."""
    dlq_retention_seconds: int
    """How long the dead-letter queue keeps a message."""
    visibility_timeout_seconds: NotRequired[int]
    """How long a received message stays hidden from other consumers (SQS)."""
    max_receive_count: int
    """Deliveries before a message moves to the dead-letter queue."""
    monthly_cost_usd: float
    """The plan's estimate of this queue's monthly cost, in US dollars."""


class QueueWorkload(pulumi.ComponentResource):
    """Every queue of a capacity profile, planned and provisioned: queues, consumers, alarms, dashboard."""

    queue_urls: pulumi.Output[dict[str, str]]
    """URL of each SQS queue, by queue name (a workload's partitions and priority levels are queues of their own)."""
    queue_arns: pulumi.Output[dict[str, str]]
    """ARN of each SQS queue, by queue name."""
    dlq_urls: pulumi.Output[dict[str, str]]
    """URL of each SQS queue's dead-letter queue, by queue name."""
    dlq_arns: pulumi.Output[dict[str, str]]
    """ARN of each SQS queue's dead-letter queue, by queue name."""
    plan: pulumi.Output[dict[str, QueuePlan]]
    """What the plan derived, by queue name: tasks, autoscaling target, retention, monthly cost."""
    monthly_cost_usd: pulumi.Output[float]
    """The plan's estimate of the whole profile's monthly cost, in US dollars."""
    routing: pulumi.Output[dict[str, str]]
    """How producers pick a queue, by workload (partitions by key hash, priorities by level)."""
    dashboard_name: Optional[pulumi.Output[str]]
    """The CloudWatch dashboard qcap-<stack> (when any workload is on AWS)."""
    dashboard_url: Optional[pulumi.Output[str]]
    """The dashboard's console URL (when any workload is on AWS)."""
    workloads: pulumi.Output[dict[str, Any]]
    """Every queue's outputs as the Python program exports them (its stack output `workloads`)."""

    def __init__(self, name: str, args: QueueWorkloadArgs, opts: Optional[pulumi.ResourceOptions] = None):
        args = dict(args)
        where = f"QueueWorkload {name!r}"
        profile = load_profile_input(where, args)
        settings_plan = feasible_plan(where, profile, stack_name(args))
        settings = stack_settings(where, settings_plan, args)
        # Registered once its inputs are known to be good: a bad input creates nothing.
        super().__init__("qcap:index:QueueWorkload", name, {}, opts)
        built = build_stack(settings_plan, settings, parent=self)
        by_queue = built["workloads"]
        sqs = {queue: out for queue, out in by_queue.items() if "queueUrl" in out}
        self.queue_urls = pulumi.Output.from_input({q: out["queueUrl"] for q, out in sqs.items()})
        self.queue_arns = pulumi.Output.from_input({q: out["queueArn"] for q, out in sqs.items()})
        self.dlq_urls = pulumi.Output.from_input({q: out["dlqUrl"] for q, out in sqs.items()})
        self.dlq_arns = pulumi.Output.from_input({q: out["dlqArn"] for q, out in sqs.items()})
        self.plan = pulumi.Output.from_input({w.name: queue_plan_output(w) for w in settings_plan.workloads})
        self.monthly_cost_usd = pulumi.Output.from_input(settings_plan.monthly_cost_usd)
        self.routing = pulumi.Output.from_input(built["routing"])
        self.dashboard_name = built.get("dashboardName")
        self.dashboard_url = built.get("dashboardUrl")
        self.workloads = pulumi.Output.from_input(by_queue)
        self.register_outputs({
            "queueUrls": self.queue_urls, "queueArns": self.queue_arns, "dlqUrls": self.dlq_urls,
            "dlqArns": self.dlq_arns, "plan": self.plan, "monthlyCostUsd": self.monthly_cost_usd,
            "routing": self.routing, "dashboardName": self.dashboard_name, "dashboardUrl": self.dashboard_url,
            "workloads": self.workloads,
        })


def queue_plan_output(w: WorkloadPlan) -> dict[str, Any]:
    """A QueuePlan in the schema's (camelCase) names: the SDK maps names only of a component's own outputs,
    not of values inside a map."""
    values: dict[str, Any] = {
        "workload": w.group,
        "broker": str(w.broker),
        "mode": str(w.mode),
        "bindingLimit": w.binding_limit,
        "minTasks": w.min_capacity,
        "maxTasks": w.max_capacity,
        "targetBacklogPerTask": w.scaling.target_backlog_per_task if w.scaling else None,
        "retentionSeconds": w.retention_seconds,
        "dlqRetentionSeconds": w.dlq_retention_seconds,
        "visibilityTimeoutSeconds": w.visibility_timeout_seconds,
        "maxReceiveCount": w.max_receive_count,
        "monthlyCostUsd": w.monthly_cost_usd,
    }
    return {key: value for key, value in values.items() if value is not None}
