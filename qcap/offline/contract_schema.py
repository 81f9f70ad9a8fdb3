"""Provider schema layer of the contract: every input key of a registration against the provider's typed Args.

How wire keys map to Args fields. A type token `aws:sqs/queue:Queue` names the SDK module
(`pulumi_aws.sqs`; `index` is the package itself; a Python keyword gets a trailing underscore,
`lambda` is `pulumi_aws.lambda_`; qcap.offline.provider_sdk resolves it) and the resource class `Queue`, whose
inputs are the `@pulumi.input_type` class `QueueArgs` of the module that defines `Queue`
(`<Name>InitArgs` when a nested block already took `<Name>Args`:
`pulumi_cloudflare.QueueConsumerArgs` is the Queue's `consumers` block, the resource's own
inputs are `QueueConsumerInitArgs`). For any input type,
`pulumi._types.input_type_types(cls)` maps each wire name (the camelCase name the engine and
the mock monitor see) to its resolved Python type, with `Optional` and `pulumi.Input`
already unwrapped; `_types._required_property_names(cls)` gives the required Python names,
turned into wire names with `input_type_py_to_pulumi_names(cls)`. A resolved type that is
itself an input type (`ServiceNetworkConfigurationArgs`), or a Sequence or Mapping of one, is
checked recursively; the `*ArgsDict` TypedDicts of the same blocks need no handling because
the resolved hints already name the `*Args` class. This is the same metadata the SDK uses
to translate names when it serialises, so a field renamed on a provider upgrade shows up
here as an unknown key.

Checks: unknown key, missing required key, wrong scalar type (str, int, float, bool; an
integral float passes for int because the mock engine sends every number as a float).
"""

from __future__ import annotations

import collections.abc
import typing
from functools import lru_cache
from typing import Any

from pulumi import _types

from qcap.offline.contract_base import SCHEMA_LAYER, Checker, Resource, is_integral, is_number
from qcap.offline.provider_sdk import PROVIDER_PACKAGES, args_class

__all__ = ["PROVIDER_PACKAGES", "args_class", "check_schema", "required_wire_names", "wire_types"]

SOURCE_TEMPLATE = "{package} {version} typed Args ({cls})"


@lru_cache(maxsize=None)
def wire_types(cls: type) -> dict[str, Any]:
    return dict(_types.input_type_types(cls))


@lru_cache(maxsize=None)
def required_wire_names(cls: type) -> frozenset[str]:
    names = _types.input_type_py_to_pulumi_names(cls)
    return frozenset(names.get(n, n) for n in _types._required_property_names(cls))


@lru_cache(maxsize=None)
def package_version(package: str) -> str:
    from importlib.metadata import version

    return version(package.replace("_", "-"))


def _element(hint: Any) -> Any:
    """The useful member of Union[T, Awaitable[T], Output[None]] (what pulumi.Input[T] resolves to)."""
    if typing.get_origin(hint) is typing.Union:
        for arg in typing.get_args(hint):
            origin = typing.get_origin(arg) or arg
            if origin is type(None) or origin is collections.abc.Awaitable:
                continue
            if getattr(origin, "__name__", "") == "Output":
                continue
            return _element(arg)
    return hint


def _expected(hint: Any) -> tuple[str, Any]:
    """('input', cls) | ('list', element) | ('map', value) | ('str'|'int'|'float'|'bool'|'any', None)."""
    hint = _element(hint)
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Sequence, list, typing.Sequence):
        return "list", typing.get_args(hint)[0]
    if origin in (collections.abc.Mapping, dict, typing.Mapping):
        return "map", typing.get_args(hint)[1]
    if isinstance(hint, type) and _types.is_input_type(hint):
        return "input", hint
    if hint in (str, int, float, bool):
        return hint.__name__, None
    return "any", None


SCALAR_OK = {
    "str": lambda v: isinstance(v, str),
    "int": is_integral,
    "float": is_number,
    "bool": lambda v: isinstance(v, bool),
}


def _check_value(checker: Checker, resource: Resource, path: str, hint: Any, value: Any, source: str) -> None:
    kind, inner = _expected(hint)
    if value is None or kind == "any":
        return
    if kind == "input":
        if checker.check(isinstance(value, dict), resource, path, f"an object ({inner.__name__})", source,
                         f"expected an object, got {type(value).__name__} {value!r}"):
            _check_object(checker, resource, path, inner, value, source)
    elif kind == "list":
        if checker.check(isinstance(value, list), resource, path, "a list", source,
                         f"expected a list, got {type(value).__name__}"):
            for i, item in enumerate(value):
                _check_value(checker, resource, f"{path}[{i}]", inner, item, source)
    elif kind == "map":
        if checker.check(isinstance(value, dict), resource, path, "a map", source,
                         f"expected a map, got {type(value).__name__}"):
            for key, item in value.items():
                _check_value(checker, resource, f"{path}.{key}", inner, item, source)
    else:
        checker.check(SCALAR_OK[kind](value), resource, path, f"type {kind}", source,
                      f"expected {kind}, got {type(value).__name__} {value!r}")


def _check_object(checker: Checker, resource: Resource, path: str, cls: type, value: dict[str, Any],
                  source: str) -> None:
    types = wire_types(cls)
    prefix = f"{path}." if path else ""
    for key in sorted(required_wire_names(cls)):
        checker.check(value.get(key) is not None, resource, f"{prefix}{key}", f"required by {cls.__name__}",
                      source, "missing required key")
    for key, item in value.items():
        if not checker.check(key in types, resource, f"{prefix}{key}", f"the keys of {cls.__name__}", source,
                             f"unknown key {key!r} (known: {', '.join(sorted(types))})"):
            continue
        _check_value(checker, resource, f"{prefix}{key}", types[key], item, source)


def check_schema(resources: list[Resource]) -> Checker:
    """Check every custom resource's inputs against its provider's Args class."""
    checker = Checker(SCHEMA_LAYER)
    for resource in resources:
        if not resource.custom:
            continue
        cls = args_class(resource.type)
        package = PROVIDER_PACKAGES.get(resource.type.partition(":")[0])
        if package is None:
            continue
        source = SOURCE_TEMPLATE.format(package=package, version=package_version(package),
                                        cls=cls.__name__ if cls else "?")
        if not checker.check(cls is not None, resource, "(type)", f"a resource type of {package}", source,
                             f"{package} has no Args class for {resource.type}"):
            continue
        _check_object(checker, resource, "", cls, resource.inputs, source)
    return checker
