"""Access rules: every call the stack's roles and the services it relies on make at run time is allowed.

The contract says AWS would accept each resource; these say the tasks would work once they start:
the execution role can pull, log and read each secret and its key, the task role can use its
queue, metrics and protection, the schedule role can run and pass, CloudWatch can publish to the
alarm topic and use its key, CloudWatch Logs can use the log group's key. The model and the
evaluator are policies/access_*.py and policies/iam_*.py, the same ones `qcap preview` runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.access_check import Finding, check_access
from policies.access_resources import AccessResource, plain
from policies.rules_base import ADVISORY, MANDATORY, ResourceView, Rule


def access_resources(views: Sequence[ResourceView]) -> list[AccessResource]:
    """The pack's views as the access model reads them (unknown values become UNKNOWN, never raise)."""
    return [AccessResource(urn=v.urn, type=v.type, name=v.name, props=plain(v.props),
                           property_dependencies=dict(v.property_dependencies), dependencies=tuple(v.dependencies))
            for v in views]


def _message(finding: Finding) -> str:
    return f"{finding.describe()}. Fix: {finding.fix}"


def check_runtime_access(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    report = check_access(access_resources(views))
    return [(f.call.owner, _message(f)) for f in report.violations]


def check_runtime_access_decidable(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    report = check_access(access_resources(views))
    return [(f.call.owner, f"{f.principal} {f.call.action} on {f.resource} ({f.call.why}) cannot be decided "
                           f"offline: {'; '.join(f.decision.reasons)}") for f in report.undecided]


RULES: tuple[Rule, ...] = (
    Rule(
        id="runtime-access-allowed",
        description="Every call a task, schedule, alarm or log group makes at run time is allowed by IAM, "
                    "resource, key and trust policies.",
        level=MANDATORY,
        why="A task whose execution role cannot read its secret's key never starts; an alarm that cannot publish "
            "to its encrypted topic pages nobody. AWS accepts both resources; only the calls fail.",
        remediation="Grant the call named in the message where it says (the role's policy, the key policy, the "
                    "topic policy or the trust policy), or remove the Deny that matches it.",
        check=check_runtime_access, stack=True,
        anchor="IAM policy evaluation logic; KMS key policies (root delegation)",
    ),
    Rule(
        id="runtime-access-decidable",
        description="Every run-time call can be decided offline: no unknown condition key, policy or resource.",
        level=ADVISORY,
        why="A call that depends on a value not known before the resources exist, or on a policy outside the stack, "
            "is not checked until it is made.",
        remediation="Name resources and keys the stack creates, use documented condition keys, or check the call "
                    "after the first deployment.",
        check=check_runtime_access_decidable, stack=True,
    ),
)
