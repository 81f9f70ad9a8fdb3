"""IAM and resource-policy rules: nobody outside the account reads a queue, publishes to a topic,
assumes a role, or gets every action through NotAction or an admin policy.

Anchors: checkov CKV_AWS_72 (SQS policy allows *), CKV_AWS_168 (SQS allows all actions),
CKV_AWS_60/274 (trust and admin access), CKV_AWS_356/CKV_AWS_111 spirit; cdk-nag IAM4, IAM5,
SNS2/SQS policies. Every rule here reads one resource, so each decides before anything exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.rules_base import (
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_POLICY,
    IAM_POLICY_ATTACHMENT,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENT,
    MANDATORY,
    SNS_TOPIC,
    SNS_TOPIC_POLICY,
    SQS_QUEUE,
    SQS_QUEUE_POLICY,
    ResourceView,
    Rule,
    as_list,
    as_mapping,
)

PUBLIC_PRINCIPAL = "*"
# Condition keys that pin a public principal down to one account, organisation, source or network.
RESTRICTING_CONDITION_KEYS = (
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:principalorgid", "aws:principalaccount",
    "aws:principalarn", "aws:sourcevpc", "aws:sourcevpce", "aws:principalorgpaths", "aws:sourceorgid",
)
# AWS-managed policies that grant everything, or everything of a service (IAM policy reference).
ADMIN_MANAGED_POLICY_PATTERN = (
    r"^arn:aws[a-z-]*:iam::aws:policy/(.+/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]+FullAccess)$"
)
ATTACHMENT_TYPES = (IAM_ROLE_POLICY_ATTACHMENT, IAM_POLICY_ATTACHMENT, IAM_USER_POLICY_ATTACHMENT,
                    IAM_GROUP_POLICY_ATTACHMENT)


def statements(document: Any) -> list[Mapping[str, Any]]:
    parsed = as_mapping(document) or {}
    return [s for s in as_list(parsed.get("Statement")) if isinstance(s, Mapping)]


def is_public_principal(principal: Any) -> bool:
    """True for `"*"`, `{"AWS": "*"}` or a list holding `"*"`: any AWS principal at all."""
    if principal == PUBLIC_PRINCIPAL:
        return True
    if isinstance(principal, Mapping):
        return any(PUBLIC_PRINCIPAL in [str(v) for v in as_list(value)] for key, value in principal.items()
                   if str(key) == "AWS")
    return PUBLIC_PRINCIPAL in [str(p) for p in as_list(principal)]


def is_restricted(statement: Mapping[str, Any]) -> bool:
    """True when the statement's Condition pins the caller to an account, organisation, source or network."""
    condition = as_mapping(statement.get("Condition")) or {}
    for operator in condition.values():
        for key in (as_mapping(operator) or {}):
            if str(key).lower() in RESTRICTING_CONDITION_KEYS:
                return True
    return False


def public_allows(document: Any) -> list[str]:
    """Sids (or positions) of Allow statements open to any AWS principal without a restricting condition."""
    found = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect", "Allow") != "Allow" or not is_public_principal(statement.get("Principal")):
            continue
        if is_restricted(statement):
            continue
        found.append(str(statement.get("Sid") or f"statement {index + 1}"))
    return found


def all_action_allows(document: Any) -> list[str]:
    """Sids (or positions) of Allow statements granting every action of the service (`*`, `sqs:*`, `sns:*`)."""
    found = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        if any(str(a) == "*" or str(a).endswith(":*") for a in as_list(statement.get("Action"))):
            found.append(str(statement.get("Sid") or f"statement {index + 1}"))
    return found


def check_resource_policy_not_public(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    document = view.props.get("policy")
    if not document:
        return []
    what = "queue" if view.type in (SQS_QUEUE, SQS_QUEUE_POLICY) else "topic"
    out = []
    opened = public_allows(document)
    if opened:
        out.append(f"`{view.name}`: policy statement(s) {', '.join(opened)} allow Principal \"*\" with no condition on "
                   f"the source account, organisation or ARN: anyone on AWS can use this {what}.")
    every = all_action_allows(document)
    if every:
        out.append(f"`{view.name}`: policy statement(s) {', '.join(every)} allow every action on this {what}; name the "
                   "actions the principal needs (send, or publish).")
    return out


def check_trust_not_public(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    opened = public_allows(view.props.get("assumeRolePolicy"))
    if opened:
        return [f"IAM role `{view.name}`: trust policy statement(s) {', '.join(opened)} let any AWS principal "
                "assume the role."]
    return []


def _documents(view: ResourceView) -> list[Any]:
    if view.type in (IAM_ROLE_POLICY, IAM_POLICY):
        return [view.props.get("policy")]
    return [p.get("policy") for p in as_list(view.props.get("inlinePolicies")) if isinstance(p, Mapping)]


def check_no_allow_not_action(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    out = []
    for document in _documents(view):
        for statement in statements(document):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            for key in ("NotAction", "NotResource"):
                if key in statement:
                    out.append(f"IAM `{view.name}` allows with {key} {as_list(statement.get(key))}: everything "
                               "not listed is allowed, including actions AWS adds later.")
    return out


def check_no_admin_policy(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    arns = ([view.props.get("policyArn")] if view.type in ATTACHMENT_TYPES
            else as_list(view.props.get("managedPolicyArns")))
    return [f"IAM `{view.name}` attaches the AWS-managed policy {arn}: admin or full access to a service, far more "
            "than a queue workload needs." for arn in arns if arn and re.search(ADMIN_MANAGED_POLICY_PATTERN, str(arn))]


RULES: tuple[Rule, ...] = (
    Rule(
        id="resource-policy-not-public",
        description="Queue and topic policies allow no public principal (\"*\") without a source condition, and "
                    "no Allow of every action.",
        level=MANDATORY,
        why="A queue or topic that allows Principal \"*\" can be read, filled or drained by any AWS account.",
        remediation="Name the account or service principals that need access, or add a Condition on aws:SourceArn, "
                    "aws:SourceAccount or aws:PrincipalOrgID to the Allow statement.",
        check=check_resource_policy_not_public,
        resource_types=(SQS_QUEUE, SQS_QUEUE_POLICY, SNS_TOPIC, SNS_TOPIC_POLICY),
        anchor="checkov CKV_AWS_72, CKV_AWS_168; cdk-nag SNS/SQS policy checks",
    ),
    Rule(
        id="iam-trust-not-public",
        description="No IAM role lets any AWS principal assume it.",
        level=MANDATORY,
        why="A trust policy with Principal \"*\" hands the role's permissions to every AWS account.",
        remediation="Trust only the service principal that runs the task (ecs-tasks.amazonaws.com, "
                    "scheduler.amazonaws.com) or named accounts.",
        check=check_trust_not_public, resource_types=(IAM_ROLE,), anchor="checkov CKV_AWS_60, CKV_AWS_274 spirit",
    ),
    Rule(
        id="iam-no-allow-not-action",
        description="No IAM Allow statement uses NotAction or NotResource.",
        level=MANDATORY,
        why="Allow + NotAction grants every action but the few listed, now and whatever AWS adds.",
        remediation="List the allowed actions and resources explicitly.",
        check=check_no_allow_not_action, resource_types=(IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY),
        anchor="cdk-nag IAM5",
    ),
    Rule(
        id="iam-no-admin-policy",
        description="No AWS-managed admin or full-access policy is attached.",
        level=MANDATORY,
        why="AdministratorAccess, PowerUserAccess and the *FullAccess policies give a consumer far more than its "
            "queue; a compromised task owns the account or the service.",
        remediation="Attach a policy naming the actions and resources the workload uses (qcap's task role does).",
        check=check_no_admin_policy, resource_types=(IAM_ROLE, *ATTACHMENT_TYPES),
        anchor="checkov CKV_AWS_274, cdk-nag IAM4",
    ),
)
