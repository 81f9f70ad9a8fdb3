"""A call a principal will make at run time, and the request context AWS will see with it.

Each call names who makes it (a role of the stack, or a service the stack relies on), the
action, the resource's ARN, why it is needed, the policies that decide it, and the condition
keys AWS puts in the request: what is known offline is filled in, what AWS leaves out is ABSENT,
and what depends on the moment (a source IP, a VPC endpoint) stays out, so a policy that reads
it makes the call undecided. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.access_resources import AccessResource, StackEnvironment
from policies.access_stack import KeyRef, Stack
from policies.iam_conditions import ABSENT, UNKNOWN
from policies.iam_eval import Kind, Policy, Principal

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
SCHEDULER_SERVICE = "scheduler.amazonaws.com"
CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"
ENCRYPTION_ALGORITHM = "SYMMETRIC_DEFAULT"


@dataclass(frozen=True)
class Call:
    """One call and what decides it; `problem` when it fails whatever the policies say, `undecided` when
    the model itself cannot tell (a value not known until a resource exists)."""

    principal: Principal
    action: str
    resource: str
    resource_label: str
    why: str
    kind: Kind = "plain"
    context: Mapping[str, Any] = field(default_factory=dict)
    identity: tuple[Policy, ...] = ()
    resource_policy: Policy | None = None
    resource_account: str | None = None
    problem: str = ""
    fix: str = ""
    undecided: str = ""
    owner: str = ""  # the URN of the resource a report names: the role, the key or what needs the call

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.principal.arn, self.action, self.resource, self.why)


def role_principal(stack: Stack, role: AccessResource, purpose: str) -> Principal:
    env = stack.env
    return Principal("role", stack.arn_of(role), env.account if env else None,
                     f"{purpose} role {role.text('name') or role.name}")


def service_principal(name: str, label: str) -> Principal:
    return Principal("service", name, None, f"{label} ({name})")


def _tags(prefix: str, tags: Any) -> dict[str, Any]:
    known = {f"{prefix}{k}".lower(): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}
    return {**known, f"{prefix}*": ABSENT} if isinstance(tags, Mapping) or tags is None else {f"{prefix}*": UNKNOWN}


def base_context(stack: Stack, principal: Principal, resource: AccessResource | None, region: str,
                 role: AccessResource | None = None, via: str | None = None) -> dict[str, Any]:
    """The keys every request carries: who calls, over TLS (SDKs and AWS services always use it), where.

    `via`: the service that calls on the role's behalf (Secrets Manager reading a secret's key)."""
    env: StackEnvironment | None = stack.env
    context: dict[str, Any] = {"aws:securetransport": "true", "aws:requestedregion": region,
                               "aws:requesttag/*": ABSENT, "aws:tagkeys": ABSENT}
    if principal.kind == "role":
        context.update({
            "aws:principalarn": principal.arn, "aws:principalaccount": principal.account,
            "aws:principaltype": "AssumedRole", "aws:principalisawsservice": "false",
            "aws:principalservicename": ABSENT, "aws:sourcearn": ABSENT, "aws:sourceaccount": ABSENT,
            "aws:viaawsservice": "true" if via else "false",
            "aws:calledvia": [f"{via.split('.')[0]}.amazonaws.com"] if via else ABSENT,
        })
        context.update(_tags("aws:principaltag/", role.get("tags") if role else None))
    else:
        context.update({"aws:principalservicename": principal.arn, "aws:principalisawsservice": "true",
                        "aws:principalarn": ABSENT, "aws:principalaccount": ABSENT, "aws:principaltype": ABSENT,
                        "aws:principaltag/*": ABSENT, "aws:viaawsservice": "false", "aws:calledvia": ABSENT})
    if resource is not None:
        context.update(_tags("aws:resourcetag/", resource.get("tags")))
        if env:
            context["aws:resourceaccount"] = env.account
    return context


def kms_context(stack: Stack, ref: KeyRef, encryption_context: Mapping[str, str] | None,
                via: str | None, caller_account: str | None) -> dict[str, Any]:
    """What KMS adds: the caller's account, the service that called through (kms:ViaService), the key's
    aliases, and the encryption context (None: not known offline)."""
    aliases = stack.aliases_of(ref.resource) if ref.resource is not None else None
    context: dict[str, Any] = {
        "kms:calleraccount": caller_account if caller_account else UNKNOWN,
        "kms:viaservice": via if via else ABSENT,
        "kms:encryptionalgorithm": ENCRYPTION_ALGORITHM,
        "kms:requestalias": ABSENT,
        "kms:resourcealiases": (aliases or ABSENT) if aliases is not None else UNKNOWN,
    }
    if encryption_context is None:
        context["kms:encryptioncontext:*"] = UNKNOWN
        context["kms:encryptioncontextkeys"] = UNKNOWN
    else:
        context.update({f"kms:encryptioncontext:{k}".lower(): v for k, v in encryption_context.items()})
        context["kms:encryptioncontext:*"] = ABSENT
        context["kms:encryptioncontextkeys"] = sorted(encryption_context) or ABSENT
    return context


def kms_calls(stack: Stack, principal: Principal, ref: KeyRef, actions: tuple[str, ...], why: str,
              context: Mapping[str, Any], identity: tuple[Policy, ...] = (), fix: str = "") -> list[Call]:
    """The KMS calls on one key: decided by the key policy (and, through it, identity policies)."""
    if ref.kind == "aws-managed":
        return []  # the service's own key: its policy admits the account's principals through that service
    if ref.kind == "unknown":
        return [Call(principal, a, "", ref.label, why, "kms", dict(context), identity, None,
                     undecided=f"the key is {ref.label}", fix=fix) for a in actions]
    policy = stack.key_policy(ref)
    account = ref.arn.split(":")[4] if ref.arn.count(":") >= 5 else None
    return [Call(principal, a, ref.arn, ref.label, why, "kms", dict(context), identity, policy,
                 resource_account=account, fix=fix) for a in actions]
