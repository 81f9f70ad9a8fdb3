"""IAM and resource-policy rules: nobody outside the account reads a queue, publishes to a topic,
assumes a role, or gets every action through NotAction or an admin policy.

Anchors: checkov CKV_AWS_72 (SQS policy allows *), CKV_AWS_168 (SQS allows all actions),
CKV_AWS_60/274 (trust and admin access), CKV_AWS_356/CKV_AWS_111 spirit; cdk-nag IAM4, IAM5,
SNS2/SQS policies. Every rule here reads one resource, so each decides before anything exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from policies.iam_policy import (
    Statement,
    allowed_actions,
    every_action_services,
    foreign_accounts,
    is_public,
    on_every_resource,
    open_to_anyone,
    parse,
    pinned,
)
from policies.managed_policies_broad import BROAD_MANAGED_POLICIES
from policies.rules_base import (
    ADVISORY,
    IAM_GROUP_POLICY,
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE,
    IAM_POLICY,
    IAM_POLICY_ATTACHMENT,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    IAM_USER_POLICY,
    IAM_USER_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE,
    KMS_KEY,
    KMS_KEY_POLICY,
    MANDATORY,
    SNS_TOPIC,
    SNS_TOPIC_POLICY,
    SQS_QUEUE,
    SQS_QUEUE_POLICY,
    ResourceView,
    Rule,
    as_list,
)

# Key actions that use or hand out the key material (KMS API reference).
KEY_USE_ACTIONS = frozenset({"decrypt", "encrypt", "generatedatakey", "generatedatakeywithoutplaintext",
                             "reencryptfrom", "reencryptto", "creategrant", "generatedatakeypair"})

# Actions a message lists before it says "...".
MESSAGE_MAX_ACTIONS = 4

ATTACHMENT_TYPES = (IAM_ROLE_POLICY_ATTACHMENT, IAM_POLICY_ATTACHMENT, IAM_USER_POLICY_ATTACHMENT,
                    IAM_GROUP_POLICY_ATTACHMENT)
EXCLUSIVE_ATTACHMENT_TYPES = (IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE, IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE,
                              IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE)
# Resources whose `policy` property is an identity policy document.
IDENTITY_POLICY_TYPES = (IAM_ROLE_POLICY, IAM_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY)
_MANAGED_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.+/)?([^/]+)$")


def identity_documents(view: ResourceView) -> list[Any]:
    """The identity policy documents a resource carries: its `policy`, or a role's inline_policies."""
    if view.type in IDENTITY_POLICY_TYPES:
        return [view.props.get("policy")]
    return [p.get("policy") for p in as_list(view.props.get("inlinePolicies")) if isinstance(p, Mapping)]


def attached_policy_arns(view: ResourceView) -> list[str]:
    """The managed policy ARNs a role, an attachment or an exclusive attachment set attaches."""
    if view.type in ATTACHMENT_TYPES:
        return [str(view.props.get("policyArn") or "")]
    if view.type in EXCLUSIVE_ATTACHMENT_TYPES:
        return [str(a) for a in as_list(view.props.get("policyArns"))]
    return [str(a) for a in as_list(view.props.get("managedPolicyArns"))]


def broad_managed_policy(arn: str) -> str | None:
    """Why an AWS managed policy ARN is admin or full access (AWS's own list), or None."""
    match = _MANAGED_ARN.match(arn.strip())
    return BROAD_MANAGED_POLICIES.get(match.group(1)) if match else None


def _names(found: list[Statement]) -> str:
    return ", ".join(s.name for s in found)


def check_resource_policy_not_public(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    document = view.props.get("policy")
    if not document:
        return []
    what = "queue" if view.type in (SQS_QUEUE, SQS_QUEUE_POLICY) else "topic"
    out = []
    opened = open_to_anyone(document)
    if opened:
        out.append(f"`{view.name}`: policy statement(s) {_names(opened)} allow any AWS principal (\"*\" or "
                   "NotPrincipal) with no condition that pins the source account, organisation or ARN: anyone on "
                   f"AWS can use this {what}.")
    every = [s for s in parse(document) if s.allow and every_action_services(s)]
    if every:
        out.append(f"`{view.name}`: policy statement(s) {_names(every)} allow every action on this {what}; name the "
                   "actions the principal needs (send, or publish).")
    return out


def check_trust_not_public(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    opened = open_to_anyone(view.props.get("assumeRolePolicy"))
    if opened:
        return [f"IAM role `{view.name}`: trust policy statement(s) {_names(opened)} let any AWS principal "
                "assume the role."]
    return []


def check_key_policy_not_public(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    out = []
    for s in open_to_anyone(view.props.get("policy")):
        actions = sorted(allowed_actions(s))
        uses = [a for a in actions if a.lower().startswith("kms:") and a.split(":", 1)[1].lower() in KEY_USE_ACTIONS]
        shown = uses or actions
        listed = ", ".join(shown[:MESSAGE_MAX_ACTIONS]) + (" ..." if len(shown) > MESSAGE_MAX_ACTIONS else "")
        what = ("anyone can decrypt what the key protects" if uses
                else "anyone can read or change the key, though not use it to decrypt")
        out.append(f"KMS key policy `{view.name}`: {s.label} lets any AWS principal call {listed} with no "
                   f"condition that pins the caller: {what}.")
    return out


CROSS_ACCOUNT_TYPES = (SQS_QUEUE, SQS_QUEUE_POLICY, SNS_TOPIC, SNS_TOPIC_POLICY, IAM_ROLE, KMS_KEY, KMS_KEY_POLICY)
_ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):(?!root)")


def _policy_of(view: ResourceView) -> Any:
    return view.props.get("assumeRolePolicy") if view.type == IAM_ROLE else view.props.get("policy")


def stack_accounts(views: Sequence[ResourceView]) -> set[str]:
    """The accounts the stack's own resources live in: those of its resources' ARNs and of the resource ARNs
    its policies name."""
    accounts = set()
    for view in views:
        accounts.update(_ARN_ACCOUNT.findall(str(view.known("arn") or "")))
        if view.type in CROSS_ACCOUNT_TYPES:
            for s in parse(_policy_of(view)):
                for resource in s.resources:
                    accounts.update(_ARN_ACCOUNT.findall(resource))
    return accounts


def check_cross_account_conditioned(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    own = stack_accounts(views) | {str(a) for a in as_list(config.get("ownAccounts"))}
    out = []
    for view in views:
        if view.type not in CROSS_ACCOUNT_TYPES:
            continue
        for s in parse(_policy_of(view)):
            if not s.allow or is_public(s) or pinned(s):
                continue
            foreign = sorted(foreign_accounts(s, own))
            if foreign:
                out.append((view.urn, f"`{view.name}`: {s.label} grants account(s) {', '.join(foreign)} "
                                      "with no condition (aws:SourceArn, aws:PrincipalOrgID, aws:SourceAccount): "
                                      "check that they should reach it."))
    return out


def check_no_allow_not_action(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    out = []
    for document in identity_documents(view):
        for s in parse(document):
            if not s.allow:
                continue
            for key, values in (("NotAction", s.not_actions), ("NotResource", s.not_resources)):
                if values is not None:
                    out.append(f"IAM `{view.name}` allows with {key} {list(values)}: everything "
                               "not listed is allowed, including actions AWS adds later.")
    return out


def check_no_admin_policy(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    out = [f"IAM `{view.name}` attaches the AWS-managed policy {arn} ({why}): admin or full access to a service, "
           "far more than a queue workload needs."
           for arn in attached_policy_arns(view) if arn and (why := broad_managed_policy(arn))]
    for document in identity_documents(view):
        for s in parse(document):
            if s.allow and any(x == "*" for x in every_action_services(s)) and on_every_resource(s):
                out.append(f"IAM `{view.name}` {s.label} allows every action on every resource: "
                           "administrator access.")
    return out


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
        check=check_no_allow_not_action, resource_types=(IAM_ROLE, *IDENTITY_POLICY_TYPES),
        anchor="cdk-nag IAM5",
    ),
    Rule(
        id="iam-no-admin-policy",
        description="No AWS-managed admin or full-access policy is attached.",
        level=MANDATORY,
        why="AdministratorAccess, PowerUserAccess and the *FullAccess policies give a consumer far more than its "
            "queue; a compromised task owns the account or the service.",
        remediation="Attach a policy naming the actions and resources the workload uses (qcap's task role does).",
        check=check_no_admin_policy,
        resource_types=(IAM_ROLE, *ATTACHMENT_TYPES, *EXCLUSIVE_ATTACHMENT_TYPES, *IDENTITY_POLICY_TYPES),
        anchor="checkov CKV_AWS_274, cdk-nag IAM4",
    ),
    Rule(
        id="kms-key-policy-not-public",
        description="No KMS key policy lets any AWS principal use the key without a condition pinning the caller.",
        level=MANDATORY,
        why="A key policy is the key's only gate: {\"AWS\": \"*\"} on kms:Decrypt lets any account read every "
            "queue message the key encrypts.",
        remediation="Allow the account root (arn:aws:iam::ACCOUNT:root) and the roles or services that use the key, "
                    "or pin the caller with aws:PrincipalAccount / kms:CallerAccount / aws:SourceArn.",
        check=check_key_policy_not_public, resource_types=(KMS_KEY, KMS_KEY_POLICY),
        anchor="checkov CKV_AWS_33 spirit",
    ),
    Rule(
        id="cross-account-principal-conditioned",
        description="A resource, trust or key policy that names another account says why with a condition.",
        level=ADVISORY,
        why="Naming an account hands it access for good; a person should confirm it and pin it to the source.",
        remediation="Add aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID to the statement, or remove it.",
        check=check_cross_account_conditioned, stack=True,
        config_schema={"ownAccounts": {"type": "array", "items": {"type": "string"}, "default": [],
                                       "description": "Accounts of the organisation that need no condition."}},
    ),
)
