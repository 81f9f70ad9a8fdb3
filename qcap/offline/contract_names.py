"""Physical names layer of the contract: every name a stack creates fits its service and is unique where it must be.

From the translated calls (and the Cloudflare registrations) it collects each physical
name with its kind, its length limit and its scope (account, region, cluster, role, ...).
A name Pulumi chooses (autonaming) is counted with the 8 characters Pulumi adds, a name_prefix
with the 26 characters the provider appends (Terraform's unique-id suffix). Two
resources with the same name in the same scope collide: the second create fails, or, for
CreateTopic and RegisterTaskDefinition, silently shares the first's resource.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from capacity import limits
from qcap.offline.contract_base import NAMES_LAYER, Checker, Resource
from qcap.offline.contract_calls import ApiCall
from qcap.offline.mock_resource_outputs import TERRAFORM_PREFIX_SUFFIX_CHARS

# Limits only the contract needs (others live in capacity/limits.py), each with its source.
# ECS CreateCluster / CreateService / RegisterTaskDefinition: names up to 255 characters.
ECS_NAME_MAX_CHARS = 255
# SNS CreateTopic: topic names up to 256 characters.
SNS_TOPIC_NAME_MAX_CHARS = 256
# Application Auto Scaling PutScalingPolicy PolicyName: up to 256 characters.
SCALING_POLICY_NAME_MAX_CHARS = 256
# IAM PutRolePolicy PolicyName: up to 128 characters.
IAM_POLICY_NAME_MAX_CHARS = 128
# Secrets Manager CreateSecret Name: up to 512 characters.
SECRET_NAME_MAX_CHARS = 512
# ElastiCache parameter and subnet group names: up to 255 characters.
ELASTICACHE_GROUP_NAME_MAX_CHARS = 255
# EC2 CreateSecurityGroup GroupName: up to 255 characters.
SECURITY_GROUP_NAME_MAX_CHARS = 255
# ElastiCache CreateReplicationGroup ReplicationGroupId: a letter first; letters, digits and
# hyphens; no trailing hyphen and no two hyphens in a row.
REPLICATION_GROUP_ID_PATTERN = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)")
# SQS CreateQueue QueueName: letters, digits, hyphens and underscores, plus ".fifo" for FIFO queues.
QUEUE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+(\.fifo)?")
DEFAULT_SCHEDULE_GROUP = "default"


@dataclass(frozen=True)
class NameKind:
    """Where a physical name sits in a call, its limit, how its scope is read, and the source."""

    kind: str
    param: str
    max_chars: int | None
    scope: Callable[[ApiCall], str]
    source: str
    pattern: re.Pattern[str] | None = None


def _region(_: ApiCall) -> str:
    return "account and region"


def _account(_: ApiCall) -> str:
    return "account (IAM is global)"


NAME_KINDS: dict[str, NameKind] = {
    "CreateQueue": NameKind("SQS queue", "QueueName", limits.SQS_QUEUE_NAME_MAX_CHARS, _region,
                            "SQS API reference, CreateQueue", QUEUE_NAME_PATTERN),
    "CreateRole": NameKind("IAM role", "RoleName", limits.IAM_ROLE_NAME_MAX_CHARS, _account,
                           "IAM API reference, CreateRole"),
    "CreateSchedule": NameKind("schedule", "Name", limits.SCHEDULER_SCHEDULE_NAME_MAX_CHARS,
                               lambda c: f"schedule group {c.params.get('GroupName', DEFAULT_SCHEDULE_GROUP)}",
                               "EventBridge Scheduler API reference, CreateSchedule"),
    "CreateReplicationGroup": NameKind("replication group", "ReplicationGroupId",
                                       limits.ELASTICACHE_REPLICATION_GROUP_ID_MAX_CHARS, _region,
                                       "ElastiCache API reference, CreateReplicationGroup",
                                       REPLICATION_GROUP_ID_PATTERN),
    "PutMetricAlarm": NameKind("alarm", "AlarmName", limits.CLOUDWATCH_ALARM_NAME_MAX_CHARS, _region,
                               "CloudWatch API reference, PutMetricAlarm"),
    "CreateLogGroup": NameKind("log group", "logGroupName", limits.LOG_GROUP_NAME_MAX_CHARS, _region,
                               "CloudWatch Logs API reference, CreateLogGroup"),
    "CreateTopic": NameKind("SNS topic", "Name", SNS_TOPIC_NAME_MAX_CHARS, _region, "SNS API reference, CreateTopic"),
    "CreateCluster": NameKind("ECS cluster", "clusterName", ECS_NAME_MAX_CHARS, _region,
                              "ECS API reference, CreateCluster"),
    "CreateService": NameKind("ECS service", "serviceName", ECS_NAME_MAX_CHARS,
                              lambda c: f"cluster {c.params.get('cluster', 'default')}", "ECS API reference, CreateService"),
    "RegisterTaskDefinition": NameKind("task family", "family", ECS_NAME_MAX_CHARS, _region,
                                       "ECS API reference, RegisterTaskDefinition"),
    "PutScalingPolicy": NameKind("scaling policy", "PolicyName", SCALING_POLICY_NAME_MAX_CHARS,
                                 lambda c: f"scalable target {c.params.get('ResourceId')}",
                                 "Application Auto Scaling API reference, PutScalingPolicy"),
    "PutRolePolicy": NameKind("inline role policy", "PolicyName", IAM_POLICY_NAME_MAX_CHARS,
                              lambda c: f"role {c.params.get('RoleName')}", "IAM API reference, PutRolePolicy"),
    "CreateSecret": NameKind("secret", "Name", SECRET_NAME_MAX_CHARS, _region,
                             "Secrets Manager API reference, CreateSecret"),
    "CreateCacheParameterGroup": NameKind("cache parameter group", "CacheParameterGroupName",
                                          ELASTICACHE_GROUP_NAME_MAX_CHARS, _region,
                                          "ElastiCache API reference, CreateCacheParameterGroup"),
    "CreateCacheSubnetGroup": NameKind("cache subnet group", "CacheSubnetGroupName", ELASTICACHE_GROUP_NAME_MAX_CHARS,
                                       _region, "ElastiCache API reference, CreateCacheSubnetGroup"),
    "CreateSecurityGroup": NameKind("security group", "GroupName", SECURITY_GROUP_NAME_MAX_CHARS,
                                    lambda c: f"VPC {c.params.get('VpcId')}", "EC2 API reference, CreateSecurityGroup"),
}
CLOUDFLARE_QUEUE = "cloudflare:index/queue:Queue"


def check_names(calls: list[ApiCall], resources: Iterable[Resource]) -> Checker:
    """Length, form and uniqueness of every physical name, per account, region and narrower scope."""
    c = Checker(NAMES_LAYER)
    resources = list(resources)
    prefixes = {(r.name, r.type): r.inputs.get("namePrefix") for r in resources if r.inputs.get("namePrefix")}
    seen: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for call in calls:
        kind = NAME_KINDS.get(call.operation)
        if kind is None or not call.params.get(kind.param):
            continue
        name = str(call.params[kind.param])
        autonamed = kind.param in call.autonamed
        note = f" (Pulumi's autoname: {limits.PULUMI_AUTONAME_SUFFIX_CHARS} characters added)" if autonamed else ""
        prefix = prefixes.get(call.source)
        if autonamed and prefix:
            note = (f" (name_prefix {prefix!r}, {len(prefix)} characters, plus the provider's "
                    f"{TERRAFORM_PREFIX_SUFFIX_CHARS}-character suffix)")
        if kind.max_chars is not None:
            c.check(len(name) <= kind.max_chars, call.source, kind.param, f"{kind.max_chars} characters", kind.source,
                    f"{kind.kind} name {name!r} has {len(name)} characters{note}")
        if kind.pattern is not None:
            c.check(kind.pattern.fullmatch(name) is not None, call.source, kind.param, f"pattern {kind.pattern.pattern}",
                    kind.source, f"{kind.kind} name {name!r} is not allowed")
        seen[(kind.kind, kind.scope(call), name)].append(call.source)
    for r in resources:
        if r.type == CLOUDFLARE_QUEUE and r.inputs.get("queueName"):
            seen[("Cloudflare queue", f"account {r.inputs.get('accountId')}", r.inputs["queueName"])].append(
                (r.name, r.type))
    for (kind, scope, name), owners in seen.items():
        first = owners[0]
        for owner in owners:
            if owner == first:
                c.check(True, owner, "name", f"unique per {scope}", "uniqueness of physical names", "")
                continue
            c.check(False, owner, "name", f"unique per {scope}", "uniqueness of physical names",
                    f"{kind} name {name!r} is also used by {first[0]}: the second create fails or shares it")
    return c
