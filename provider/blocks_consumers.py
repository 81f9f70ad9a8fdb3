"""Building blocks that run the consumer: qcap:index:FargateConsumer and qcap:index:ScheduledConsumer.

Each plans its profile, picks one queue of the plan, and creates the Python component of the
same name (components/fargate_consumer.py, components/scheduled_consumer.py) as its child, so
a program in any language composes the pieces QueueWorkload wires together. Inputs are checked
before the component registers, so a bad input creates nothing.
"""

from typing import NotRequired, Optional, TypedDict

import pulumi

from components import fargate_consumer, scheduled_consumer
from components.consumer_iam import SecretAccess
from components.consumer_base import ClusterRef
from provider.profile_inputs import Profile
from provider.validation import block_plan, component_args, region_of, rejected, require


class FargateConsumerArgs(TypedDict):
    """A service consumer of one planned queue: where it runs and which queue it reads."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    queue: NotRequired[str]
    """Which queue of the plan (partitions and priorities plan several, e.g. jobs-0). Default: the only one."""
    stack: NotRequired[str]
    """The name in every resource's name and tags (qcap-<stack>-<queue>). Default: the Pulumi stack's name."""
    region: NotRequired[str]
    """AWS region of the tasks and their logs. Default: the stack's aws:region config."""
    subnet_ids: list[pulumi.Input[str]]
    """Private subnets for the tasks (they get no public IP: the subnets need NAT or VPC endpoints)."""
    security_group_ids: list[pulumi.Input[str]]
    """Security groups of the tasks."""
    queue_url: NotRequired[pulumi.Input[str]]
    """URL of the SQS queue the tasks consume (QueueWithDlq's queueUrl); SQS brokers only."""
    queue_arn: NotRequired[pulumi.Input[str]]
    """ARN of the same queue: the task role may receive and delete only there; SQS brokers only."""
    queue_name: NotRequired[pulumi.Input[str]]
    """Name of the same queue: the autoscaling metric reads its depth; SQS brokers only."""
    cluster_arn: NotRequired[pulumi.Input[str]]
    """An existing ECS cluster (Container Insights on). Default: a new cluster qcap-<stack>."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """The existing cluster's name; needed when clusterArn is another resource's output."""
    environment: NotRequired[dict[str, pulumi.Input[str]]]
    """More environment variables of the consumer container, over the ones the plan sets."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Secret environment variables: name to Secrets Manager secret or SSM parameter (ARN or name)."""
    secret_arns: NotRequired[list[pulumi.Input[str]]]
    """Secrets Manager ARNs (or patterns, `name-??????`) the execution role may read for `secrets`."""
    parameter_arns: NotRequired[list[pulumi.Input[str]]]
    """SSM parameter ARNs the execution role may read for `secrets`."""
    secrets_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The customer key those secrets are encrypted with; the execution role may decrypt through Secrets Manager."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key of the log group. Default: CloudWatch Logs' own key."""


class ScheduledConsumerArgs(TypedDict):
    """A scheduled consumer of one planned queue: a task started every interval, taking a batch."""

    profile: NotRequired[Profile]
    """The capacity profile, field by field: a stack file's content with camelCase keys. Give this or profileYaml."""
    profile_yaml: NotRequired[str]
    """The capacity profile as YAML text: a stack file's content, read by your program. Give this or profile."""
    queue: NotRequired[str]
    """Which queue of the plan (partitions and priorities plan several, e.g. jobs-0). Default: the only one."""
    stack: NotRequired[str]
    """The name in every resource's name and tags (qcap-<stack>-<queue>). Default: the Pulumi stack's name."""
    region: NotRequired[str]
    """AWS region of the tasks and their logs. Default: the stack's aws:region config."""
    subnet_ids: list[pulumi.Input[str]]
    """Private subnets for the tasks (they get no public IP: the subnets need NAT or VPC endpoints)."""
    security_group_ids: list[pulumi.Input[str]]
    """Security groups of the tasks."""
    queue_url: pulumi.Input[str]
    """URL of the SQS queue a run drains (QueueWithDlq's queueUrl)."""
    queue_arn: pulumi.Input[str]
    """ARN of the same queue: the task role may receive and delete only there."""
    cluster_arn: NotRequired[pulumi.Input[str]]
    """An existing ECS cluster (Container Insights on). Default: a new cluster qcap-<stack>."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """The existing cluster's name; needed when clusterArn is another resource's output."""
    environment: NotRequired[dict[str, pulumi.Input[str]]]
    """More environment variables of the consumer container, over the ones the plan sets."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Secret environment variables: name to Secrets Manager secret or SSM parameter ARN."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key of the log group and the schedule. Default: AWS's own keys."""
    kms_key_alias: NotRequired[str]
    """The alias of that key, when the stack created it: the schedule role may decrypt with the key it names."""


def cluster_of(where: str, args: dict) -> Optional[ClusterRef]:
    """The cluster to run in: clusterArn (and clusterName when the ARN is not known yet), or None for a new one."""
    arn = args.get("cluster_arn")
    if arn is None:
        return None
    if args.get("cluster_name") is not None:
        return ClusterRef(arn=arn, name=args["cluster_name"])
    if not isinstance(arn, str):
        raise rejected(f"{where}: clusterArn is another resource's output; give clusterName too",
                       [("clusterName", "required with a clusterArn that is not known yet")])
    return component_args(where, lambda: ClusterRef.from_arn(arn))


def network(where: str, args: dict) -> dict:
    """Region, subnets and security groups, each required (the tasks run in the stack's private network)."""
    region = region_of(args)
    require(where, {"region": region}, "region", "the AWS region to deploy to; or set aws:region")
    return dict(region=region,
                subnet_ids=require(where, args, "subnet_ids", "private subnets for the consumer tasks"),
                security_group_ids=require(where, args, "security_group_ids", "security groups of the consumer tasks"))


class FargateConsumer(pulumi.ComponentResource):
    """An autoscaled Fargate service consuming one planned queue (mode service; sqs, sqs-fifo or redis)."""

    cluster_arn: pulumi.Output[str]
    """ARN of the cluster the service runs in."""
    cluster_name: pulumi.Output[str]
    """Name of that cluster."""
    service_name: pulumi.Output[str]
    """Name of the ECS service (the queue's name)."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the consumer's task definition."""
    task_role_arn: pulumi.Output[str]
    """ARN of the task role (receive, delete and change visibility on its own queue only)."""

    def __init__(self, name: str, args: FargateConsumerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        args = dict(args)
        where = f"FargateConsumer {name!r}"
        plan, stack, _ = block_plan(where, args)
        consumer_args = component_args(where, lambda: fargate_consumer.FargateConsumerArgs(
            plan=plan, stack=stack, **network(where, args), queue_url=args.get("queue_url"),
            queue_arn=args.get("queue_arn"), queue_name=args.get("queue_name"), cluster=cluster_of(where, args),
            environment=args.get("environment") or {}, secrets=args.get("secrets") or {},
            kms_key_arn=args.get("kms_key_arn"), secret_access=secret_access_of(args)))
        super().__init__("qcap:index:FargateConsumer", name, {}, opts)
        consumer = fargate_consumer.FargateConsumer(plan.name, consumer_args, pulumi.ResourceOptions(parent=self))
        self.cluster_arn = consumer.cluster_arn
        self.cluster_name = consumer.cluster_name
        self.service_name = consumer.service_name
        self.service_arn = consumer.service_arn
        self.task_definition_arn = consumer.task_definition_arn
        self.task_role_arn = consumer.task_role_arn
        self.register_outputs({
            "clusterArn": self.cluster_arn, "clusterName": self.cluster_name, "serviceName": self.service_name,
            "serviceArn": self.service_arn, "taskDefinitionArn": self.task_definition_arn,
            "taskRoleArn": self.task_role_arn,
        })


def secret_access_of(args: dict) -> SecretAccess | None:
    """What the execution role may read for the container's secrets, from the block's inputs."""
    secrets, parameters = args.get("secret_arns") or (), args.get("parameter_arns") or ()
    if not secrets and not parameters:
        return None
    return SecretAccess(secrets=tuple(secrets), parameters=tuple(parameters), kms_key_arn=args.get("secrets_kms_key_arn"))


class ScheduledConsumer(pulumi.ComponentResource):
    """An EventBridge schedule starting a Fargate task every interval on one planned queue (mode scheduled)."""

    cluster_arn: pulumi.Output[str]
    """ARN of the cluster the task runs in."""
    cluster_name: pulumi.Output[str]
    """Name of that cluster."""
    schedule_arn: pulumi.Output[str]
    """ARN of the EventBridge Scheduler schedule."""
    schedule_name: pulumi.Output[str]
    """Name of the schedule."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the consumer's task definition."""

    def __init__(self, name: str, args: ScheduledConsumerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        args = dict(args)
        where = f"ScheduledConsumer {name!r}"
        plan, stack, _ = block_plan(where, args)
        queue_url = require(where, args, "queue_url", "the queue a run drains")
        queue_arn = require(where, args, "queue_arn", "the queue a run drains")
        consumer_args = component_args(where, lambda: scheduled_consumer.ScheduledConsumerArgs(
            plan=plan, stack=stack, **network(where, args), queue_url=queue_url, queue_arn=queue_arn,
            cluster=cluster_of(where, args), environment=args.get("environment") or {},
            secrets=args.get("secrets") or {}, kms_key_arn=args.get("kms_key_arn"),
            kms_key_alias=args.get("kms_key_alias")))
        super().__init__("qcap:index:ScheduledConsumer", name, {}, opts)
        consumer = scheduled_consumer.ScheduledConsumer(plan.name, consumer_args, pulumi.ResourceOptions(parent=self))
        self.cluster_arn = consumer.cluster_arn
        self.cluster_name = consumer.cluster_name
        self.schedule_arn = consumer.schedule_arn
        self.schedule_name = consumer.schedule_name
        self.task_definition_arn = consumer.task_definition_arn
        self.register_outputs({
            "clusterArn": self.cluster_arn, "clusterName": self.cluster_name, "scheduleArn": self.schedule_arn,
            "scheduleName": self.schedule_name, "taskDefinitionArn": self.task_definition_arn,
        })
