"""A consumer task that EventBridge Scheduler starts on the plan's interval (seed 002).

Each run takes at most the plan's batch limit with the plan's concurrency and stops receiving
at its deadline (BATCH_LIMIT, CONCURRENCY and RUN_DEADLINE_SECONDS in the container's
environment, from the builder the service uses; the worker then exits by itself), so a run
ends inside its interval and stays under the sink's rate and connection limits, as the
planner checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from capacity import limits
from capacity.contract import ConsumerMode
from capacity.names import fit_name
from capacity.plan import WorkloadPlan
from components.consumer_base import SQS_BROKERS, ClusterRef, ConsumerComponent, check_fargate_size
from components.consumer_iam import (
    ECS_TASKS_PRINCIPAL, assume_role_policy, metric_statement, role_arn, role_name, sqs_consumer_statement,
)
from components.consumer_task import task_family
from components.stack_key import known_arn
from components.tags import workload_tags

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
SECONDS_PER_MINUTE = limits.SECONDS_PER_MINUTE
# Tasks one scheduled run starts.
TASKS_PER_RUN = 1
# A failed RunTask (capacity, throttling) is retried twice; a run is dropped once the next
# one is due (maximum event age = the interval), so runs never pile up. Our choice.
SCHEDULE_RETRY_ATTEMPTS = 2


def schedule_name(stack: str, plan: WorkloadPlan) -> str:
    """qcap-<stack>-<workload>, fitted to EventBridge Scheduler's 64 characters."""
    return fit_name(f"qcap-{stack}-{plan.name}", limits.SCHEDULER_SCHEDULE_NAME_MAX_CHARS)


def rate_expression(interval_seconds: int) -> str:
    """EventBridge Scheduler's rate expression for an interval: rate(1 minute), rate(5 minutes)."""
    if interval_seconds % SECONDS_PER_MINUTE:
        raise ValueError(
            f"interval_seconds {interval_seconds} is not a whole number of minutes; EventBridge Scheduler rates "
            "count whole minutes (use 60, 120, 300, ...)"
        )
    minutes = interval_seconds // SECONDS_PER_MINUTE
    return f"rate({minutes} minute{'s' if minutes != 1 else ''})"


def schedule_key_statements(args: ScheduledConsumerArgs) -> list[dict[str, object]]:
    """kms:Decrypt on the schedule's key: EventBridge Scheduler decrypts a schedule under a customer key with
    the schedule role's credentials when a run is due (without it no run starts).

    By ARN when it is a string (a configured key); by alias (kms:ResourceAliases) when the stack creates the
    key, so the policy is known at a new stack's first preview; by the key's ARN output otherwise."""
    if args.kms_key_arn is None:
        return []
    statement: dict[str, object] = {"Sid": "DecryptSchedule", "Effect": "Allow", "Action": ["kms:Decrypt"],
                                    "Resource": [args.kms_key_arn]}
    if not isinstance(args.kms_key_arn, str) and args.kms_key_alias:
        statement["Resource"] = [known_arn("kms", "key/*", args.region)]
        statement["Condition"] = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [args.kms_key_alias]}}
    return [statement]


@dataclass(frozen=True)
class ScheduledConsumerArgs:
    """What a ScheduledConsumer needs.

    `plan` (mode `scheduled`, broker sqs or sqs-fifo) gives the interval, batch limit,
    concurrency, image and task size. `queue_url` and `queue_arn` name the queue a run drains.
    `region`, `subnet_ids` and `security_group_ids` come from stack config (no public IP).
    `cluster`: an existing cluster; default: a new cluster `qcap-<stack>`. `kms_key_arn`:
    the stack key for the schedule and the log group; default: AWS-owned keys. `kms_key_alias`:
    the key's alias when the stack creates it, so the schedule role's grant on the key is known
    before the key's ARN is.
    """

    plan: WorkloadPlan
    stack: str
    region: str
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    queue_url: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    cluster: ClusterRef | None = None
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    kms_key_arn: pulumi.Input[str] | None = None
    kms_key_alias: str | None = None

    def __post_init__(self) -> None:
        plan = self.plan
        where = f"ScheduledConsumer {plan.name!r}"
        if plan.mode != ConsumerMode.scheduled:
            raise ValueError(f"{where}: consumer mode is {str(plan.mode)!r}; use FargateConsumer for mode service")
        if plan.broker not in SQS_BROKERS:
            raise ValueError(f"{where}: broker {str(plan.broker)!r}; allowed: {', '.join(SQS_BROKERS)}")
        if plan.scheduled is None:
            raise ValueError(f"{where}: the plan has no scheduled runs (interval_seconds, batch_limit, max_concurrency)")
        if not plan.image:
            raise ValueError(f"{where}: the plan has no consumer image (consumer.image in the profile)")
        if not self.subnet_ids or not self.security_group_ids:
            raise ValueError(f"{where}: set qcap:subnetIds and qcap:securityGroupIds in the stack config")
        rate_expression(plan.scheduled.interval_seconds)
        check_fargate_size(plan)


class ScheduledConsumer(ConsumerComponent):
    """The consumer task, a scheduler role allowed to run only it, and the schedule."""

    schedule_arn: pulumi.Output[str]
    schedule_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ScheduledConsumerArgs, opts: pulumi.ResourceOptions | None = None):
        plan = args.plan
        super().__init__("qcap:aws:ScheduledConsumer", name, plan, args.stack, args.cluster, opts)
        child = self._child
        task = self._create_task(name, plan, args.stack, args.region, args.queue_url, args.environment, args.secrets,
                                 [sqs_consumer_statement(args.queue_arn), metric_statement(plan.broker)],
                                 args.kms_key_arn)

        role = aws.iam.Role(
            f"{name}-schedule-role",
            name=role_name(args.stack, plan, "schedule"),
            assume_role_policy=assume_role_policy(SCHEDULER_PRINCIPAL),
            description=f"qcap {args.stack}/{plan.name}: lets EventBridge Scheduler start the consumer task",
            tags=workload_tags(plan, args.stack, "role"),
            opts=child,
        )
        # RunTask on this family in this cluster, with ARNs built from names, so the policy is known at the first
        # preview; PassRole names the two roles, whose ARNs are known before creation only once they are named.
        aws.iam.RolePolicy(
            f"{name}-schedule-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "RunConsumerTask",
                            "Effect": "Allow",
                            "Action": ["ecs:RunTask"],
                            "Resource": [known_arn("ecs", f"task-definition/{task_family(args.stack, plan)}:*",
                                                   args.region)],
                            "Condition": {"ArnEquals": {"ecs:cluster": known_arn(
                                "ecs", pulumi.Output.concat("cluster/", self.cluster_name), args.region)}},
                        },
                        *schedule_key_statements(args),
                    ],
                }
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-schedule-pass-roles",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PassConsumerRoles",
                            "Effect": "Allow",
                            "Action": ["iam:PassRole"],
                            "Resource": [role_arn(task.execution_role), role_arn(task.task_role)],
                            "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS_PRINCIPAL}},
                        },
                    ],
                }
            ),
            opts=child,
        )
        schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=schedule_name(args.stack, plan),
            description=(
                f"{plan.name}: a run every {plan.scheduled.interval_seconds} s takes up to {plan.scheduled.batch_limit} messages "
                f"with concurrency {plan.scheduled.max_concurrency}"
            ),
            schedule_expression=rate_expression(plan.scheduled.interval_seconds),
            flexible_time_window={"mode": "OFF"},
            kms_key_arn=args.kms_key_arn,
            state="ENABLED",
            target={
                "arn": self.cluster_arn,
                "role_arn": role.arn,
                "ecs_parameters": {
                    "task_definition_arn": task.task_definition.arn,
                    "launch_type": "FARGATE",
                    "task_count": TASKS_PER_RUN,
                    "network_configuration": {
                        "subnets": list(args.subnet_ids),
                        "security_groups": list(args.security_group_ids),
                        "assign_public_ip": False,
                    },
                },
                "retry_policy": {
                    "maximum_event_age_in_seconds": plan.scheduled.interval_seconds,
                    "maximum_retry_attempts": SCHEDULE_RETRY_ATTEMPTS,
                },
            },
            opts=child,
        )
        self.schedule_arn = schedule.arn
        self.schedule_name = schedule.name
        self.task_definition_arn = task.task_definition.arn
        self.register_outputs(
            {
                "schedule_arn": self.schedule_arn,
                "schedule_name": self.schedule_name,
                "task_definition_arn": self.task_definition_arn,
                "cluster_arn": self.cluster_arn,
                "cluster_name": self.cluster_name,
            }
        )
