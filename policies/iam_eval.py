"""Would AWS allow this call? IAM's policy evaluation logic over identity, resource, key and trust policies.

The order AWS documents: an explicit Deny in any applicable policy wins; otherwise an Allow is
needed. In one account an identity policy or a resource policy naming the principal is enough;
across accounts both sides must allow. A service principal is only ever allowed by a resource
policy. KMS is stricter: the key policy must allow the call itself, or delegate to IAM by
allowing the account (arn:aws:iam::ACCOUNT:root), and only then do identity policies count.
Role assumption is decided by the role's trust policy. Not modelled: SCPs, RCPs, permission
boundaries, session policies, VPC endpoint policies, KMS grants. Pure: qcap and the pack share it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from policies.iam_conditions import evaluate_condition, substitute
from policies.iam_match import Tri, glob_match, shown, t_and, t_or

Kind = Literal["plain", "kms", "trust"]
_ACCOUNT_ROOT = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):root$")
_SESSION = re.compile(r"^arn:[a-z-]+:sts::(\d{12}):assumed-role/([^/]+)/(.+)$")


@dataclass(frozen=True)
class Principal:
    """Who calls: an IAM role (`arn` its ARN, `account` its account) or a service (`arn` its name)."""

    kind: Literal["role", "service"]
    arn: str
    account: str | None = None
    label: str = ""
    session: str | None = None  # a role session's name; None: not known (an ECS task's is its id)

    @property
    def role_name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return self.label or self.arn


@dataclass(frozen=True)
class Policy:
    """A policy document and how messages name it; `document` None when it is not known offline."""

    label: str
    document: Mapping[str, Any] | None
    unknown_why: str = ""


@dataclass(frozen=True)
class Request:
    """One call: who, which action, on which resource (an ARN, maybe with unknown parts), with what context."""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    resource_account: str | None = None


@dataclass(frozen=True)
class Decision:
    """AWS's answer: `allowed` True, False (denied) or None (not decidable offline, see `reasons`).

    `missing` says what a denial lacks: `deny` (an explicit Deny matched), `identity`, `resource`,
    `key-policy` (the key policy neither allows nor delegates to IAM) or `both` (cross-account).
    """

    allowed: Tri
    summary: str
    missing: str = ""
    reasons: tuple[str, ...] = ()
    deny_statement: str = ""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _statement_name(statement: Mapping[str, Any], index: int) -> str:
    return f"statement {statement['Sid']!r}" if statement.get("Sid") else f"statement {index + 1}"


# --- principals ---------------------------------------------------------------------------


def _one_principal(kind: str, entry: str, principal: Principal) -> str:
    """How one Principal entry names the caller: direct, account, unknown or none."""
    if entry == "*":
        return "direct"
    if kind == "service":
        return "direct" if principal.kind == "service" and entry.lower() == principal.arn.lower() else "none"
    if kind != "aws" or principal.kind != "role":
        return "none"
    if entry == principal.arn:
        return "direct"
    account = entry if re.fullmatch(r"\d{12}", entry) else (_ACCOUNT_ROOT.match(entry) or [None, None])[1]
    if account is not None:
        return "account" if account == principal.account else "none"
    return _session_match(entry, principal)


def _session_match(entry: str, principal: Principal) -> str:
    """An assumed-role session ARN against the caller: direct, unknown (session name not known) or none."""
    session = _SESSION.match(entry)
    if not session or session.group(1) != principal.account or session.group(2) != principal.role_name:
        return "none"
    if principal.session is None:
        return "unknown"
    return "direct" if session.group(3) == principal.session else "none"


def _entries(element: Any) -> list[tuple[str, str]]:
    if element == "*":
        return [("aws", "*")]
    if isinstance(element, Mapping):
        return [(str(k).lower(), str(v)) for k, values in element.items() for v in _as_list(values)]
    return [("aws", str(v)) for v in _as_list(element)]


def principal_match(element: Any, principal: Principal) -> str:
    """The strongest way a Principal element names the caller: direct, unknown, account or none."""
    found = {_one_principal(kind, entry, principal) for kind, entry in _entries(element)}
    for answer in ("direct", "unknown", "account"):
        if answer in found:
            return answer
    return "none"


def _not_principal_applies(element: Any, principal: Principal) -> Tri:
    """A NotPrincipal statement applies unless it lists every identity of the caller.

    A role's call is made by a session: excluding it takes the account and the session's ARN,
    not the role's ARN alone (IAM User Guide, NotPrincipal)."""
    entries = _entries(element)
    if ("aws", "*") in entries:
        return False
    if principal.kind == "service":
        return not any(k == "service" and e.lower() == principal.arn.lower() for k, e in entries)
    aws = [e for k, e in entries if k == "aws"]
    if not any(_one_principal("aws", e, principal) == "account" for e in aws):
        return True
    sessions = {_session_match(e, principal) for e in aws}
    if "direct" in sessions:
        return False
    return None if "unknown" in sessions else True


# --- statements ---------------------------------------------------------------------------


def _action_match(statement: Mapping[str, Any], action: str) -> Tri:
    if "NotAction" in statement:
        return not any(glob_match(str(p), action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return t_or(glob_match(str(p), action, ignore_case=True) for p in _as_list(statement.get("Action")))


def _resource_match(statement: Mapping[str, Any], request: Request, reasons: list[str]) -> Tri:
    key = "NotResource" if "NotResource" in statement else "Resource"
    if key not in statement:
        return True  # resource and trust policies may leave it out: the resource itself
    results: list[Tri] = []
    for raw in _as_list(statement[key]):
        if not isinstance(raw, str):
            reasons.append(f"a {key} value is not known offline")
            results.append(None)
            continue
        pattern, problem = substitute(raw, request.context, request.action)
        if pattern is None:
            reasons.append(problem or str(raw))
            results.append(None)
        else:
            results.append(glob_match(pattern, request.resource))
    hit = t_or(results)
    return (None if hit is None else not hit) if key == "NotResource" else hit


@dataclass
class _Match:
    applies: Tri
    via_account: bool
    reasons: list[str]
    name: str


def _match(statement: Mapping[str, Any], index: int, request: Request, with_principal: bool) -> _Match:
    name = _statement_name(statement, index)
    reasons: list[str] = []
    via_account = False
    checks: list[Tri] = []
    if with_principal:
        if "NotPrincipal" in statement:
            checks.append(_not_principal_applies(statement["NotPrincipal"], request.principal))
        else:
            how = principal_match(statement.get("Principal"), request.principal)
            if how == "none":
                return _Match(False, False, [], name)
            if how == "unknown":
                reasons.append(f"{name} names a session of {request.principal} whose name is not known offline")
            via_account = how == "account"
            checks.append(None if how == "unknown" else True)
    checks.append(_action_match(statement, request.action))
    if checks[-1] is False:
        return _Match(False, via_account, [], name)
    checks.append(_resource_match(statement, request, reasons))
    if checks[-1] is False:
        return _Match(False, via_account, [], name)
    condition, why = evaluate_condition(statement.get("Condition"), request.context, request.action)
    checks.append(condition)
    applies = t_and(checks)
    if applies is None:
        reasons += [f"{name}: {w}" for w in why]
    return _Match(applies, via_account, reasons if applies is None else [], name)


@dataclass
class _Side:
    """What one group of policies says: allow (direct, via the account) and deny, each three-valued."""

    allow: Tri = False
    allow_account: Tri = False
    deny: Tri = False
    deny_name: str = ""
    allow_names: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _read(policies: Sequence[Policy], request: Request, with_principal: bool) -> _Side:
    side = _Side()
    for policy in policies:
        if policy.document is None:
            side.allow = t_or([side.allow, None])
            side.deny = t_or([side.deny, None])
            side.reasons.append(policy.unknown_why or f"{policy.label} is not known offline")
            continue
        for index, statement in enumerate(statements(policy.document)):
            m = _match(statement, index, request, with_principal)
            if m.applies is False:
                continue
            side.reasons += m.reasons
            if str(statement.get("Effect")) == "Deny":
                if m.applies is True and side.deny is not True:
                    side.deny_name = f"{m.name} of {policy.label}"
                side.deny = t_or([side.deny, m.applies])
            elif str(statement.get("Effect")) == "Allow":
                if m.via_account:
                    side.allow_account = t_or([side.allow_account, m.applies])
                else:
                    side.allow = t_or([side.allow, m.applies])
                if m.applies:
                    side.allow_names.append(f"{m.name} of {policy.label}")
    return side


# --- the decision ---------------------------------------------------------------------------


def evaluate(request: Request, identity: Sequence[Policy] = (), resource: Policy | None = None,
             kind: Kind = "plain") -> Decision:
    """Decide one call. `identity`: the caller's identity policies (a role's inline, attached and managed
    ones); `resource`: the resource's policy (queue, topic, secret; a key's key policy; a role's trust
    policy), required for `kms` and `trust`."""
    principal = request.principal
    ident = _read(identity if principal.kind == "role" else (), request, with_principal=False)
    res = _read([resource] if resource else [], request, with_principal=True)
    reasons = tuple(dict.fromkeys(ident.reasons + res.reasons))
    if ident.deny is True or res.deny is True:
        where = ident.deny_name if ident.deny is True else res.deny_name
        return Decision(False, f"explicitly denied by {where}", "deny", (), where)
    same_account = request.resource_account in (None, principal.account) or principal.kind == "service"
    if principal.kind == "service":
        allow, missing = res.allow, "resource"
    elif kind == "kms":
        if same_account:
            allow = t_or([res.allow, t_and([res.allow_account, ident.allow])])
        else:
            allow = t_and([t_or([res.allow, res.allow_account]), ident.allow])
        missing = "key-policy" if res.allow is False and res.allow_account is False else "identity"
    elif same_account:
        allow, missing = t_or([ident.allow, res.allow]), "identity"
    else:
        allow = t_and([ident.allow, t_or([res.allow, res.allow_account])])
        missing = "identity" if ident.allow is False else "resource"
        if ident.allow is False and res.allow is False and res.allow_account is False:
            missing = "both"
    if allow is False:
        return Decision(False, _denied(request, kind, missing, resource), missing, ())
    if allow is None or ident.deny is None or res.deny is None:
        return Decision(None, "cannot be decided offline", "unknown", reasons or ("a value is not known offline",))
    return Decision(True, "allowed by " + "; ".join(dict.fromkeys(ident.allow_names + res.allow_names)))


def _denied(request: Request, kind: Kind, missing: str, resource: Policy | None) -> str:
    who, what = request.principal, f"{request.action} on {shown(request.resource)}"
    where = resource.label if resource else "the resource"
    if who.kind == "service":
        if resource is None:
            return f"{what} has no resource policy, and a service principal is allowed only by one"
        return f"no statement of {where} allows {who} {what}"
    if missing == "key-policy":
        return (f"{where} neither allows {who} {request.action} nor enables IAM policies (no Allow for the "
                f"account root arn:aws:iam::{who.account}:root), so IAM policies alone cannot grant it")
    if kind == "trust":
        return f"{where} does not let {who} assume it"
    if missing == "both":
        return f"{what} is in another account: neither an identity policy of {who} nor {where} allows it"
    if missing == "resource":
        return f"{what} is in another account and {where} does not allow {who}"
    return f"no identity policy of {who} allows {what}"
