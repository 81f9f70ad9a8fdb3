"""A statement's Condition block decided against a request context, as IAM's policy evaluation logic does.

Operators (String*, Numeric*, Date*, Bool, Binary, IpAddress, Arn*, Null), the IfExists suffix
and the ForAnyValue / ForAllValues prefixes; keys are case-insensitive, values case-sensitive
unless the operator says otherwise. A key missing from the request makes a positive operator
false and a negated one true (IfExists: true). The answer is three-valued: a key the request
carries but whose value is not known offline, a key no service documents, or an operator IAM
does not have gives None with the reason, never a silent allow. Pure.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from policies.iam_catalogue import key_status
from policies.iam_match import Tri, arn_match, glob_match, has_hole, t_and, t_not, t_or


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# A key the request does not carry, and one it carries with a value not known offline.
ABSENT = _Marker("ABSENT")
UNKNOWN = _Marker("UNKNOWN")

Context = Mapping[str, Any]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    number = _number(text)
    if number is not None:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _compare(convert: Callable[[str], Any], test: Callable[[Any, Any], bool]) -> Callable[[str, str], Tri]:
    def match(value: str, wanted: str) -> Tri:
        if has_hole(value):
            return None
        a, b = convert(value), convert(wanted)
        return None if a is None or b is None else test(a, b)
    return match


def _string_equals(value: str, wanted: str) -> Tri:
    if not has_hole(value):
        return value == wanted
    return glob_match(wanted.replace("*", "\x02").replace("?", "\x03"), value)


def _ip(value: str, wanted: str) -> Tri:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return None


def _bool(value: str, wanted: str) -> Tri:
    return None if has_hole(value) else value.lower() == wanted.lower()


# Base operator -> (match one context value against one policy value, negated).
OPERATORS: dict[str, tuple[Callable[[str, str], Tri], bool]] = {
    "stringequals": (_string_equals, False),
    "stringnotequals": (_string_equals, True),
    "stringequalsignorecase": (lambda v, w: _string_equals(v.lower(), w.lower()), False),
    "stringnotequalsignorecase": (lambda v, w: _string_equals(v.lower(), w.lower()), True),
    "stringlike": (lambda v, w: glob_match(w, v), False),
    "stringnotlike": (lambda v, w: glob_match(w, v), True),
    "numericequals": (_compare(_number, lambda a, b: a == b), False),
    "numericnotequals": (_compare(_number, lambda a, b: a == b), True),
    "numericlessthan": (_compare(_number, lambda a, b: a < b), False),
    "numericlessthanequals": (_compare(_number, lambda a, b: a <= b), False),
    "numericgreaterthan": (_compare(_number, lambda a, b: a > b), False),
    "numericgreaterthanequals": (_compare(_number, lambda a, b: a >= b), False),
    "dateequals": (_compare(_date, lambda a, b: a == b), False),
    "datenotequals": (_compare(_date, lambda a, b: a == b), True),
    "datelessthan": (_compare(_date, lambda a, b: a < b), False),
    "datelessthanequals": (_compare(_date, lambda a, b: a <= b), False),
    "dategreaterthan": (_compare(_date, lambda a, b: a > b), False),
    "dategreaterthanequals": (_compare(_date, lambda a, b: a >= b), False),
    "bool": (_bool, False),
    "binaryequals": (_string_equals, False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    "arnequals": (lambda v, w: arn_match(w, v), False),
    "arnlike": (lambda v, w: arn_match(w, v), False),
    "arnnotequals": (lambda v, w: arn_match(w, v), True),
    "arnnotlike": (lambda v, w: arn_match(w, v), True),
}
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _values(raw: Any) -> list[Any]:
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [v if isinstance(v, _Marker) else _text(v) for v in items]


def lookup(key: str, context: Context, action: str) -> tuple[Any, str | None]:
    """The request's value of `key` (a list of strings, ABSENT or UNKNOWN) and, when UNKNOWN, why."""
    lower = key.lower()
    if lower not in context:
        # A family entry ("aws:principaltag/*") stands for every key of the family not given one by one.
        family = next((k for k in context if k.endswith("*") and lower.startswith(k[:-1])), None)
        if family is not None:
            lower = family
    if lower in context:
        value = context[lower]
        if value is UNKNOWN:
            return UNKNOWN, f"the value of condition key {key} is not known offline"
        if value is ABSENT:
            return ABSENT, None
        return _values(value), None
    status = key_status(lower, action)
    if status == "unknown-key":
        return UNKNOWN, f"condition key {key} is not documented for any AWS service (a typo?)"
    if status == "absent":
        return ABSENT, None
    return UNKNOWN, f"whether a {action} request carries {key}, and its value, is not known offline"


def substitute(text: str, context: Context, action: str) -> tuple[str | None, str | None]:
    """A policy value with its ${...} policy variables filled from the request, or None and why."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        value, _ = lookup(name.split(",")[0].strip(), context, action)
        if isinstance(value, list) and len(value) == 1:
            return value[0]
        raise LookupError(name)
    try:
        return _VARIABLE.sub(one, text), None
    except LookupError as exc:
        return None, f"policy variable ${{{exc.args[0]}}} is not known offline"


def _one_key(operator: str, key: str, wanted_raw: Any, context: Context, action: str) -> tuple[Tri, list[str]]:
    name = operator.lower()
    set_op = ""
    for prefix in ("foranyvalue:", "forallvalues:"):
        if name.startswith(prefix):
            set_op, name = prefix[:-1], name[len(prefix):]
    if_exists = name.endswith("ifexists") and name != "ifexists"
    if if_exists:
        name = name[: -len("ifexists")]
    value, why = lookup(key, context, action)
    if name == "null":
        if value is UNKNOWN:
            return None, [why or f"{key} is not known offline"]
        present = value is not ABSENT
        return t_or(_bool("false" if present else "true", w) for w in _values(wanted_raw)), []
    if name not in OPERATORS:
        return None, [f"condition operator {operator} is not an IAM operator"]
    match, negated = OPERATORS[name]
    if value is ABSENT:
        if if_exists or set_op == "forallvalues":
            return True, []
        if set_op == "foranyvalue":
            return False, []
        return negated, []
    if value is UNKNOWN:
        return None, [why or f"{key} is not known offline"]
    wanted: list[str] = []
    reasons: list[str] = []
    for raw in _values(wanted_raw):
        if isinstance(raw, _Marker):
            reasons.append(f"a value the condition on {key} compares with is not known offline")
            continue
        filled, problem = substitute(raw, context, action)
        if filled is None:
            reasons.append(problem or raw)
        else:
            wanted.append(filled)
    if reasons:
        return None, reasons

    def satisfied(one: Any) -> Tri:
        if isinstance(one, _Marker):
            return None
        hit = t_or(match(one, w) for w in wanted)
        return t_not(hit) if negated else hit

    if set_op == "forallvalues":
        return t_and(satisfied(v) for v in value), []
    return t_or(satisfied(v) for v in value) if not negated or set_op else t_and(satisfied(v) for v in value), []


def evaluate_condition(block: Any, context: Context, action: str) -> tuple[Tri, list[str]]:
    """A whole Condition element: every operator and every key under it must hold (AND)."""
    if not block:
        return True, []
    if not isinstance(block, Mapping):
        return None, [f"Condition {block!r} is not an object"]
    results: list[Tri] = []
    reasons: list[str] = []
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            return None, [f"Condition operator {operator} holds {keys!r}, not keys"]
        for key, wanted in keys.items():
            result, why = _one_key(str(operator), str(key), wanted, context, action)
            results.append(result)
            reasons += why
    decided = t_and(results)
    return decided, (reasons if decided is None else [])
