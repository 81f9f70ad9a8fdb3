"""The consumer's task definition: log group, roles and the one container, from a WorkloadPlan.

The container's root filesystem is read-only (scratch space is a task volume at /tmp), its
logs go to a log group per workload, and its stop timeout is the plan's, which covers a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from capacity import limits
from capacity.plan import WorkloadPlan
from components.consumer_iam import SecretAccess, create_execution_role, create_task_role
from components.tags import Role, workload_tags

CONTAINER_NAME = "consumer"
# The root filesystem is read-only; the worker writes scratch files under /tmp, a task volume.
SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"
ARCHITECTURES = {"x86_64": "X86_64", "arm64": "ARM64"}


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
    # What the execution role may read and decrypt for `secrets`, in ARNs known at the first preview.
    secret_access: SecretAccess | None = None


@dataclass
class ConsumerTask:
    """The resources behind one consumer task definition."""

    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    task_role: aws.iam.Role
    task_definition: aws.ecs.TaskDefinition


def log_group_name(stack: str, plan: WorkloadPlan) -> str:
    return f"/qcap/{stack}/{plan.name}"


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
    execution_role = create_execution_role(name, stack, plan, tags("role"), spec.secrets, spec.secret_access, child,
                                           spec.region)
    task_role = create_task_role(name, stack, plan, tags("role"), spec.task_role_statements, child)
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
