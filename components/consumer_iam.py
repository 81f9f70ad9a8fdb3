"""The consumer task's two roles and the statements they may carry.

The execution role lets ECS pull the image, write logs and read the task's secrets; the task
role is what the worker's code may do, and nothing more: its own queue (SQS), its own metric
namespace, scale-in protection of its own cluster's tasks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from capacity import contract, limits
from capacity.names import fit_name
from capacity.plan import WorkloadPlan
from components.stack_key import known_arn

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


@dataclass(frozen=True)
class SecretAccess:
    """What the execution role may read for the task's secrets, as ARNs known at the first preview.

    `secrets`: Secrets Manager ARNs (patterns such as `name-??????`, the suffix AWS adds);
    `parameters`: SSM parameter ARNs; `kms_key_arn`: the key the secrets are encrypted with
    (None: Secrets Manager's AWS managed key, which needs no grant).
    """

    secrets: Sequence[pulumi.Input[str]] = ()
    parameters: Sequence[pulumi.Input[str]] = ()
    kms_key_arn: pulumi.Input[str] | None = None

    @property
    def resources(self) -> list[pulumi.Input[str]]:
        return [*self.secrets, *self.parameters]


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


def role_name(stack: str, plan: WorkloadPlan, purpose: str) -> str:
    """qcap-<stack>-<workload>-<purpose>, fitted to IAM's 64 characters.

    Named explicitly, not autonamed: Pulumi's `<logical name>-` + 7 hex passes 64 for long
    lane names, and IAM names are per account, so the stack is in the name.
    """
    return fit_name(f"qcap-{stack}-{plan.name}", limits.IAM_ROLE_NAME_MAX_CHARS, suffix=f"-{purpose}")


def role_arn(role: aws.iam.Role) -> pulumi.Output[str]:
    """arn:<partition>:iam::<account>:role/<name>: known at the first preview once the role's name is an input."""
    return known_arn("iam", pulumi.Output.concat("role/", role.name), with_region=False)


def secrets_key_statement(region: pulumi.Input[str], access: SecretAccess) -> dict[str, Any]:
    """kms:Decrypt for ECS reading the task's secrets: only through Secrets Manager, only for those secrets.

    Secrets Manager decrypts with the caller's credentials and the secret's ARN as encryption context,
    so the condition names the secrets; the resource is the key when its ARN is a string (a configured
    key), else any key of the account: the key's ARN is not known before it exists, and a policy that
    waited for it could not be checked at a new stack's first preview.
    """
    key = access.kms_key_arn
    return {
        "Sid": "DecryptTaskSecrets",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [key] if isinstance(key, str) else [known_arn("kms", "key/*", region=region)],
        "Condition": {
            "StringEquals": {"kms:ViaService": pulumi.Output.concat("secretsmanager.", region, ".amazonaws.com")},
            "StringLike": {"kms:EncryptionContext:SecretARN": list(access.secrets)},
        },
    }


def create_execution_role(name: str, stack: str, plan: WorkloadPlan, tags: Mapping[str, str],
                          secrets: Mapping[str, pulumi.Input[str]], access: SecretAccess | None,
                          opts: pulumi.ResourceOptions, region: pulumi.Input[str]) -> aws.iam.Role:
    """The role ECS uses to start the task; it may read what `access` lists (else the secrets' valueFrom)
    and decrypt those secrets' key."""
    role = aws.iam.Role(
        f"{name}-execution-role",
        name=role_name(stack, plan, "execution"),
        assume_role_policy=assume_role_policy(ECS_TASKS_PRINCIPAL),
        description=f"qcap {stack}/{plan.name}: pulls the image, writes logs, reads the task's secrets",
        tags=dict(tags),
        opts=opts,
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-execution-role-policy",
        role=role.name,
        policy_arn=EXECUTION_ROLE_POLICY_ARN,
        opts=opts,
    )
    if secrets:
        access = access or SecretAccess()
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadTaskSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
                "Resource": access.resources or [secrets[k] for k in sorted(secrets)],
            }
        ]
        if access.kms_key_arn is not None and access.secrets:
            statements.append(secrets_key_statement(region, access))
        aws.iam.RolePolicy(
            f"{name}-execution-secrets",
            role=role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=opts,
        )
    return role


def create_task_role(name: str, stack: str, plan: WorkloadPlan, tags: Mapping[str, str],
                     statements: Sequence[Mapping[str, Any]], opts: pulumi.ResourceOptions) -> aws.iam.Role:
    """The role the worker's code runs with: exactly `statements`."""
    role = aws.iam.Role(
        f"{name}-task-role",
        name=role_name(stack, plan, "task"),
        assume_role_policy=assume_role_policy(ECS_TASKS_PRINCIPAL),
        description=f"qcap {stack}/{plan.name}: what the consumer code may do, and nothing more",
        tags=dict(tags),
        opts=opts,
    )
    if statements:
        aws.iam.RolePolicy(
            f"{name}-task-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)}),
            opts=opts,
        )
    return role


def sqs_consumer_statement(queue_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The consumer's only SQS permissions: receive, delete, change visibility, read attributes, on its queue."""
    return {
        "Sid": "ConsumeOwnQueue",
        "Effect": "Allow",
        "Action": list(CONSUMER_SQS_ACTIONS),
        "Resource": [queue_arn],
    }


def metric_statement(broker: str) -> dict[str, Any]:
    """The worker publishes its metrics, only in its broker's namespace (contract.worker_namespace): a Redis
    worker its queue's and its own in qcap/Redis, an SQS worker its own in qcap/Worker.

    PutMetricData has no resource-level permissions (Resource must be "*"), so the `cloudwatch:namespace`
    condition is the limit AWS offers.
    """
    return {
        "Sid": "PublishQueueMetrics" if broker == contract.REDIS else "PublishWorkerMetrics",
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": contract.worker_namespace(broker)}},
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
