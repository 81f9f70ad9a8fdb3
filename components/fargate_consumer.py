"""A Fargate consumer service that autoscales on backlog per task, built from a WorkloadPlan.

The service runs the consumer task (components/consumer_task.py) without a public IP, with a
role that may only receive, delete, change visibility and read attributes of its own queue
(components/consumer_iam.py), and scales on backlog per task (components/consumer_scaling.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from capacity.contract import Broker, ConsumerMode
from capacity.plan import WorkloadPlan
from components.consumer_base import (
    CONSUMER_BROKERS,
    SQS_BROKERS,
    ClusterRef,
    ConsumerComponent,
    check_fargate_size,
    create_cluster,
    worker_environment,
)
from components.consumer_iam import (
    SecretAccess,
    metric_statement,
    sqs_consumer_statement,
    task_protection_statement,
)
from components.consumer_scaling import ScalingSpec, create_scaling, deploy_min_capacity
from components.tags import workload_tags

__all__ = ["ClusterRef", "FargateConsumer", "FargateConsumerArgs", "create_cluster", "worker_environment"]


@dataclass(frozen=True)
class FargateConsumerArgs:
    """What a FargateConsumer needs.

    `plan` (mode `service`, broker sqs, sqs-fifo or redis) gives the image, CPU/memory, batch,
    concurrency, stop timeout and the scaling numbers. `region`, `subnet_ids` and
    `security_group_ids` come from stack config; tasks never get a public IP, so the subnets
    need a NAT gateway or VPC endpoints. For SQS brokers `queue_url`, `queue_arn` and
    `queue_name` name the queue it consumes. `cluster`: an existing cluster (Container
    Insights on); default: a new cluster `qcap-<stack>` with Container Insights.
    `environment` and `secrets` (variable -> valueFrom) add to the container's environment;
    default: none. ECS takes a Secrets Manager secret by its full ARN and an SSM parameter by
    ARN or name (same region). `secret_access` lists, in ARNs known at the first preview, what
    the execution role may read for them and the key it may decrypt them with. `kms_key_arn`
    encrypts the log group with the stack key; default: CloudWatch Logs' own key.
    """

    plan: WorkloadPlan
    stack: str
    region: str
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    queue_url: pulumi.Input[str] | None = None
    queue_arn: pulumi.Input[str] | None = None
    queue_name: pulumi.Input[str] | None = None
    cluster: ClusterRef | None = None
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    kms_key_arn: pulumi.Input[str] | None = None
    secret_access: SecretAccess | None = None

    def __post_init__(self) -> None:
        plan = self.plan
        where = f"FargateConsumer {plan.name!r}"
        if plan.mode != ConsumerMode.service:
            raise ValueError(f"{where}: consumer mode is {str(plan.mode)!r}; use ScheduledConsumer for mode scheduled")
        if plan.broker not in CONSUMER_BROKERS:
            raise ValueError(f"{where}: broker {str(plan.broker)!r}; allowed: {', '.join(CONSUMER_BROKERS)}")
        if plan.broker in SQS_BROKERS and None in (self.queue_url, self.queue_arn, self.queue_name):
            raise ValueError(f"{where}: set `queue_url`, `queue_arn` and `queue_name` for broker {plan.broker}")
        if not plan.image:
            raise ValueError(f"{where}: the plan has no consumer image (consumer.image in the profile)")
        if not self.subnet_ids:
            raise ValueError(f"{where}: no subnets; set `pulumi config set --path 'qcap:subnetIds[0]' subnet-...`")
        if not self.security_group_ids:
            raise ValueError(
                f"{where}: no security groups; set `pulumi config set --path 'qcap:securityGroupIds[0]' sg-...`"
            )
        if plan.scaling is None or plan.service is None:
            raise ValueError(f"{where}: the plan has no autoscaling (target_backlog_per_task)")
        check_fargate_size(plan)

    @property
    def redis(self) -> bool:
        return self.plan.broker == Broker.redis


class FargateConsumer(ConsumerComponent):
    """Cluster (or an existing one), task, service without public IP, and backlog-per-task autoscaling."""

    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    scaling_policy_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: FargateConsumerArgs, opts: pulumi.ResourceOptions | None = None):
        plan = args.plan
        super().__init__("qcap:aws:FargateConsumer", name, plan, args.stack, args.cluster, opts)
        if args.redis:
            queue_url, statements = None, [metric_statement(Broker.redis)]
        else:
            queue_url, statements = args.queue_url, [sqs_consumer_statement(args.queue_arn),
                                                     metric_statement(plan.broker)]
        statements.append(task_protection_statement(self.cluster_name, args.region))
        task = self._create_task(name, plan, args.stack, args.region, queue_url, args.environment, args.secrets,
                                 statements, args.kms_key_arn, args.secret_access)
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=plan.name,
            cluster=self.cluster_arn,
            task_definition=task.task_definition.arn,
            desired_count=deploy_min_capacity(plan),
            launch_type="FARGATE",
            network_configuration={
                "subnets": list(args.subnet_ids),
                "security_groups": list(args.security_group_ids),
                "assign_public_ip": False,
            },
            deployment_circuit_breaker={"enable": True, "rollback": True},
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            tags=workload_tags(plan, args.stack, "service"),
            # Autoscaling owns the desired count once the service exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"]),
        )
        self.service_name = self.service.name
        self.service_arn = self.service.arn
        self.task_definition_arn = task.task_definition.arn
        self.task_role_arn = task.task_role.arn
        scaling = create_scaling(name, ScalingSpec(plan, args.stack, self.cluster_name, self.service.name,
                                                   None if args.redis else args.queue_name), self._child)
        self.scheduled_actions = scaling.scheduled_actions
        self.scaling_policy_arns = scaling.policy_arns
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "cluster_name": self.cluster_name,
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "task_role_arn": self.task_role_arn,
                "scaling_policy_arns": self.scaling_policy_arns,
            }
        )
