"""The shared vocabulary of the rule modules: a resource as a rule sees it, a rule, a violation.

Rules are pure functions so one rule can be unit tested, run by the Pulumi CLI through
`pack.py`, and run by `qcap preview` through the same pack. Nothing here imports pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# The tag keys of the shared contract (docs/policies.md); the rule modules import them from here.
from policies.contract import (
    TAG_CACHE_CONNECTIONS_BUDGET,
    TAG_CACHE_POOL_SIZE,
    TAG_CACHE_PRODUCER_CONNECTIONS,
    TAG_CONCURRENCY_PER_TASK,
    TAG_DRAIN_SECONDS,
    TAG_ENVIRONMENT,
    TAG_MAX_AGE_SECONDS,
    TAG_PEAK_PER_SECOND,
    TAG_PER_TASK_RATE,
    TAG_PROCESSING_P99_SECONDS,
    TAG_RECEIVE_BATCH,
    TAG_ROLE,
    TAG_SINK_CONNECTIONS_PER_SLOT,
    TAG_SINK_MAX_CONNECTIONS,
    TAG_SINK_NAME,
    TAG_STACK,
    TAG_WORKLOAD,
)

Level = Literal["mandatory", "advisory"]
MANDATORY: Level = "mandatory"
ADVISORY: Level = "advisory"

# Type tokens the rules guard on (pulumi-aws 7, pulumi-cloudflare 6).
SQS_QUEUE = "aws:sqs/queue:Queue"
SQS_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
SQS_REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
ECS_SERVICE = "aws:ecs/service:Service"
ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
IAM_USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
IAM_GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive"
IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"
IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"
IAM_GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ECS_TASK_SET = "aws:ecs/taskSet:TaskSet"
PIPE = "aws:pipes/pipe:Pipe"
MEMORYDB_CLUSTER = "aws:memorydb/cluster:Cluster"
CACHE_PARAMETER_GROUP = "aws:elasticache/parameterGroup:ParameterGroup"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_CLUSTER_SETTINGS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
SCHEDULE = "aws:scheduler/schedule:Schedule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SECRET = "aws:secretsmanager/secret:Secret"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
CLOUDFLARE_QUEUE = "cloudflare:index/queue:Queue"
CLOUDFLARE_CONSUMER = "cloudflare:index/queueConsumer:QueueConsumer"

PROD = "prod"
# What the engine sends for a value it cannot know before the resource exists (pulumi rpc.UNKNOWN).
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Stack names that say prod on their own, as a whole word (`prod`, `payments-prod`, `production-eu`).
PROD_STACK_WORDS = ("prod", "production", "prd")


def environment_of_stack(stack: str | None, configured: str | None) -> str | None:
    """The stack's environment: `prod` when config `qcap:environment` or the stack's name says prod (either is
    enough: a prod-named stack is never gated as dev), else the configured environment, else None."""
    words = [w for w in str(stack or "").lower().replace("_", "-").replace(".", "-").split("-") if w]
    if configured == PROD or any(w in PROD_STACK_WORDS for w in words):
        return PROD
    return str(configured) if configured else None


def _is_unknown_error(exc: Exception) -> bool:
    return type(exc).__name__ == "UnknownValueError"


@dataclass(frozen=True)
class ResourceView:
    """One resource as the Analyzer hands it over: type token, name, properties (camelCase) and options."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    stack_environment: str | None = None
    # Property -> the URNs its value came from (stack rules only): links whose value is not known yet.
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def known(self, key: str) -> Any:
        """A property, or None when it is unset or not known yet (a new resource during preview).

        For properties a rule uses only to link resources: a link that is unknown is simply not
        made, and the rule falls back to dependencies, which the engine always knows.
        """
        try:
            value = self.props.get(key)
        except Exception as exc:  # noqa: BLE001 - pulumi_policy's UnknownValueError, without importing it
            if _is_unknown_error(exc):
                return None
            raise
        return None if value == UNKNOWN_SENTINEL else value

    @property
    def tags(self) -> Mapping[str, Any]:
        value = self.known("tags")
        return value if isinstance(value, Mapping) else {}

    def tag(self, key: str) -> str | None:
        value = self.tags.get(key)
        return None if value is None else str(value)

    def tag_number(self, key: str) -> float | None:
        return as_number(self.tags.get(key))

    @property
    def role(self) -> str | None:
        return self.tag(TAG_ROLE)

    @property
    def workload(self) -> str | None:
        return self.tag(TAG_WORKLOAD)

    @property
    def environment(self) -> str | None:
        """The resource's environment tag, else the stack's (config `qcap:environment` or its name)."""
        return self.tag(TAG_ENVIRONMENT) or self.stack_environment

    @property
    def prod(self) -> bool:
        """Prod when tagged so, or when the stack is prod (an untagged resource in a prod stack is prod)."""
        return self.tag(TAG_ENVIRONMENT) == PROD or self.stack_environment == PROD

    @property
    def label(self) -> str:
        """How a message names this resource: its logical name and type."""
        return f"{self.name} ({self.type})"


@dataclass(frozen=True)
class Violation:
    """One finding of one rule; `urn` names the resource at fault when a stack rule reports it."""

    rule_id: str
    message: str
    urn: str = ""


ResourceCheck = Callable[[ResourceView, Mapping[str, Any]], list[str]]
StackCheck = Callable[[Sequence[ResourceView], Mapping[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    """A rule: what it checks, how bad a breach is, how to fix it, and the tunable thresholds.

    A resource rule's `check(view, config)` returns messages for one resource of
    `resource_types`; a stack rule's `check(views, config)` returns (urn, message) pairs.
    `config_schema` holds JSON-schema properties, each with a `default`.
    """

    id: str
    description: str
    level: Level
    remediation: str
    check: ResourceCheck | StackCheck
    resource_types: tuple[str, ...] = ()
    stack: bool = False
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    anchor: str = ""
    why: str = ""

    def defaults(self) -> dict[str, Any]:
        return {key: spec["default"] for key, spec in self.config_schema.items() if "default" in spec}

    def config(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The rule's settings: schema defaults overlaid with what the pack was configured with."""
        merged = self.defaults()
        for key, value in (given or {}).items():
            if key != "enforcementLevel":
                merged[key] = value
        return merged

    def run(self, view: ResourceView, given: Mapping[str, Any] | None = None) -> list[Violation]:
        """Check one resource (resource rules only); other types give no violations."""
        if self.stack or view.type not in self.resource_types:
            return []
        return [Violation(self.id, message, view.urn) for message in self.check(view, self.config(given))]

    def run_stack(self, views: Sequence[ResourceView], given: Mapping[str, Any] | None = None) -> list[Violation]:
        """Check the whole stack (stack rules only)."""
        if not self.stack:
            return []
        return [Violation(self.id, message, urn) for urn, message in self.check(views, self.config(given))]


# --- reading property values as the Analyzer delivers them ------------------------------


def as_number(value: Any) -> float | None:
    """A number from a property or a tag (tags are strings, inputs arrive as floats)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """A JSON object from a property that pulumi-aws takes as a JSON string (or already a mapping)."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def as_list(value: Any) -> list[Any]:
    """A list from a property (a JSON string or a sequence); a single item becomes a list of one."""
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    if value is None:
        return []
    return [value]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def fmt(x: float | None) -> str:
    """A number in a message: 80, 0.8, 1209600."""
    if x is None:
        return "unset"
    return format(x, "g") if not float(x).is_integer() else str(int(x))


def of_type(views: Sequence[ResourceView], *types: str) -> list[ResourceView]:
    return [v for v in views if v.type in types]


def depends_on(view: ResourceView, other: ResourceView) -> bool:
    """True when `view` depends on `other` (an input of view came from other, or depends_on)."""
    return bool(other.urn) and other.urn in view.dependencies


def containers(view: ResourceView) -> list[Mapping[str, Any]]:
    """A task definition's (or task set's) container definitions that are mappings."""
    return [c for c in as_list(view.props.get("containerDefinitions")) if isinstance(c, Mapping)]
