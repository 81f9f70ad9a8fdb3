"""Would the tasks work once they start? Every call the stack's principals will make, decided as AWS would.

`check_access(resources)` derives the calls from the stack's own resources (qcap.offline.access for
a mock run, the pack's stack rule for `pulumi preview`), decides each with the IAM evaluator, and
reports each call that would be denied, naming the principal, the call, the resource, what is
missing and the fix, and each call that cannot be decided offline, with why. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from policies.access_calls import Call
from policies.access_resources import AccessResource
from policies.access_services import alarm_calls, log_group_calls, schedule_calls
from policies.access_stack import Stack
from policies.access_tasks import task_definition_calls
from policies.iam_eval import Decision, Request, evaluate
from policies.iam_match import shown
from policies.rules_base import ECS_TASK_DEFINITION, IAM_ROLE, KMS_KEY, LOG_GROUP, METRIC_ALARM, SCHEDULE


@dataclass(frozen=True)
class Finding:
    """One call and its decision; `missing` and `fix` are set for a violation, `reasons` when undecided."""

    call: Call
    decision: Decision
    missing: str = ""
    fix: str = ""

    @property
    def violation(self) -> bool:
        return self.decision.allowed is False

    @property
    def undecided(self) -> bool:
        return self.decision.allowed is None

    @property
    def principal(self) -> str:
        return str(self.call.principal)

    @property
    def resource(self) -> str:
        return shown(self.call.resource) if self.call.resource else self.call.resource_label

    def describe(self) -> str:
        """One line: who cannot make which call on what, and what is missing."""
        c = self.call
        return (f"{self.principal} cannot call {c.action} on {self.resource} ({c.why}): {self.missing}")

    def as_dict(self) -> dict[str, object]:
        return {"principal": self.principal, "principal_arn": self.call.principal.arn, "action": self.call.action,
                "resource": self.resource, "why": self.call.why, "decision": {True: "allow", False: "deny",
                                                                              None: "undecided"}[self.decision.allowed],
                "missing": self.missing, "fix": self.fix, "reasons": list(self.decision.reasons)}


@dataclass
class AccessReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.violation]

    @property
    def undecided(self) -> list[Finding]:
        return [f for f in self.findings if f.undecided]

    @property
    def principals(self) -> int:
        return len({f.call.principal.arn or f.call.principal.label for f in self.findings})

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        count = len(self.violations)
        line = (f"access: {len(self.findings)} calls of {self.principals} principals checked: "
                f"{count} violation{'s' if count != 1 else ''}")
        return line + (f", {len(self.undecided)} undecided" if self.undecided else "")

    def as_dict(self) -> dict[str, object]:
        return {"calls": len(self.findings), "principals": self.principals, "summary": self.summary(),
                "violations": [f.as_dict() for f in self.violations],
                "undecided": [f.as_dict() for f in self.undecided]}


def _owned(stack: Stack, call: Call, source: AccessResource) -> Call:
    """The call with the resource a report names: the calling role, the key or role whose policy decides a
    service's call, else the resource that needs it."""
    owner = None
    if call.principal.kind == "role" and call.principal.arn:
        owner = stack.find(call.principal.arn, (), IAM_ROLE)
    elif call.kind in ("kms", "trust") and call.resource:
        owner = stack.find(call.resource, (), KMS_KEY, IAM_ROLE)
    return replace(call, owner=(owner or source).urn)


def derive_calls(stack: Stack) -> list[Call]:
    calls: list[Call] = []
    for definition in stack.of_type(ECS_TASK_DEFINITION):
        calls += [_owned(stack, c, definition) for c in task_definition_calls(stack, definition)]
    for kinds, derive in ((SCHEDULE, schedule_calls), (METRIC_ALARM, alarm_calls), (LOG_GROUP, log_group_calls)):
        for resource in stack.of_type(kinds):
            calls += [_owned(stack, c, resource) for c in derive(stack, resource)]
    unique: dict[tuple[str, str, str, str], Call] = {}
    for call in calls:
        unique.setdefault(call.key, call)
    return list(unique.values())


def decide(call: Call) -> Finding:
    if call.problem:
        return Finding(call, Decision(False, call.problem, "problem"), call.problem, call.fix)
    if call.undecided or not call.resource:
        return Finding(call, Decision(None, "cannot be decided offline", "unknown",
                                      (call.undecided or "the resource is not known",)))
    request = Request(call.principal, call.action, call.resource, call.context, call.resource_account)
    decision = evaluate(request, call.identity, call.resource_policy, call.kind)
    if decision.allowed is False:
        return Finding(call, decision, decision.summary, _fix(call, decision))
    return Finding(call, decision)


def _fix(call: Call, decision: Decision) -> str:
    who, what = call.principal, f"{call.action} on {shown(call.resource)}"
    if decision.missing == "deny":
        return (f"narrow {decision.deny_statement} so it no longer matches {who} {call.action}, or list the "
                "principal among its exceptions")
    if decision.missing == "key-policy":
        if who.kind == "service":
            return f"add a key policy statement allowing Service {who.arn} {call.action}; {call.fix}"
        return (f"add a key policy statement allowing {who.arn} {call.action}, or enable IAM policies "
                f"(allow arn:aws:iam::{who.account}:root kms:*); {call.fix}")
    if decision.missing == "resource" and who.kind == "service":
        where = call.resource_policy.label if call.resource_policy else f"a resource policy on {call.resource_label}"
        return f"add to {where} a statement allowing Service {who.arn} {call.action}; {call.fix}"
    if call.kind == "trust":
        return f"{call.fix} (add an sts:AssumeRole statement for {who.arn} to the trust policy)"
    return f"allow {what} for {who}: {call.fix}"


def check_access(resources: Iterable[AccessResource], region_hint: str | None = None) -> AccessReport:
    stack = Stack(resources, region_hint)
    if stack.env is None:
        return AccessReport()
    return AccessReport([decide(call) for call in derive_calls(stack)])
