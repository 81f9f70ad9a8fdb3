"""Security and operations rules, in the spirit of checkov and cdk-nag, for the resources qcap makes.

Anchors (the peer rule each corresponds to) are recorded on each rule and in docs/policies.md:
checkov CKV_AWS_27/29/30/31/333/334, cdk-nag SQS2/SQS4/AEC3/AEC4/AEC6/ECS2/ECS7/IAM5.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits
from policies.iam_policy import (
    allowed_actions,
    denies_without_tls,
    describe,
    on_every_resource,
    parse,
    wildcard_patterns,
)
from policies.secret_values import DEFAULT_SECRET_NAME_PATTERN, secret_reason
from policies.rules_iam import MESSAGE_MAX_ACTIONS, IDENTITY_POLICY_TYPES, broad_managed_policy, identity_documents
from policies.rules_base import (
    containers,
    ADVISORY,
    ECS_SERVICE,
    ECS_TASK_DEFINITION,
    IAM_ROLE,
    LOG_GROUP,
    MANDATORY,
    METRIC_ALARM,
    REPLICATION_GROUP,
    SQS_QUEUE,
    SQS_QUEUE_POLICY,
    ResourceView,
    Rule,
    as_list,
    as_mapping,
    as_number,
    depends_on,
    fmt,
    is_true,
    of_type,
)

# Actions that only accept Resource "*" (IAM service authorization reference).
DEFAULT_ANY_RESOURCE_ACTIONS = (
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
)
SECURE_TRANSPORT_KEY = "aws:SecureTransport"


# --- SQS --------------------------------------------------------------------------------


def check_sqs_encrypted(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if is_true(view.props.get("sqsManagedSseEnabled")) or view.props.get("kmsMasterKeyId"):
        return []
    return [f"SQS queue `{view.name}` is not encrypted at rest: neither sqsManagedSseEnabled nor kmsMasterKeyId is set."]


def denies_insecure_transport(document: Any, service: str = "sqs") -> bool:
    """True when a policy denies every caller every action of `service` without TLS (the semantics module decides)."""
    return denies_without_tls(document, service) is not None


def check_sqs_tls_only(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    policies = of_type(views, SQS_QUEUE_POLICY)
    for queue in of_type(views, SQS_QUEUE):
        documents = [queue.props.get("policy")]
        url = queue.known("url")
        documents += [p.props.get("policy") for p in policies
                      if depends_on(p, queue) or (url and p.known("queueUrl") == url)]
        if not any(denies_insecure_transport(d) for d in documents if d):
            out.append((queue.urn, f"SQS queue `{queue.name}` has no policy denying requests without TLS "
                                   f"({SECURE_TRANSPORT_KEY} = false)."))
    return out


def check_prod_queue_protected(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if view.prod and not view.protect:
        return [f"SQS queue `{view.name}` is in a prod stack but not protected: a rename or a `pulumi destroy` "
                "deletes it with its messages."]
    return []


# --- ECS ------------------------------------------------------------------------------


def check_no_public_ip(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    network = as_mapping(view.props.get("networkConfiguration")) or {}
    if is_true(network.get("assignPublicIp")):
        return [f"ECS service `{view.name}` assigns public IPs to its tasks (networkConfiguration.assignPublicIp)."]
    return []


def check_not_privileged(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    return [f"task definition `{view.name}` runs container `{c.get('name')}` privileged."
            for c in containers(view) if is_true(c.get("privileged"))]


def check_no_plaintext_secrets(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    pattern = re.compile(str(config["secretNamePattern"]), re.IGNORECASE)
    out = []
    for container in containers(view):
        for variable in as_list(container.get("environment")):
            if not isinstance(variable, Mapping):
                continue
            name, value = str(variable.get("name", "")), str(variable.get("value", ""))
            why = secret_reason(name, value, pattern)
            if why:
                out.append(f"task definition `{view.name}`, container `{container.get('name')}`: environment "
                           f"variable `{name}` holds what looks like a secret in plain text ({why}).")
    return out


def check_container_logging(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    return [f"task definition `{view.name}`, container `{c.get('name')}` has no logConfiguration: its output is lost."
            for c in containers(view) if not as_mapping(c.get("logConfiguration"))]


# --- IAM ------------------------------------------------------------------------------


def _wildcard_findings(document: Any, any_resource_actions: set[str]) -> list[str]:
    findings = []
    for statement in parse(document):
        if not statement.allow:
            continue
        broad = wildcard_patterns(statement)
        if broad:
            findings.append(f"allows wildcard action(s) {describe(broad)}")
        if on_every_resource(statement):
            narrow = sorted(allowed_actions(statement) - any_resource_actions)
            if narrow:
                shown = ", ".join(narrow[:MESSAGE_MAX_ACTIONS]) + (
                    f" and {len(narrow) - MESSAGE_MAX_ACTIONS} more" if len(narrow) > MESSAGE_MAX_ACTIONS else "")
                findings.append(f"allows {shown} on every resource ({', '.join(statement.resources) or 'NotResource'})")
    return findings


def check_least_privilege(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    allowed = {str(a).lower() for a in as_list(config["actionsAllowedOnAnyResource"])}
    out = [f"IAM `{view.name}` {finding}." for d in identity_documents(view) if d
           for finding in _wildcard_findings(d, allowed)]
    if view.type == IAM_ROLE:
        out += [f"IAM role `{view.name}` attaches the broad managed policy {arn}."
                for arn in as_list(view.props.get("managedPolicyArns")) if broad_managed_policy(str(arn))]
    return out


# --- ElastiCache ----------------------------------------------------------------------


def check_cache_encrypted(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    missing = [k for k in ("atRestEncryptionEnabled", "transitEncryptionEnabled") if not is_true(view.props.get(k))]
    if missing:
        return [f"replication group `{view.name}` does not enable {' and '.join(missing)}."]
    return []


def check_cache_auth(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    token = view.props.get("authToken") or view.props.get("authTokenWo")
    if token or as_list(view.props.get("userGroupIds")):
        if token and not is_true(view.props.get("transitEncryptionEnabled")):
            return [f"replication group `{view.name}` sets an AUTH token without transit encryption, which "
                    "ElastiCache requires (the token would cross the network in clear)."]
        return []
    return [f"replication group `{view.name}` has no AUTH token or user group: anyone on the network can read "
            "and delete the queue."]


def nodes_per_shard(view: ResourceView) -> float:
    """Nodes holding each shard's data: numCacheClusters (cluster mode off), or 1 + replicasPerNodeGroup
    (cluster mode, numNodeGroups shards), or the node groups' own replica counts."""
    if as_number(view.props.get("numCacheClusters")):
        return float(as_number(view.props.get("numCacheClusters")) or 1)
    replicas = as_number(view.props.get("replicasPerNodeGroup"))
    if replicas is None:
        groups = [g for g in as_list(view.props.get("nodeGroupConfigurations")) if isinstance(g, Mapping)]
        counts = [as_number(g.get("replicaCount")) for g in groups]
        replicas = min((c for c in counts if c is not None), default=None)
    return 1.0 + (replicas or 0.0)


def check_cache_failover_in_prod(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if not view.prod:
        return []
    out = []
    nodes = nodes_per_shard(view)
    if nodes < limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER:
        out.append(f"replication group `{view.name}` is prod with {fmt(nodes)} node per shard: a lost primary loses "
                   "the queue.")
    for key in ("automaticFailoverEnabled", "multiAzEnabled"):
        if not is_true(view.props.get(key)):
            out.append(f"replication group `{view.name}` is prod without {key}.")
    return out


def check_cache_snapshots(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if not view.prod:
        return []
    days = as_number(view.props.get("snapshotRetentionLimit")) or 0
    minimum = float(config["minSnapshotRetentionDays"])
    if days < minimum:
        return [f"replication group `{view.name}` is prod and keeps {fmt(days)} days of snapshots; keep at least "
                f"{fmt(minimum)}."]
    return []


# --- logs and alarms ------------------------------------------------------------------


def check_log_retention(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    days = as_number(view.props.get("retentionInDays"))
    if not days:
        return [f"log group `{view.name}` keeps logs forever (retentionInDays unset): the bill grows without bound."]
    if view.prod and days < limits.LOG_RETENTION_DAYS_PROD:
        return [f"log group `{view.name}` is prod and keeps {fmt(days)} days of logs; keep at least "
                f"{limits.LOG_RETENTION_DAYS_PROD} for incident reviews and audits."]
    return []


def check_alarm_has_actions(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if view.props.get("actionsEnabled") is False:
        return [f"alarm `{view.name}` has actionsEnabled false: nobody hears it."]
    # Only whether there is an action matters: its ARN may not be known before the target exists.
    actions = view.props.get("alarmActions")
    if not actions or (isinstance(actions, str) and not actions.strip()):
        return [f"alarm `{view.name}` has no alarmActions: it changes state and nobody hears it."]
    return []


RULES: tuple[Rule, ...] = (
    Rule(
        id="sqs-encrypted",
        description="SQS queues are encrypted at rest (SSE-SQS or KMS).",
        level=MANDATORY,
        why="Messages often carry personal data; encryption at rest is free with SSE-SQS.",
        remediation="Set `sqsManagedSseEnabled: true`, or `kmsMasterKeyId` for a customer key.",
        check=check_sqs_encrypted, resource_types=(SQS_QUEUE,), anchor="checkov CKV_AWS_27, cdk-nag SQS2",
    ),
    Rule(
        id="sqs-tls-only",
        description="Every SQS queue has a policy denying requests without TLS.",
        level=MANDATORY,
        why="Without it a client can send and receive messages over plain HTTP.",
        remediation="Attach a QueuePolicy with a Deny statement on `sqs:*` when `aws:SecureTransport` is `false` "
                    "(qcap's queue component does).",
        check=check_sqs_tls_only, stack=True, anchor="cdk-nag SQS4",
    ),
    Rule(
        id="prod-queue-protected",
        description="SQS queues in prod stacks have the `protect` resource option.",
        level=MANDATORY,
        why="Deleting a queue deletes its messages; protect makes `pulumi` refuse.",
        remediation="Pass `protect=True` in the queue's ResourceOptions for prod (qcap's component does).",
        check=check_prod_queue_protected, resource_types=(SQS_QUEUE,),
    ),
    Rule(
        id="ecs-no-public-ip",
        description="ECS services do not give their tasks public IP addresses.",
        level=MANDATORY,
        why="Queue consumers need no inbound traffic; a public IP exposes them to the internet.",
        remediation="Set `networkConfiguration.assignPublicIp: false` and use private subnets with a NAT "
                    "gateway or VPC endpoints for SQS, ECR and CloudWatch Logs.",
        check=check_no_public_ip, resource_types=(ECS_SERVICE,), anchor="checkov CKV_AWS_333",
    ),
    Rule(
        id="ecs-not-privileged",
        description="No container runs privileged.",
        level=MANDATORY,
        why="A privileged container has root on the host's kernel; Fargate rejects it, EC2 would allow it.",
        remediation="Remove `privileged: true` from the container definition.",
        check=check_not_privileged, resource_types=(ECS_TASK_DEFINITION,), anchor="checkov CKV_AWS_334",
    ),
    Rule(
        id="ecs-no-plaintext-secrets",
        description="No secret-looking value in a container's plain environment.",
        level=MANDATORY,
        why="Plain environment values are readable by anyone who can describe the task definition.",
        remediation="Move the value to Secrets Manager or SSM Parameter Store and reference it with the container's "
                    "`secrets` (valueFrom).",
        check=check_no_plaintext_secrets, resource_types=(ECS_TASK_DEFINITION,), anchor="cdk-nag ECS2",
        config_schema={"secretNamePattern": {"type": "string", "default": DEFAULT_SECRET_NAME_PATTERN,
                                             "description": "Regular expression of variable names that hold secrets."}},
    ),
    Rule(
        id="ecs-container-logging",
        description="Every container sends its output to a log driver.",
        level=ADVISORY,
        why="Without a log configuration a crashing consumer leaves no trace.",
        remediation="Set `logConfiguration` with the awslogs driver and the workload's log group.",
        check=check_container_logging, resource_types=(ECS_TASK_DEFINITION,), anchor="cdk-nag ECS7",
    ),
    Rule(
        id="iam-least-privilege",
        description="IAM policies allow no wildcard actions, and Resource \"*\" only for actions that need it.",
        level=MANDATORY,
        why="A consumer's role needs the queue's receive, delete, change-visibility and attributes, nothing more.",
        remediation="Name each action and the queue's ARN as the resource.",
        check=check_least_privilege, resource_types=(IAM_ROLE, *IDENTITY_POLICY_TYPES), anchor="cdk-nag IAM5",
        config_schema={"actionsAllowedOnAnyResource": {
            "type": "array", "items": {"type": "string"}, "default": list(DEFAULT_ANY_RESOURCE_ACTIONS),
            "description": "Actions that AWS only authorises on Resource \"*\"."}},
    ),
    Rule(
        id="cache-encrypted",
        description="ElastiCache replication groups encrypt at rest and in transit.",
        level=MANDATORY,
        why="The queue's items sit in memory and on snapshots; at-rest encryption can only be set at creation.",
        remediation="Set `atRestEncryptionEnabled: true` and `transitEncryptionEnabled: true`.",
        check=check_cache_encrypted, resource_types=(REPLICATION_GROUP,),
        anchor="checkov CKV_AWS_29, CKV_AWS_30, cdk-nag AEC3",
    ),
    Rule(
        id="cache-auth-token",
        description="ElastiCache replication groups require AUTH (token or RBAC user group) over TLS.",
        level=MANDATORY,
        why="Without AUTH any host in the security group can read and delete queued items.",
        remediation="Set `authToken` from the `qcap:redisAuthToken` secret (16-128 characters) with transit "
                    "encryption, or `userGroupIds`.",
        check=check_cache_auth, resource_types=(REPLICATION_GROUP,), anchor="checkov CKV_AWS_31, cdk-nag AEC6",
    ),
    Rule(
        id="cache-failover-in-prod",
        description="Prod replication groups have a replica, automatic failover and Multi-AZ.",
        level=MANDATORY,
        why="A Redis queue lives in memory: losing a single primary loses every queued item.",
        remediation="Set `numCacheClusters` >= 2, `automaticFailoverEnabled: true` and `multiAzEnabled: true`.",
        check=check_cache_failover_in_prod, resource_types=(REPLICATION_GROUP,), anchor="cdk-nag AEC4",
    ),
    Rule(
        id="cache-snapshot-retention",
        description="Prod replication groups keep snapshots.",
        level=MANDATORY,
        why="A snapshot is the only way back after losing every node or a bad FLUSHALL.",
        remediation="Set `snapshotRetentionLimit` to at least 1 day.",
        check=check_cache_snapshots, resource_types=(REPLICATION_GROUP,),
        config_schema={"minSnapshotRetentionDays": {"type": "integer", "minimum": 0,
                                                    "default": limits.POLICY_MIN_PROD_SNAPSHOT_RETENTION_DAYS,
                                                    "description": "Days of snapshots a prod cache keeps."}},
    ),
    Rule(
        id="log-group-retention",
        description="Log groups expire their logs.",
        level=ADVISORY,
        why="CloudWatch Logs keeps logs forever by default and bills every GB-month.",
        remediation=f"Set `retentionInDays` (qcap uses {limits.LOG_RETENTION_DAYS}, {limits.LOG_RETENTION_DAYS_PROD} in prod).",
        check=check_log_retention, resource_types=(LOG_GROUP,), anchor="checkov CKV_AWS_66, CKV_AWS_338",
    ),
    Rule(
        id="alarm-has-actions",
        description="Every CloudWatch alarm notifies someone.",
        level=MANDATORY,
        why="An alarm nobody hears is a DLQ that fills silently until its messages expire.",
        remediation="Set `alarmActions` to the stack's SNS topic (qcap's alarm component does).",
        check=check_alarm_has_actions, resource_types=(METRIC_ALARM,),
    ),
)
