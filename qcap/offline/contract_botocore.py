"""AWS API model layer of the contract: translated calls against botocore's service models.

Walks each call's parameters through the operation's input shape and checks what the model
says: required members, unknown members, types, and the min / max / enum / pattern
constraints (botocore's own ParamValidator checks only required members, types and
minimums). Patterns are the models' Java regexes, matched whole with Java's ASCII `\\w`, `\\d`
and `\\s` (re.ASCII: a role name with a non-ASCII letter does not match `[\\w+=,.@-]+`);
`\\p{L}`, `\\p{N}` and `\\p{Z}` become their nearest Python classes. No client is created and nothing is sent.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import botocore
import botocore.session
from botocore.model import Shape

from qcap.offline.contract_base import API_LAYER, Checker, is_integral, is_number
from qcap.offline.contract_calls import ApiCall

# Java's Unicode classes as ranges that work inside a Python character class (where the models use them).
# Java's \w, \d and \s are ASCII (without UNICODE_CHARACTER_CLASS), so the patterns compile with re.ASCII;
# the Unicode classes are spelled out: letters, the decimal digits of common scripts, and separators.
JAVA_CLASSES = {r"\p{L}": "a-zA-Z\u00c0-\uffff",
                r"\p{N}": "0-9\u00b2\u00b3\u00b9\u00bc-\u00be\u0660-\u0669\u06f0-\u06f9\u0966-\u096f\uff10-\uff19",
                r"\p{Z}": " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"}
SOURCE_TEMPLATE = "botocore {version} {service} model, {operation} {shape}"


@lru_cache(maxsize=None)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@lru_cache(maxsize=None)
def operation_input(service: str, operation: str) -> Shape:
    return _session().get_service_model(service).operation_model(operation).input_shape


@lru_cache(maxsize=None)
def compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's pattern as a Python regex, or None when it cannot be expressed (then it is not checked)."""
    text = pattern
    for java, python in JAVA_CLASSES.items():
        text = text.replace(java, python)
    try:
        return re.compile(text, re.DOTALL | re.ASCII)
    except re.error:
        return None


class _Walk:
    def __init__(self, checker: Checker, call: ApiCall):
        self.checker = checker
        self.call = call
        self.source = SOURCE_TEMPLATE.format(version=botocore.__version__, service=call.service,
                                             operation=call.operation, shape="{shape}")

    def check(self, ok: bool, path: str, limit: str, shape: Shape, message: str) -> bool:
        return self.checker.check(ok, self.call.source, f"{self.call.operation}.{path}", limit,
                                  self.source.format(shape=shape.name), message)

    def value(self, shape: Shape, value: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not self.check(isinstance(value, dict), path, "an object", shape, f"expected an object, got {value!r}"):
                return
            for name in shape.required_members:
                self.check(value.get(name) is not None, f"{path}.{name}".lstrip("."), "required", shape,
                           "missing required member")
            for name, item in value.items():
                where = f"{path}.{name}".lstrip(".")
                if self.check(name in shape.members, where, f"the members of {shape.name}", shape,
                              f"unknown member {name!r}"):
                    self.value(shape.members[name], item, where)
        elif kind == "list":
            if not self.check(isinstance(value, list), path, "a list", shape, f"expected a list, got {value!r}"):
                return
            self.bounds(len(value), meta, path, shape, "entries")
            for i, item in enumerate(value):
                self.value(shape.member, item, f"{path}[{i}]")
        elif kind == "map":
            if not self.check(isinstance(value, dict), path, "a map", shape, f"expected a map, got {value!r}"):
                return
            self.bounds(len(value), meta, path, shape, "entries")
            for key, item in value.items():
                self.value(shape.key, key, f"{path}.{key}(key)")
                self.value(shape.value, item, f"{path}.{key}")
        elif kind == "string":
            if not self.check(isinstance(value, str), path, "a string", shape, f"expected a string, got {value!r}"):
                return
            self.bounds(len(value), meta, path, shape, "characters")
            if shape.enum:
                self.check(value in shape.enum, path, f"one of {', '.join(shape.enum)}", shape,
                           f"{value!r} is not an allowed value")
            if "pattern" in meta:
                regex = compiled_pattern(meta["pattern"])
                if regex is not None:
                    self.check(regex.fullmatch(value) is not None, path, f"pattern {meta['pattern']}", shape,
                               f"{value!r} does not match the pattern")
        elif kind in ("integer", "long"):
            if self.check(is_integral(value), path, "an integer", shape, f"expected an integer, got {value!r}"):
                self.bounds(value, meta, path, shape, "")
        elif kind in ("double", "float"):
            if self.check(is_number(value), path, "a number", shape, f"expected a number, got {value!r}"):
                self.bounds(value, meta, path, shape, "")
        elif kind == "boolean":
            self.check(isinstance(value, bool), path, "a boolean", shape, f"expected a boolean, got {value!r}")

    def bounds(self, size: float, meta: dict[str, Any], path: str, shape: Shape, unit: str) -> None:
        what = f" {unit}" if unit else ""
        if "min" in meta:
            self.check(size >= meta["min"], path, f">= {meta['min']}{what}", shape, f"{size}{what} is below the minimum")
        if "max" in meta:
            self.check(size <= meta["max"], path, f"<= {meta['max']}{what}", shape, f"{size}{what} is above the maximum")


def check_calls(calls: list[ApiCall]) -> Checker:
    """Validate every call against its operation's input shape."""
    checker = Checker(API_LAYER)
    for call in calls:
        _Walk(checker, call).value(operation_input(call.service, call.operation), call.params, "")
    return checker
