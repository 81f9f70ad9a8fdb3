"""Pydantic validation errors of a profile as one line each: the field path, the value and what is allowed.

`allowed` says what a field takes in words, read from its type and bounds; the same text goes into the
error of a value of the wrong type and into the profile reference (capacity/profile_reference.py).
"""

from __future__ import annotations

import difflib
import reprlib
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo


def field_path(loc: tuple) -> str:
    """Render a pydantic location as `workloads[0].consumer.processing_seconds`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-after", "function-before", "function-wrap")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


# Why a field's bound from capacity/limits.py is where it is, for the message that quotes it.
_PLANNABLE = "the most one workload could plan: 10,000 Cloudflare queues x 5,000 msg/s"
_RETENTION = "the longest retention, 14 days: the message is gone by then"
_BOUND_WHY: dict[tuple[str, str], str] = {
    ("peak_messages_per_second", "le"): _PLANNABLE,
    ("messages_per_day", "le"): _PLANNABLE + ", for a whole day",
    ("backlog_messages", "le"): _PLANNABLE + ", for 14 days",
    ("peak_to_average", "le"): "a whole day's messages in one second",
    ("processing_seconds", "ge"): "below a microsecond is a unit mistake",
    ("processing_p99_seconds", "ge"): "below a microsecond is a unit mistake",
    ("processing_seconds", "le"): _RETENTION,
    ("processing_p99_seconds", "le"): _RETENTION,
    ("max_age_seconds", "le"): _RETENTION,
    ("alarm_age_seconds", "le"): _RETENTION,
    ("max_age_seconds", "ge"): "CloudWatch's finest metrics are 1 s; an age under that cannot be observed",
    ("drain_backlog_within_hours", "ge"): "one CloudWatch datapoint is a minute; a faster drain cannot be planned",
    ("drain_backlog_within_hours", "le"): "SQS keeps a message at most 14 days (1,209,600 s), so a backlog drained over "
                                          "a longer time loses its oldest messages before they are processed",
    ("requests_per_second", "ge"): "under one request a day is a unit mistake",
    ("requests_per_second", "le"): _PLANNABLE,
    ("bytes_per_second", "le"): _PLANNABLE + " at the largest message size",
    ("max_connections", "le"): "5,000 tasks x 10,000 in-flight messages, each holding a connection",
}
# Inputs are quoted in messages shortened, so a huge (or YAML-aliased) value stays one line.
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = 4
_SHORT.maxlevel = 1


def written_bound(value: object) -> object:
    """A bound as written by a person: 50,000,000 rather than 5e+07; 1e-06 stays short."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1_000_000:
        return f"{int(value):,}"
    if isinstance(value, int) and abs(value) >= 1_000_000:
        return f"{value:,}"
    return format(value, "g") if isinstance(value, float) else value


_BOUND_SIGNS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def _unwrap(annotation: Any, metadata: tuple = ()) -> tuple[Any, tuple]:
    """The type under Optional and Annotated, with every constraint met on the way."""
    while True:
        if get_origin(annotation) is Annotated:
            base, *extra = get_args(annotation)
            found = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
            annotation, metadata = base, (*metadata, *found)
        elif get_origin(annotation) in (Union, type(int | None)) and type(None) in get_args(annotation):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation, metadata


def allowed(annotation: Any, metadata: tuple = ()) -> str:
    """What a field takes, as a reader would say it: `a number >= 0 and <= 100`, `one of dev, staging, prod`."""
    annotation, metadata = _unwrap(annotation, tuple(metadata))
    if get_origin(annotation) is tuple:
        return f"a list, each {allowed(get_args(annotation)[0])}"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(str(m.value) for m in annotation)
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(v) for v in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping"
    kind = {float: "a number", int: "a whole number", str: "text"}.get(annotation, getattr(annotation, "__name__", "?"))
    if annotation is str and any(getattr(m, "min_length", 0) for m in metadata):
        kind = "non-empty text"
    bounds = [f"{sign} {written_bound(getattr(m, key))}" for key, sign in _BOUND_SIGNS for m in metadata
              if getattr(m, key, None) is not None]
    pattern = next((m.pattern for m in metadata if getattr(m, "pattern", None)), None)
    return " ".join(part for part in (kind, " and ".join(bounds), pattern and f"matching {pattern}") if part)


def _at(model: type[BaseModel], loc: tuple) -> tuple[Any, tuple] | None:
    """The annotation and constraints of the field (or list item) at a pydantic error location under `model`."""
    annotation: Any = model
    metadata: tuple = ()
    for part in loc:
        base, _ = _unwrap(annotation)
        if isinstance(part, int) and get_origin(base) is tuple:
            annotation, metadata = get_args(base)[0], ()
        elif isinstance(base, type) and issubclass(base, BaseModel) and part in base.model_fields:
            field = base.model_fields[part]
            annotation, metadata = field.annotation, tuple(field.metadata)
        elif not str(part).startswith(("function-", "tuple[", "union[")):
            return None
    return annotation, metadata


def allowed_at(model: type[BaseModel], loc: tuple) -> str | None:
    """`allowed` of the field at `loc` under `model`; None at the top or where no field is."""
    found = _at(model, loc)
    return None if found is None or found[0] is model else allowed(*found)


def keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the mapping at `loc` under `model` takes (none when no mapping is there)."""
    found = _at(model, loc)
    base = _unwrap(found[0])[0] if found else None
    return list(base.model_fields) if isinstance(base, type) and issubclass(base, BaseModel) else []


def _describe(error: dict, allows: str | None = None, keys: list[str] | None = None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    shown = _SHORT.repr(given)
    also = f"; allowed: {allows}" if allows else ""
    if kind in ("float_type", "int_type") and isinstance(given, bool):
        return f"{shown} is a YAML boolean (yes/no/on/off/true/false), not a number; write the number{also}"
    if kind in ("float_type", "int_type") and isinstance(given, str):
        return f"{shown} is text, not a number; write the number without quotes (infinity and NaN are not allowed){also}"
    if kind == "int_type" and isinstance(given, float):
        return f"{shown} is not a whole number; this field counts, write an integer{also}"
    if kind in ("float_type", "int_type"):
        expected = "an integer" if kind == "int_type" else "a number"
        return f"expected {expected}, got {type(given).__name__} {shown}{also}"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping (indented `key: value` lines), got {type(given).__name__} {shown}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list (`- item` lines or [a, b]), got {type(given).__name__} {shown}"
    if kind == "string_type":
        return f"expected text, got {type(given).__name__} {shown}{also}"
    if kind == "finite_number":
        return f"{shown} is not a finite number; infinity and NaN are not allowed"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), keys or [], n=1)
        if close:
            return f"unknown key; did you mean {close[0]}? (see docs/profile.md)"
        if keys:
            return f"unknown key; the keys here are {', '.join(keys)} (see docs/profile.md)"
        return "unknown key (check the spelling; see docs/profile.md)"
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    bounds = {
        "greater_than": "> {gt}",
        "greater_than_equal": ">= {ge}",
        "less_than": "< {lt}",
        "less_than_equal": "<= {le}",
    }
    if kind in bounds:
        plain = {k: written_bound(v) for k, v in ctx.items()}
        field = next((part for part in reversed(error["loc"]) if isinstance(part, str)), "")
        why = _BOUND_WHY.get((field, kind.replace("greater_than_equal", "ge").replace("less_than_equal", "le")))
        because = f" ({why})" if why else ""
        return f"{shown} is out of range; allowed: {bounds[kind].format(**plain)}{because}"
    if kind == "enum":
        return f"{shown} is not allowed; allowed: {ctx.get('expected')}"
    if kind == "literal_error":
        return f"{shown} is not allowed; allowed: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return f"{shown} does not match {ctx.get('pattern')}"
    return f"{error['msg']} (got {shown})"


def _field_location(error: dict) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "value_error" and loc and isinstance(loc[-1], str) and "." in loc[-1]:
        loc = loc[:-1]
    return field_path(loc)


def describe_error(error: dict, model: type[BaseModel] | None = None) -> str:
    """One pydantic error as `field.path: what is wrong; what is allowed` (a value's type error says what
    the field at that path under `model` takes)."""
    loc = tuple(error["loc"])
    if model is None:
        return f"{_field_location(error)}: {_describe(error)}"
    return f"{_field_location(error)}: {_describe(error, allowed_at(model, loc), keys_at(model, loc[:-1]))}"
