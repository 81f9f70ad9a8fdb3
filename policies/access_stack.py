"""The stack as the access model walks it: find a resource by what another names it, build the ARNs AWS
will assign, and gather each role's identity policies and each resource's own policy.

A link is made by value (an ARN, name, id or URL the other resource holds) and, when that value
is not known yet, by the property's dependencies. An ARN AWS has not assigned yet is built from the
name the program chose, with HOLE where AWS picks (a key id, a secret's suffix). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.access_resources import AccessResource, StackEnvironment, stack_environment
from policies.iam_conditions import UNKNOWN
from policies.iam_eval import Policy
from policies.iam_match import HOLE, ONE, has_hole
from policies.managed_policies import AWS_MANAGED_POLICIES
from policies.rules_base import (
    ECS_CLUSTER, ECS_TASK_DEFINITION, IAM_POLICY, IAM_ROLE, IAM_ROLE_POLICY, IAM_ROLE_POLICY_ATTACHMENT, KMS_ALIAS,
    KMS_KEY, LOG_GROUP, METRIC_ALARM, SCHEDULE, SECRET, SNS_TOPIC, SNS_TOPIC_POLICY, SQS_QUEUE, SQS_QUEUE_POLICY,
)

SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
# Keys AWS manages for a service: their policies let the account's principals use them through that
# service, and nobody can change them (so no other service principal may ever use them).
AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"
# Which properties name each type, in the order they are tried.
IDENTIFIERS: dict[str, tuple[str, ...]] = {
    IAM_ROLE: ("arn", "name", "id"), IAM_POLICY: ("arn", "name", "id"), SQS_QUEUE: ("arn", "url", "id", "name"),
    SNS_TOPIC: ("arn", "id", "name"), KMS_KEY: ("arn", "keyId", "id"), KMS_ALIAS: ("name", "arn", "id"),
    SECRET: ("arn", "id", "name"), SSM_PARAMETER: ("arn", "name", "id"), LOG_GROUP: ("arn", "name", "id"),
    ECS_CLUSTER: ("arn", "name", "id"), ECS_TASK_DEFINITION: ("arn", "arnWithoutRevision", "family", "id"),
    METRIC_ALARM: ("arn", "name"), SCHEDULE: ("arn", "name"),
}


@dataclass(frozen=True)
class KeyRef:
    """What a kmsKeyId-like property points at: a key of the stack, an AWS managed key, or a key elsewhere."""

    kind: str  # "stack", "aws-managed", "external", "unknown"
    label: str
    resource: AccessResource | None = None
    arn: str = ""


class Stack:
    """Every resource of one run, indexed for the access model."""

    def __init__(self, resources: Iterable[AccessResource], region_hint: str | None = None):
        self.resources = [r for r in resources if r.type.startswith("aws:")]
        self.by_urn = {r.urn: r for r in self.resources}
        self.env: StackEnvironment | None = stack_environment(self.resources, region_hint)

    def of_type(self, *types: str) -> list[AccessResource]:
        return [r for r in self.resources if r.type in types]

    # --- links --------------------------------------------------------------------------

    def find(self, value: Any, deps: Sequence[str], *types: str) -> AccessResource | None:
        """The resource of `types` that `value` names (by ARN, name, id or URL), else the one it depends on."""
        if isinstance(value, str) and value:
            for resource in self.of_type(*types):
                if value in self.identifiers(resource):
                    return resource
        for urn in deps:
            resource = self.by_urn.get(urn)
            if resource is not None and resource.type in types:
                return resource
        return None

    def linked(self, owner: AccessResource, key: str, *types: str) -> AccessResource | None:
        return self.find(owner.get(key), owner.deps(key), *types)

    def identifiers(self, resource: AccessResource) -> set[str]:
        found = {v for k in IDENTIFIERS.get(resource.type, ("arn", "name", "id"))
                 if isinstance(v := resource.get(k), str) and v}
        built = self.arn_of(resource)
        if built and not has_hole(built):
            found.add(built)
        if resource.type == SQS_QUEUE and self.env and resource.text("name"):
            found.add(f"https://sqs.{self.region_of(resource)}.amazonaws.com/{self.env.account}/{resource.text('name')}")
        return found

    def region_of(self, resource: AccessResource) -> str:
        region = resource.text("region")
        return region or (self.env.region if self.env else "")

    # --- ARNs ---------------------------------------------------------------------------

    def arn_of(self, resource: AccessResource) -> str:
        """The resource's ARN: the known one, else the one AWS will assign (HOLE where AWS picks)."""
        known = resource.text("arn")
        if known:
            return known
        env = self.env
        if env is None:
            return HOLE
        name = resource.text("name") or HOLE
        region = self.region_of(resource)
        builders = {
            IAM_ROLE: lambda: env.arn("iam", f"role{resource.text('path') or '/'}{name}", regional=False),
            IAM_POLICY: lambda: env.arn("iam", f"policy{resource.text('path') or '/'}{name}", regional=False),
            SQS_QUEUE: lambda: env.arn("sqs", name, region),
            SNS_TOPIC: lambda: env.arn("sns", name, region),
            LOG_GROUP: lambda: env.arn("logs", f"log-group:{name}", region),
            SECRET: lambda: env.arn("secretsmanager", f"secret:{name}-{ONE * 6}", region),
            SSM_PARAMETER: lambda: env.arn("ssm", f"parameter/{name.lstrip('/')}", region),
            KMS_KEY: lambda: env.arn("kms", f"key/{resource.text('keyId') or HOLE}", region),
            ECS_CLUSTER: lambda: env.arn("ecs", f"cluster/{name}", region),
            ECS_TASK_DEFINITION: lambda: env.arn("ecs", f"task-definition/{resource.text('family') or HOLE}:{HOLE}",
                                                 region),
            METRIC_ALARM: lambda: env.arn("cloudwatch", f"alarm:{name}", region),
            SCHEDULE: lambda: env.arn("scheduler", f"schedule/{resource.text('groupName') or 'default'}/{name}",
                                      region),
        }
        builder = builders.get(resource.type)
        return builder() if builder else HOLE

    # --- keys ---------------------------------------------------------------------------

    def key(self, value: Any, deps: Sequence[str] = ()) -> KeyRef:
        """The key a kmsKeyId / kmsMasterKeyId / kmsKeyArn names: by ARN, id, alias name or alias ARN."""
        text = value if isinstance(value, str) else ""
        alias_name = text.split(":", 5)[-1] if ":alias/" in text else text
        if alias_name.startswith(AWS_MANAGED_ALIAS_PREFIX):
            return KeyRef("aws-managed", f"AWS managed key {alias_name}")
        key = self.find(text, deps, KMS_KEY)
        if key is None:
            alias = self.find(alias_name, deps, KMS_ALIAS)
            if alias is not None:
                key = self.linked(alias, "targetKeyId", KMS_KEY)
        if key is not None:
            return KeyRef("stack", f"key {key.name}", key, self.arn_of(key))
        if text:
            return KeyRef("external", f"key {text} (not created by this stack)", None, text)
        return KeyRef("unknown", "a key not known until it exists")

    def aliases_of(self, key: AccessResource) -> list[str]:
        return [a.text("name") or "" for a in self.of_type(KMS_ALIAS)
                if self.linked(a, "targetKeyId", KMS_KEY) is key and a.text("name")]

    def key_policy(self, ref: KeyRef) -> Policy | None:
        if ref.resource is None:
            return Policy(f"the policy of {ref.label}", None, f"the policy of {ref.label} is not in the stack")
        return _policy(f"key policy of {ref.resource.name}", ref.resource, "policy", required=True)

    # --- policies -----------------------------------------------------------------------

    def identity_policies(self, role: AccessResource) -> list[Policy]:
        """A role's inline policies, RolePolicy resources, and attached managed and customer policies."""
        out = [Policy(f"inline policy {p.get('name') or i + 1} of role {role.name}", _parsed(p.get("policy")))
               for i, p in enumerate(_list(role.get("inlinePolicies"))) if isinstance(p, Mapping)]
        for policy in self.of_type(IAM_ROLE_POLICY):
            if self.linked(policy, "role", IAM_ROLE) is role:
                out.append(_policy(f"role policy {policy.name}", policy, "policy"))
        arns = [(a.get("policyArn"), a.deps("policyArn"), a.name) for a in self.of_type(IAM_ROLE_POLICY_ATTACHMENT)
                if self.linked(a, "role", IAM_ROLE) is role]
        arns += [(arn, (), role.name) for arn in _list(role.get("managedPolicyArns"))]
        for arn, deps, via in arns:
            out.append(self._managed(arn, deps, via))
        return out

    def _managed(self, arn: Any, deps: Sequence[str], via: str) -> Policy:
        name = arn.rsplit("/", 1)[-1] if isinstance(arn, str) else ""
        if isinstance(arn, str) and ":iam::aws:policy/" in arn:
            document = AWS_MANAGED_POLICIES.get(name)
            return Policy(f"AWS managed policy {name}", document,
                          "" if document else f"the AWS managed policy {name} is not shipped with qcap")
        policy = self.find(arn, deps, IAM_POLICY)
        if policy is not None:
            return _policy(f"managed policy {policy.name}", policy, "policy")
        return Policy(f"policy {arn} attached by {via}", None, f"the policy {arn} attached by {via} is not in the stack")

    def trust_policy(self, role: AccessResource) -> Policy:
        return _policy(f"trust policy of role {role.name}", role, "assumeRolePolicy", required=True)

    def resource_policy(self, resource: AccessResource) -> Policy | None:
        """The queue's, topic's or secret's own policy, from the resource and its policy resources, merged."""
        kinds = {SQS_QUEUE: (SQS_QUEUE_POLICY, "queueUrl"), SNS_TOPIC: (SNS_TOPIC_POLICY, "arn"),
                 SECRET: (SECRET_POLICY, "secretArn")}
        if resource.type not in kinds:
            return None
        policy_type, link = kinds[resource.type]
        parts = [resource.document("policy")] if resource.get("policy") not in (None, "") else []
        parts += [p.document("policy") for p in self.of_type(policy_type)
                  if self.find(p.get(link), p.deps(link), resource.type) is resource]
        if not parts:
            return None
        label = f"the policy of {resource.name}"
        if any(p is UNKNOWN or p is None for p in parts):
            return Policy(label, None, f"{label} is not known until the resources it names exist")
        return Policy(label, {"Version": "2012-10-17", "Statement": [s for p in parts for s in _list(p.get("Statement"))]})


def _list(value: Any) -> list[Any]:
    if value is None or value is UNKNOWN:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _parsed(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        probe = AccessResource("", "", "", {"policy": value})
        parsed = probe.document("policy")
        return parsed if isinstance(parsed, Mapping) else None
    return None


def _policy(label: str, resource: AccessResource, key: str, required: bool = False) -> Policy:
    document = resource.document(key)
    if document is UNKNOWN:
        deps = ", ".join(u.rsplit("::", 1)[-1] for u in resource.deps(key)) or "the resources it names"
        return Policy(label, None, f"{label} is not known until {deps} exist")
    if document is None:
        return Policy(label, {"Statement": []} if not required else None,
                      "" if not required else f"{label} is not set or not JSON")
    return Policy(label, document)
