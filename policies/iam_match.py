"""Wildcard matching as IAM does it, over values that may be partly unknown, with three-valued answers.

A value can carry HOLE where a part is not known offline (a task id, a key id before the key
exists, a secret's random suffix): a pattern that matches whatever fills the hole answers True,
one that matches nothing answers False, anything else None (unknown). Pure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# Stand for a part of a value that is not known offline (never in a real ARN or name): HOLE any run of
# characters, ONE exactly one character (Secrets Manager's suffix is six of them).
HOLE = "\x00"
ONE = "\x01"
# Fillings that share no character, to tell "matches every filling" from "matches by chance".
_FILLINGS = (("Q7xK2pZ9", "Q"), ("0", "7"))

Tri = bool | None


def t_and(values: Iterable[Tri]) -> Tri:
    """False if any is False, else None if any is None, else True."""
    result: Tri = True
    for v in values:
        if v is False:
            return False
        if v is None:
            result = None
    return result


def t_or(values: Iterable[Tri]) -> Tri:
    """True if any is True, else None if any is None, else False."""
    result: Tri = False
    for v in values:
        if v is True:
            return True
        if v is None:
            result = None
    return result


def t_not(value: Tri) -> Tri:
    return None if value is None else not value


@functools.lru_cache(maxsize=4096)
def wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcard pattern (* any run, ? one character, nothing else special) as a whole-string regex."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _intersect(a: str, b: str) -> bool:
    """True when some string matches both wildcard patterns (* any run, ? one character)."""

    @functools.cache
    def can(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return can(i + 1, j) or (j < len(b) and can(i, j + 1))
        if j < len(b) and b[j] == "*":
            return can(i, j + 1) or (i < len(a) and can(i + 1, j))
        if i < len(a) and j < len(b) and (a[i] == "?" or b[j] == "?" or a[i] == b[j]):
            return can(i + 1, j + 1)
        return False

    return can(0, 0)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> Tri:
    """Does `value` match the IAM wildcard `pattern` (* any run, ? one character)?"""
    if HOLE not in value and ONE not in value:
        return bool(wildcard_regex(pattern, ignore_case).match(value))
    regex = wildcard_regex(pattern, ignore_case)
    if all(regex.match(value.replace(HOLE, run).replace(ONE, char)) for run, char in _FILLINGS):
        return True
    as_pattern = value.replace("*", "?").replace(HOLE, "*").replace(ONE, "?")
    if ignore_case:
        pattern, as_pattern = pattern.lower(), as_pattern.lower()
    return None if _intersect(pattern, as_pattern) else False


def arn_match(pattern: str, value: str) -> Tri:
    """ArnLike / ArnEquals: the six colon-separated parts compared one by one, each with wildcards."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return glob_match(pattern, value) if "*" in pattern else (None if has_hole(value) else pattern == value)
    return t_and(glob_match(p, v) for p, v in zip(p_parts, v_parts))


def has_hole(value: str) -> bool:
    return HOLE in value or ONE in value


def shown(value: str) -> str:
    """A value as messages print it: an unknown part as <unknown>, an unknown character as ?."""
    return value.replace(HOLE, "<unknown>").replace(ONE, "?")
