"""What the AWS services a stack relies on will call: EventBridge Scheduler starting tasks, CloudWatch
alarms publishing to their topics, CloudWatch Logs encrypting log groups.

EventBridge Scheduler assumes the schedule's role, runs the task definition in the target cluster,
passes the task's two roles to ECS, and decrypts the schedule with its key. A CloudWatch alarm
publishes as cloudwatch.amazonaws.com: the topic policy must let it, and a topic under a KMS key
needs the key policy to let CloudWatch generate and decrypt data keys. CloudWatch Logs uses a log
group's key as logs.<region>.amazonaws.com, with the log group's ARN as encryption context. Pure.
"""

from __future__ import annotations

from typing import Any

from policies.access_calls import (
    CLOUDWATCH_SERVICE, ECS_TASKS_SERVICE, SCHEDULER_SERVICE, Call, base_context, kms_calls, kms_context,
    role_principal, service_principal,
)
from policies.access_resources import AccessResource
from policies.access_stack import Stack
from policies.iam_conditions import ABSENT, UNKNOWN
from policies.iam_match import HOLE
from policies.rules_base import ECS_CLUSTER, ECS_TASK_DEFINITION, IAM_ROLE, SNS_TOPIC

ALARM_ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")
TOPIC_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
LOGS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
FIX_SCHEDULER = "grant it in the schedule role's policy (components/scheduled_consumer.py)"
FIX_KEY = "allow it in the key policy (components/stack_key.py, key_policy)"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def schedule_calls(stack: Stack, schedule: AccessResource) -> list[Call]:
    """The schedule role's calls when a run is due, and its trust for scheduler.amazonaws.com."""
    target = _dict(schedule.get("target"))
    ecs = _dict(target.get("ecsParameters"))
    if not ecs:
        return []
    region = stack.region_of(schedule)
    role = stack.find(target.get("roleArn"), schedule.deps("target"), IAM_ROLE)
    schedule_arn = stack.arn_of(schedule)
    if role is None:
        who = service_principal(SCHEDULER_SERVICE, "EventBridge Scheduler")
        return [Call(who, "ecs:RunTask", "", schedule.label, "EventBridge Scheduler starts the task",
                     undecided="the schedule's role is not created by this stack")]
    scheduler = service_principal(SCHEDULER_SERVICE, "EventBridge Scheduler")
    trust_context = {**base_context(stack, scheduler, role, region), "aws:sourcearn": schedule_arn,
                     "aws:sourceaccount": stack.env.account if stack.env else UNKNOWN}
    calls = [Call(scheduler, "sts:AssumeRole", stack.arn_of(role), f"schedule role {role.name}",
                  "EventBridge Scheduler assumes the schedule's role", "trust", trust_context,
                  resource_policy=stack.trust_policy(role), fix="let scheduler.amazonaws.com assume it")]
    principal = role_principal(stack, role, "schedule")
    identity = tuple(stack.identity_policies(role))
    definition = stack.find(ecs.get("taskDefinitionArn"), schedule.deps("target"), ECS_TASK_DEFINITION)
    cluster = stack.find(target.get("arn"), schedule.deps("target"), ECS_CLUSTER)
    cluster_arn = target.get("arn") if isinstance(target.get("arn"), str) else (
        stack.arn_of(cluster) if cluster else HOLE)
    definition_arn = ecs.get("taskDefinitionArn") if isinstance(ecs.get("taskDefinitionArn"), str) else (
        stack.arn_of(definition) if definition else HOLE)
    context = {**base_context(stack, principal, definition, region, role), "ecs:cluster": cluster_arn,
               "ecs:capacity-provider": ABSENT, "ecs:enable-execute-command": "false"}
    why = "EventBridge Scheduler starts a run of the task"
    calls.append(Call(principal, "ecs:RunTask", definition_arn, f"task definition {definition_arn.split('/')[-1]}"
                      if HOLE not in definition_arn else "the consumer's task definition", why, context=context,
                      identity=identity, fix=FIX_SCHEDULER))
    if ecs.get("enableEcsManagedTags") or ecs.get("propagateTags") or ecs.get("tags"):
        calls.append(Call(principal, "ecs:TagResource", stack.env.arn("ecs", f"task/*/{HOLE}", region)
                          if stack.env else HOLE, "the task it starts", "RunTask with tags needs ecs:TagResource",
                          context=context, identity=identity, fix=FIX_SCHEDULER))
    if definition is not None:
        for key, purpose in (("executionRoleArn", "execution"), ("taskRoleArn", "task")):
            passed = stack.linked(definition, key, IAM_ROLE)
            arn = definition.get(key) if isinstance(definition.get(key), str) else (
                stack.arn_of(passed) if passed else HOLE)
            if not arn:
                continue
            pass_context = {**base_context(stack, principal, passed, region, role),
                            "iam:passedtoservice": ECS_TASKS_SERVICE, "iam:associatedresourcearn": UNKNOWN}
            calls.append(Call(principal, "iam:PassRole", arn, f"{purpose} role {arn.rsplit('/', 1)[-1]}",
                              f"RunTask passes the task's {purpose} role to ECS", context=pass_context,
                              identity=identity, fix=FIX_SCHEDULER))
    if schedule.get("kmsKeyArn"):
        ref = stack.key(schedule.get("kmsKeyArn"), schedule.deps("kmsKeyArn"))
        kms = {**base_context(stack, principal, None, region, role), **kms_context(stack, ref, None, None,
                                                                                    principal.account)}
        kms["kms:viaservice"] = UNKNOWN
        calls += kms_calls(stack, principal, ref, ("kms:Decrypt",),
                           "EventBridge Scheduler decrypts the schedule with the role's credentials", kms, identity,
                           FIX_SCHEDULER)
    return calls


def alarm_calls(stack: Stack, alarm: AccessResource) -> list[Call]:
    """CloudWatch publishing each of the alarm's SNS actions, and using the topic's key."""
    cloudwatch = service_principal(CLOUDWATCH_SERVICE, "CloudWatch alarms")
    region = stack.region_of(alarm)
    alarm_arn = stack.arn_of(alarm)
    calls: list[Call] = []
    seen: set[str] = set()
    for key in ALARM_ACTION_KEYS:
        actions = alarm.get(key)
        for action in actions if isinstance(actions, list) else []:
            if not isinstance(action, str) or ":sns:" not in action or action in seen:
                continue
            seen.add(action)
            topic = stack.find(action, alarm.deps(key), SNS_TOPIC)
            context = {**base_context(stack, cloudwatch, topic, region), "aws:sourcearn": alarm_arn,
                       "aws:sourceaccount": stack.env.account if stack.env else UNKNOWN}
            why = f"alarm {alarm.text('name') or alarm.name} notifies its topic"
            calls.append(Call(cloudwatch, "sns:Publish", action, f"topic {action.rsplit(':', 1)[-1]}", why,
                              context=context, resource_policy=stack.resource_policy(topic) if topic else None,
                              fix="allow it in the topic policy (components/queue_alarms.py, topic_policy)",
                              undecided="" if topic else f"topic {action} is not created by this stack"))
            if topic is None or not topic.get("kmsMasterKeyId"):
                continue
            ref = stack.key(topic.get("kmsMasterKeyId"), topic.deps("kmsMasterKeyId"))
            if ref.kind == "aws-managed":
                calls.append(Call(cloudwatch, "kms:GenerateDataKey", ref.label, ref.label, why, "kms",
                                  problem=f"topic {topic.name} is encrypted with {ref.label}, whose policy AWS fixes "
                                          "and which lets no alarm use it",
                                  fix="encrypt the topic with a customer key whose policy allows cloudwatch.amazonaws.com"))
                continue
            kms = {**context, **kms_context(stack, ref, {"aws:sns:topicArn": action}, None, None)}
            calls += kms_calls(stack, cloudwatch, ref, TOPIC_KEY_ACTIONS, f"{why} (an encrypted topic)", kms, (),
                               FIX_KEY)
    return calls


def log_group_calls(stack: Stack, group: AccessResource) -> list[Call]:
    """CloudWatch Logs encrypting and reading a log group under a customer key."""
    if not group.get("kmsKeyId"):
        return []
    region = stack.region_of(group)
    logs = service_principal(f"logs.{region}.amazonaws.com", "CloudWatch Logs")
    ref = stack.key(group.get("kmsKeyId"), group.deps("kmsKeyId"))
    why = f"CloudWatch Logs encrypts log group {group.text('name') or group.name}"
    if ref.kind == "aws-managed":
        return [Call(logs, "kms:GenerateDataKey", ref.label, ref.label, why, "kms",
                     problem=f"CloudWatch Logs cannot use {ref.label}: it takes a customer managed key",
                     fix="set kmsKeyId to the stack's customer key")]
    context = {**base_context(stack, logs, None, region), "aws:sourcearn": UNKNOWN, "aws:sourceaccount": UNKNOWN,
               **kms_context(stack, ref, {"aws:logs:arn": stack.arn_of(group)}, None, None)}
    return kms_calls(stack, logs, ref, LOGS_KEY_ACTIONS, why, context, (), FIX_KEY)
