"""Rules for the resource types around the queue: SNS alarm topics, ECS clusters and containers,
single ElastiCache clusters, schedules, and the customer-managed key the stack's data sits under.

Anchors: checkov CKV_AWS_26 (SNS encrypted), CKV_AWS_65 (Container Insights), CKV_AWS_336
(read-only root filesystem), CKV_AWS_158/149/191/297 (customer-managed keys), CKV_AWS_333
(schedule target public IP); cdk-nag SNS2, SNS3, ECS4, AEC3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.contract import ROLE_TOPIC as ALARM_TOPIC_ROLE
from policies.rules_base import (
    ADVISORY,
    CACHE_CLUSTER,
    ECS_CLUSTER,
    ECS_TASK_DEFINITION,
    LOG_GROUP,
    MANDATORY,
    REPLICATION_GROUP,
    SCHEDULE,
    SECRET,
    SNS_TOPIC,
    SNS_TOPIC_POLICY,
    ResourceView,
    Rule,
    as_list,
    as_mapping,
    depends_on,
    is_true,
    of_type,
)
from policies.rules_security import denies_insecure_transport

# SNS's AWS-managed key: CloudWatch alarms cannot publish to a topic encrypted with it (SNS developer guide,
# "Enable compatibility between event sources from AWS services and encrypted topics").
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
CONTAINER_INSIGHTS_SETTING = "containerInsights"
CONTAINER_INSIGHTS_ON = ("enabled", "enhanced")
MEMCACHED = "memcached"
# Where each type takes a customer-managed KMS key.
KMS_KEY_PROPERTY = {
    LOG_GROUP: "kmsKeyId",
    SECRET: "kmsKeyId",
    REPLICATION_GROUP: "kmsKeyId",
    SCHEDULE: "kmsKeyArn",
}


def check_sns_encrypted(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    key = view.props.get("kmsMasterKeyId")
    if not key:
        return [f"SNS topic `{view.name}` is not encrypted at rest (kmsMasterKeyId unset)."]
    if str(key) == AWS_MANAGED_SNS_KEY and view.role == ALARM_TOPIC_ROLE:
        return [f"SNS topic `{view.name}` receives CloudWatch alarms but is encrypted with {AWS_MANAGED_SNS_KEY}, "
                "whose key policy CloudWatch cannot use: the alarms never arrive."]
    return []


def check_sns_tls_only(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    policies = of_type(views, SNS_TOPIC_POLICY)
    for topic in of_type(views, SNS_TOPIC):
        documents = [topic.props.get("policy")]
        arn = topic.known("arn")
        documents += [p.props.get("policy") for p in policies
                      if depends_on(p, topic) or (arn and p.known("arn") == arn)]
        if not any(denies_insecure_transport(d, "sns") for d in documents if d):
            out.append((topic.urn, f"SNS topic `{topic.name}` has no policy denying publish or subscribe without "
                                   "TLS (aws:SecureTransport = false)."))
    return out


def check_container_insights(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    for setting in as_list(view.props.get("settings")):
        if (isinstance(setting, Mapping) and setting.get("name") == CONTAINER_INSIGHTS_SETTING
                and str(setting.get("value")) in CONTAINER_INSIGHTS_ON):
            return []
    return [f"ECS cluster `{view.name}` has Container Insights off: RunningTaskCount, the divisor of backlog per "
            "task, is never published, so target tracking has no metric and the service never scales."]


def check_read_only_root(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    containers = [c for c in as_list(view.props.get("containerDefinitions")) if isinstance(c, Mapping)]
    return [f"task definition `{view.name}`, container `{c.get('name')}` has a writable root filesystem."
            for c in containers if not is_true(c.get("readonlyRootFilesystem"))]


def check_cache_cluster(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if view.props.get("replicationGroupId"):
        return []  # a member of a replication group: the group's rules apply
    engine = str(view.props.get("engine") or "redis")
    out = []
    if engine == MEMCACHED:
        if not is_true(view.props.get("transitEncryptionEnabled")):
            out.append(f"cache cluster `{view.name}` (memcached) does not enable transitEncryptionEnabled.")
    else:
        out.append(f"cache cluster `{view.name}` is a single {engine} node outside a replication group: it cannot "
                   "encrypt at rest, take an AUTH token with failover, or survive losing its node.")
    return out


def check_customer_key(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    key = KMS_KEY_PROPERTY[view.type]
    if view.props.get(key):
        return []
    return [f"`{view.name}` ({view.type.split(':')[1]}) uses an AWS-owned key: set {key} to the stack's customer "
            "key so access to the data follows the key policy and can be audited and revoked."]


def check_distinct_task_roles(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    execution, task = view.props.get("executionRoleArn"), view.props.get("taskRoleArn")
    if execution and task and execution == task:
        return [f"task definition `{view.name}` uses one role as execution and task role: the consumer's code gets "
                "the rights to pull images and read every secret of the task definition."]
    return []


def _ecs_network(view: ResourceView) -> Mapping[str, Any]:
    if view.type == SCHEDULE:
        target = as_mapping(view.props.get("target")) or {}
        ecs = as_mapping(target.get("ecsParameters")) or {}
    else:
        ecs = as_mapping(view.props.get("ecsTarget")) or {}
    return as_mapping(ecs.get("networkConfiguration")) or {}


def check_target_no_public_ip(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if is_true(_ecs_network(view).get("assignPublicIp")):
        return [f"`{view.name}` starts ECS tasks with a public IP (networkConfiguration.assignPublicIp)."]
    return []


RULES: tuple[Rule, ...] = (
    Rule(
        id="sns-encrypted",
        description="SNS topics are encrypted with a KMS key CloudWatch alarms can use.",
        level=MANDATORY,
        why="Alarm messages name queues and workloads; an unencrypted topic stores them in clear. CloudWatch "
            "cannot publish to a topic under the AWS-managed alias/aws/sns key.",
        remediation="Set `kmsMasterKeyId` to a customer-managed key whose key policy lets cloudwatch.amazonaws.com "
                    "call kms:Decrypt and kms:GenerateDataKey* (qcap's stack key does).",
        check=check_sns_encrypted, resource_types=(SNS_TOPIC,), anchor="checkov CKV_AWS_26, cdk-nag SNS2",
    ),
    Rule(
        id="sns-tls-only",
        description="Every SNS topic has a policy denying requests without TLS.",
        level=MANDATORY,
        why="Without it a client can publish or subscribe over plain HTTP.",
        remediation="Set the topic's `policy` (or a TopicPolicy) with a Deny on sns:Publish and sns:Subscribe when "
                    "`aws:SecureTransport` is `false` (qcap's alarm topic does).",
        check=check_sns_tls_only, stack=True, anchor="cdk-nag SNS3",
    ),
    Rule(
        id="ecs-cluster-container-insights",
        description="ECS clusters publish Container Insights metrics.",
        level=MANDATORY,
        why="Backlog per task divides by Container Insights' RunningTaskCount; without it the scaling metric has "
            "no data and the service stays at its desired count.",
        remediation="Set the cluster's `settings` to [{name: containerInsights, value: enabled}].",
        check=check_container_insights, resource_types=(ECS_CLUSTER,), anchor="checkov CKV_AWS_65, cdk-nag ECS4",
    ),
    Rule(
        id="ecs-read-only-root",
        description="Containers run with a read-only root filesystem.",
        level=MANDATORY,
        why="A writable root lets an attacker, or a bug, change the image's code at run time.",
        remediation="Set `readonlyRootFilesystem: true` and mount a scratch volume at /tmp for files the worker "
                    "writes (qcap's task definition does; docs/aws-components.md).",
        check=check_read_only_root, resource_types=(ECS_TASK_DEFINITION,), anchor="checkov CKV_AWS_336",
    ),
    Rule(
        id="ecs-distinct-task-roles",
        description="A task definition's execution role and task role are different roles.",
        level=ADVISORY,
        why="The execution role pulls images and reads secrets for the agent; the code should not hold those rights. "
            "Advisory: both ARNs are assigned on create, so a new stack's first preview cannot compare them.",
        remediation="Create a separate task role with only the workload's permissions (qcap's consumer does).",
        check=check_distinct_task_roles, resource_types=(ECS_TASK_DEFINITION,), anchor="checkov CKV_AWS_249",
    ),
    Rule(
        id="cache-cluster-in-replication-group",
        description="ElastiCache nodes run in an encrypted replication group, not as single clusters.",
        level=MANDATORY,
        why="A single Redis cache cluster cannot encrypt at rest and loses every queued item with its node; "
            "memcached must at least encrypt in transit.",
        remediation="Use aws.elasticache.ReplicationGroup with at-rest and transit encryption (qcap's RedisCache).",
        check=check_cache_cluster, resource_types=(CACHE_CLUSTER,), anchor="checkov CKV_AWS_29, CKV_AWS_30, cdk-nag AEC3",
    ),
    Rule(
        id="target-no-public-ip",
        description="Schedules and event rules start ECS tasks without a public IP.",
        level=MANDATORY,
        why="A scheduled consumer needs no inbound traffic; a public IP exposes it to the internet.",
        remediation="Set the target's `ecsParameters.networkConfiguration.assignPublicIp` to false.",
        check=check_target_no_public_ip, resource_types=(SCHEDULE, "aws:cloudwatch/eventTarget:EventTarget"),
        anchor="checkov CKV_AWS_333",
    ),
    Rule(
        id="customer-managed-key",
        description="Log groups, secrets, Redis at rest and schedules use the stack's customer-managed KMS key.",
        level=ADVISORY,
        why="AWS-owned keys encrypt, but nobody can audit, restrict or revoke their use.",
        remediation="Set `qcap:kmsKeyArn` in the stack config (or let a prod stack create its key) and pass it as "
                    "kmsKeyId / kmsKeyArn.",
        check=check_customer_key, resource_types=tuple(KMS_KEY_PROPERTY),
        anchor="checkov CKV_AWS_158, CKV_AWS_149, CKV_AWS_191, CKV_AWS_297",
    ),
)
