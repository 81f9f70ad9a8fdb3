"""A Fargate consumer service that autoscales on backlog per task, built from a WorkloadPlan.

The service tracks (visible + in flight) / running tasks against the plan's target (metric
math; running tasks from Container Insights), and when the plan lets it rest at zero tasks a
step policy on queue depth brings it back to one, because backlog per task is undefined at
zero. The task runs without a public IP, with a role that may only receive, delete, change
visibility and read attributes of its own queue, and a stop timeout that covers a batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from capacity import limits
from capacity.plan import WorkloadPlan
from capacity.fargate import fargate_size_problem
from components.queue_alarms import (
    CONTAINER_INSIGHTS_NAMESPACE,
    REDIS_DEPTH_METRIC,
    REDIS_NAMESPACE,
    SQS_NAMESPACE,
    redis_dimensions,
)
from capacity.names import fit_name
from components.stack_key import known_arn
from components.tags import Role, stack_tags, workload_tags

CONTAINER_NAME = "consumer"
# The root filesystem is read-only; the worker writes scratch files under /tmp, a task volume.
SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"
ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
EXECUTION_ROLE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
# The only SQS actions a consumer needs on its own queue (least privilege).
CONSUMER_SQS_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
)
# What the ECS agent's task-protection endpoint calls with the task role's credentials:
# the worker holds scale-in protection while it holds messages (docs/workers.md).
TASK_PROTECTION_ACTIONS = ("ecs:GetTaskProtection", "ecs:UpdateTaskProtection")
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
SQS_BROKERS = ("sqs", "sqs-fifo")
CONSUMER_BROKERS = (*SQS_BROKERS, "redis")
ARCHITECTURES = {"x86_64": "X86_64", "arm64": "ARM64"}
# The metric-math expressions autoscaling tracks (ids are the metric query ids below).
SQS_BACKLOG_PER_TASK_EXPRESSION = "(visible + inflight) / tasks"
REDIS_BACKLOG_PER_TASK_EXPRESSION = "depth / tasks"
# Waiting messages while no task runs (FILL: no task publishes no datapoint).
SQS_DEPTH_AT_ZERO_EXPRESSION = "IF(FILL(tasks, 0) == 0, visible, 0)"
REDIS_DEPTH_AT_ZERO_EXPRESSION = "IF(FILL(tasks, 0) == 0, depth, 0)"
SCALE_FROM_ZERO_THRESHOLD_MESSAGES = 1
SCALE_FROM_ZERO_STEP_TASKS = 1


def assume_role_policy(service_principal: str) -> str:
    """A trust policy letting one AWS service assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service_principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def cluster_name_from_arn(cluster_arn: str) -> str:
    """The cluster name at the end of an ECS cluster ARN (arn:aws:ecs:<region>:<acct>:cluster/<name>)."""
    if ":cluster/" not in cluster_arn:
        raise ValueError(f"{cluster_arn!r} is not an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)")
    return cluster_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ClusterRef:
    """An ECS cluster to run in: its ARN and name (Container Insights metrics use the name)."""

    arn: pulumi.Input[str]
    name: pulumi.Input[str]

    @staticmethod
    def from_arn(cluster_arn: str) -> ClusterRef:
        return ClusterRef(arn=cluster_arn, name=cluster_name_from_arn(cluster_arn))


def create_cluster(
    name: str, stack: str, environment: str, opts: pulumi.ResourceOptions | None = None
) -> ClusterRef:
    """The stack's ECS cluster `qcap-<stack>`, with Container Insights (the scaling metric needs it)."""
    cluster = aws.ecs.Cluster(
        name,
        name=f"qcap-{stack}",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        tags=stack_tags(stack, environment, "cluster"),
        opts=opts,
    )
    return ClusterRef(arn=cluster.arn, name=cluster.name)


def check_fargate_size(plan: WorkloadPlan) -> None:
    """Fail before creating anything when task_cpu / task_memory_mib is not a Fargate combination."""
    problem = fargate_size_problem(plan.task_cpu, plan.task_memory_mib)
    if problem:
        raise ValueError(f"workload {plan.name!r}: {problem}")


# --- the task: log group, roles, task definition (shared with ScheduledConsumer) -------


@dataclass(frozen=True)
class TaskSpec:
    """Everything a consumer task definition needs besides its owner and name."""

    plan: WorkloadPlan
    stack: str
    region: str
    environment: Mapping[str, pulumi.Input[str]]
    secrets: Mapping[str, pulumi.Input[str]]
    task_role_statements: Sequence[Mapping[str, Any]]
    kms_key_arn: pulumi.Input[str] | None = None
    # What the execution role may read for `secrets` when their valueFrom is a name, not an ARN.
    secret_resources: Sequence[pulumi.Input[str]] = ()


@dataclass
class ConsumerTask:
    """The resources behind one consumer task definition."""

    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    task_role: aws.iam.Role
    task_definition: aws.ecs.TaskDefinition


def log_group_name(stack: str, plan: WorkloadPlan) -> str:
    return f"/qcap/{stack}/{plan.name}"


def role_name(stack: str, plan: WorkloadPlan, purpose: str) -> str:
    """qcap-<stack>-<workload>-<purpose>, fitted to IAM's 64 characters.

    Named explicitly: Pulumi's autoname (`<logical name>-` + 7 hex) of `<lane>-execution-role`
    passed 64 for lanes over 41 characters (issue 14), and IAM names are per account, so the
    stack is in the name.
    """
    return fit_name(f"qcap-{stack}-{plan.name}", limits.IAM_ROLE_NAME_MAX_CHARS, suffix=f"-{purpose}")
def log_retention_days(environment: str) -> int:
    """A year of consumer logs in prod (incident reviews, audits: checkov CKV_AWS_338), a month elsewhere."""
    return limits.LOG_RETENTION_DAYS_PROD if environment == "prod" else limits.LOG_RETENTION_DAYS


def task_family(stack: str, plan: WorkloadPlan) -> str:
    return f"qcap-{stack}-{plan.name}"


def container_definitions(spec: TaskSpec, log_group: pulumi.Input[str]) -> pulumi.Output[str]:
    """The one-container definition list as JSON: image, environment, secrets, logs, stop timeout."""
    plan = spec.plan
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": plan.image,
        "essential": True,
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}],
        "environment": [{"name": k, "value": v} for k, v in sorted(spec.environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(spec.secrets.items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": spec.region,
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
    }
    if plan.service is not None:
        container["stopTimeout"] = plan.service.stop_timeout_seconds
    return pulumi.Output.json_dumps([container])


def create_consumer_task(owner: pulumi.Resource, name: str, spec: TaskSpec) -> ConsumerTask:
    """Log group, execution role, least-privilege task role and the task definition, as children of `owner`."""
    plan, stack = spec.plan, spec.stack
    child = pulumi.ResourceOptions(parent=owner)

    def tags(role: Role) -> dict[str, str]:
        return workload_tags(plan, stack, role)

    log_group = aws.cloudwatch.LogGroup(
        f"{name}-log",
        name=log_group_name(stack, plan),
        retention_in_days=log_retention_days(plan.environment),
        kms_key_id=spec.kms_key_arn,
        tags=tags("log"),
        opts=child,
    )
    execution_role = aws.iam.Role(
        f"{name}-execution-role",
        name=role_name(stack, plan, "execution"),
        assume_role_policy=assume_role_policy(ECS_TASKS_PRINCIPAL),
        description=f"qcap {stack}/{plan.name}: pulls the image, writes logs, reads the task's secrets",
        tags=tags("role"),
        opts=child,
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-execution-role-policy",
        role=execution_role.name,
        policy_arn=EXECUTION_ROLE_POLICY_ARN,
        opts=child,
    )
    if spec.secrets:
        aws.iam.RolePolicy(
            f"{name}-execution-secrets",
            role=execution_role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadTaskSecrets",
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
                            "Resource": list(spec.secret_resources) or [spec.secrets[k] for k in sorted(spec.secrets)],
                        }
                    ],
                }
            ),
            opts=child,
        )
    task_role = aws.iam.Role(
        f"{name}-task-role",
        name=role_name(stack, plan, "task"),
        assume_role_policy=assume_role_policy(ECS_TASKS_PRINCIPAL),
        description=f"qcap {stack}/{plan.name}: what the consumer code may do, and nothing more",
        tags=tags("role"),
        opts=child,
    )
    if spec.task_role_statements:
        aws.iam.RolePolicy(
            f"{name}-task-policy",
            role=task_role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(spec.task_role_statements)}),
            opts=child,
        )
    task_definition = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=task_family(stack, plan),
        cpu=str(plan.task_cpu),
        memory=str(plan.task_memory_mib),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": ARCHITECTURES[plan.architecture]},
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        container_definitions=container_definitions(spec, log_group.name),
        volumes=[{"name": SCRATCH_VOLUME}],
        tags=tags("task"),
        opts=child,
    )
    return ConsumerTask(log_group, execution_role, task_role, task_definition)


def sqs_consumer_statement(queue_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The consumer's only SQS permissions: receive, delete, change visibility, read attributes, on its queue."""
    return {
        "Sid": "ConsumeOwnQueue",
        "Effect": "Allow",
        "Action": list(CONSUMER_SQS_ACTIONS),
        "Resource": [queue_arn],
    }


def redis_metric_statement() -> dict[str, Any]:
    """Redis workers publish their queue metrics, only in the qcap/Redis namespace.

    PutMetricData has no resource-level permissions, so the namespace condition is the limit.
    """
    return {
        "Sid": "PublishQueueMetrics",
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": REDIS_NAMESPACE}},
    }


def task_protection_statement(cluster_name: pulumi.Input[str], region: pulumi.Input[str] | None = None) -> dict[str, Any]:
    """The worker may protect its own tasks from scale-in (through the ECS agent), nothing else.

    The ARN is built from the cluster's name, known before the cluster exists, so the pack can
    judge the policy at a new stack's first preview.
    """
    return {
        "Sid": "ProtectOwnTasksWhileBusy",
        "Effect": "Allow",
        "Action": list(TASK_PROTECTION_ACTIONS),
        "Resource": [known_arn("ecs", pulumi.Output.concat("task/", cluster_name, "/*"), region=region)],
    }


def worker_environment(plan: WorkloadPlan, stack: str, region: str) -> dict[str, str]:
    """What the reference worker (worker/) reads, from the plan: docs/workers.md lists each variable."""
    environment = {
        "QCAP_STACK": stack,
        "QCAP_WORKLOAD": plan.name,
        "AWS_REGION": region,
        "RECEIVE_BATCH": str(plan.receive_batch),
        "RECEIVE_WAIT_SECONDS": str(plan.receive_wait_seconds),
        "CONCURRENCY": str(plan.concurrency_per_task),
        "VISIBILITY_TIMEOUT_SECONDS": str(plan.visibility_timeout_seconds),
        "MAX_RECEIVE_COUNT": str(plan.max_receive_count),
        "STOP_TIMEOUT_SECONDS": str(plan.service.stop_timeout_seconds if plan.service else limits.ECS_DEFAULT_STOP_TIMEOUT_SECONDS),
    }
    if plan.cache is not None:
        environment["REDIS_POOL_SIZE"] = str(plan.cache.pool_size_per_task)
    return environment


# --- the service -------------------------------------------------------------------


@dataclass(frozen=True)
class FargateConsumerArgs:
    """What a FargateConsumer needs.

    `plan` (mode `service`, broker sqs, sqs-fifo or redis) gives the image, CPU/memory, batch,
    concurrency, stop timeout and the scaling numbers. `region`, `subnet_ids` and
    `security_group_ids` come from stack config; tasks never get a public IP, so the subnets
    need a NAT gateway or VPC endpoints. For SQS brokers `queue_url`, `queue_arn` and
    `queue_name` name the queue it consumes. `cluster`: an existing cluster (Container
    Insights on); default: a new cluster `qcap-<stack>` with Container Insights.
    `environment` and `secrets` (name -> Secrets Manager ARN) add to the container's
    environment; default: none. A secret's valueFrom may be a Secrets Manager secret or SSM
    parameter name (same region), known before either exists; then `secret_resources` lists
    the ARNs the execution role may read. `kms_key_arn` encrypts the log group with the stack
    key; default: CloudWatch Logs' own key.
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
    secret_resources: Sequence[pulumi.Input[str]] = ()

    def __post_init__(self) -> None:
        plan = self.plan
        where = f"FargateConsumer {plan.name!r}"
        if plan.mode != "service":
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
        return self.plan.broker == "redis"


class FargateConsumer(pulumi.ComponentResource):
    """Cluster (or an existing one), task, service without public IP, and backlog-per-task autoscaling."""

    cluster_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    scaling_policy_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: FargateConsumerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("qcap:aws:FargateConsumer", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        plan = args.plan

        cluster = args.cluster or create_cluster(f"{name}-cluster", args.stack, plan.environment, self._child)
        self.cluster_arn = pulumi.Output.from_input(cluster.arn)
        self.cluster_name = pulumi.Output.from_input(cluster.name)
        task = create_consumer_task(self, name, self._task_spec())
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=plan.name,
            cluster=self.cluster_arn,
            task_definition=task.task_definition.arn,
            desired_count=plan.min_capacity,
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
        self.scaling_policy_arns = self._create_scaling()
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

    def _task_spec(self) -> TaskSpec:
        args, plan = self._args, self._args.plan
        environment: dict[str, pulumi.Input[str]] = dict(worker_environment(plan, args.stack, args.region))
        if args.redis:
            environment["METRIC_NAMESPACE"] = REDIS_NAMESPACE
            environment["METRIC_NAME"] = REDIS_DEPTH_METRIC
            statements = [redis_metric_statement()]
        else:
            environment["QUEUE_URL"] = args.queue_url
            statements = [sqs_consumer_statement(args.queue_arn)]
        statements.append(task_protection_statement(self.cluster_name, args.region))
        environment.update(args.environment)
        return TaskSpec(plan, args.stack, args.region, environment, dict(args.secrets), statements, args.kms_key_arn,
                        tuple(args.secret_resources))

    # --- autoscaling -----------------------------------------------------------------

    def _depth_metrics(self, stat: str) -> list[dict[str, Any]]:
        """Metric queries for the queue's depth: visible + in flight (SQS) or the workers' QueueDepth."""
        args = self._args
        if args.redis:
            return [self._stat("depth", REDIS_NAMESPACE, REDIS_DEPTH_METRIC, redis_dimensions(args.stack, args.plan), stat)]
        dims = {"QueueName": args.queue_name}
        return [
            self._stat("visible", SQS_NAMESPACE, "ApproximateNumberOfMessagesVisible", dims, stat),
            self._stat("inflight", SQS_NAMESPACE, "ApproximateNumberOfMessagesNotVisible", dims, stat),
        ]

    def _tasks_metric(self) -> dict[str, Any]:
        dims = {"ClusterName": self.cluster_name, "ServiceName": self.service.name}
        return self._stat("tasks", CONTAINER_INSIGHTS_NAMESPACE, "RunningTaskCount", dims, "Average")

    @staticmethod
    def _stat(query_id: str, namespace: str, metric: str, dims: Mapping[str, Any], stat: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric_stat": {
                "stat": stat,
                "metric": {
                    "namespace": namespace,
                    "metric_name": metric,
                    "dimensions": [{"name": k, "value": v} for k, v in dims.items()],
                },
            },
        }

    def _create_scaling(self) -> list[pulumi.Output[str]]:
        args, plan = self._args, self._args.plan
        target = aws.appautoscaling.Target(
            f"{self._name}-scaling-target",
            service_namespace="ecs",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=pulumi.Output.concat("service/", self.cluster_name, "/", self.service.name),
            min_capacity=plan.min_capacity,
            max_capacity=plan.max_capacity,
            tags=workload_tags(plan, args.stack, "scaling"),
            # Scheduled actions move min capacity through the day; a deploy must not reset it.
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(ignore_changes=["minCapacity"]))
            if plan.scaling.scheduled_capacity else self._child,
        )
        expression = REDIS_BACKLOG_PER_TASK_EXPRESSION if args.redis else SQS_BACKLOG_PER_TASK_EXPRESSION
        tracking = aws.appautoscaling.Policy(
            f"{self._name}-scaling-backlog",
            name=f"qcap-{args.stack}-{plan.name}-backlog-per-task",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": plan.scaling.target_backlog_per_task,
                "scale_out_cooldown": plan.scaling.scale_out_cooldown_seconds,
                "scale_in_cooldown": plan.scaling.scale_in_cooldown_seconds,
                "customized_metric_specification": {
                    "metrics": [
                        *self._depth_metrics("Average"),
                        self._tasks_metric(),
                        {
                            "id": "backlogpertask",
                            "expression": expression,
                            "label": "backlog per task",
                            "return_data": True,
                        },
                    ]
                },
            },
            opts=self._child,
        )
        self.scheduled_actions = self._create_scheduled_capacity(target)
        arns = [tracking.arn]
        if plan.min_capacity == 0:
            arns.append(self._create_scale_from_zero(target))
        return arns

    def _create_scheduled_capacity(self, target: aws.appautoscaling.Target) -> list[aws.appautoscaling.ScheduledAction]:
        """One scheduled action per change of the plan's hourly min capacity, cron in the profile's time zone."""
        args, plan = self._args, self._args.plan
        actions = []
        for action in plan.scaling.scheduled_capacity:
            actions.append(aws.appautoscaling.ScheduledAction(
                f"{self._name}-min-{action.hour:02d}h",
                name=f"qcap-{args.stack}-{plan.name}-min-{action.hour:02d}h",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=action.cron,
                timezone=action.time_zone,
                scalable_target_action={"min_capacity": action.min_capacity, "max_capacity": plan.max_capacity},
                opts=self._child,
            ))
        return actions

    def _create_scale_from_zero(self, target: aws.appautoscaling.Target) -> pulumi.Output[str]:
        """Step policy and its alarm: messages waiting while no task runs start one task."""
        args, plan = self._args, self._args.plan
        step = aws.appautoscaling.Policy(
            f"{self._name}-scaling-from-zero",
            name=f"qcap-{args.stack}-{plan.name}-from-zero",
            policy_type="StepScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            step_scaling_policy_configuration={
                "adjustment_type": "ChangeInCapacity",
                "cooldown": plan.scaling.scale_out_cooldown_seconds,
                "metric_aggregation_type": "Maximum",
                "step_adjustments": [
                    {"metric_interval_lower_bound": "0", "scaling_adjustment": SCALE_FROM_ZERO_STEP_TASKS}
                ],
            },
            opts=self._child,
        )
        expression = REDIS_DEPTH_AT_ZERO_EXPRESSION if args.redis else SQS_DEPTH_AT_ZERO_EXPRESSION
        queries = [self._alarm_query(q) for q in self._depth_metrics("Maximum") if q["id"] != "inflight"]
        queries.append(self._alarm_query(self._tasks_metric()))
        queries.append({"id": "waiting", "expression": expression, "label": "waiting with no task", "return_data": True})
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-alarm-from-zero",
            name=f"qcap-{args.stack}-{plan.name}-from-zero",
            alarm_description=f"{plan.name}: messages wait and no task runs; start one (min_capacity is 0)",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=SCALE_FROM_ZERO_THRESHOLD_MESSAGES,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data="notBreaching",  # no queue datapoint: nothing waits
            metric_queries=queries,
            alarm_actions=[step.arn],
            tags=workload_tags(plan, args.stack, "alarm"),
            opts=self._child,
        )
        return step.arn

    @staticmethod
    def _alarm_query(query: dict[str, Any]) -> dict[str, Any]:
        """A scaling metric query in the shape a CloudWatch alarm takes."""
        stat = query["metric_stat"]
        return {
            "id": query["id"],
            "return_data": False,
            "metric": {
                "namespace": stat["metric"]["namespace"],
                "metric_name": stat["metric"]["metric_name"],
                "dimensions": {d["name"]: d["value"] for d in stat["metric"]["dimensions"]},
                "stat": stat["stat"],
                "period": limits.CLOUDWATCH_ALARM_PERIOD_SECONDS,
            },
        }
