"""What the provider SDKs declare about a type token: its resource class, input Args, outputs, and data source results.

pulumi-aws ships no schema.json, but its Python SDK is generated from the provider schema, so the
same facts are in its classes. A token `aws:sqs/queue:Queue` names the module (`pulumi_aws.sqs`;
`index` is the package itself; a module named after a Python keyword gets a trailing underscore,
`lambda` is `pulumi_aws.lambda_`) and the class `Queue`. A resource's outputs are its
`@pulumi.getter` properties (`pulumi._types.resource_types`); the outputs the provider computes
are those that are not inputs. A data source `aws:iam/getPolicyDocument:getPolicyDocument` returns
the output type `GetPolicyDocumentResult` of the same module.
"""

from __future__ import annotations

import importlib
import keyword
import sys
from functools import lru_cache
from types import ModuleType
from typing import Any

from pulumi import _types

PROVIDER_PACKAGES = {"aws": "pulumi_aws", "cloudflare": "pulumi_cloudflare"}


def _split(token: str) -> tuple[str | None, str, str]:
    """(package, module name, member name) of `provider:module/member:Member`; package None when unknown."""
    provider, _, rest = token.partition(":")
    module_path, _, member = rest.partition(":")
    return PROVIDER_PACKAGES.get(provider), module_path.split("/")[0], member


@lru_cache(maxsize=None)
def sdk_module(package: str, module_name: str) -> ModuleType | None:
    """The SDK module for a token's module part, or None when the package has no such module."""
    if module_name == "index":
        return importlib.import_module(package)
    python_name = f"{module_name}_" if keyword.iskeyword(module_name) else module_name
    try:
        return importlib.import_module(f"{package}.{python_name}")
    except ModuleNotFoundError:
        return None


@lru_cache(maxsize=None)
def resource_class(type_token: str) -> type | None:
    """The SDK's resource class for a resource type token, or None for components and unknown types."""
    package, module_name, class_name = _split(type_token)
    module = sdk_module(package, module_name) if package else None
    found = getattr(module, class_name, None) if module else None
    return found if isinstance(found, type) else None


@lru_cache(maxsize=None)
def args_class(type_token: str) -> type | None:
    """The `*Args` input type of a resource type token, or None for components and unknown providers."""
    resource = resource_class(type_token)
    if resource is None:
        return None
    # The Args class from the resource's own module; where a nested block already has the name
    # `<Name>Args` (pulumi_cloudflare.QueueConsumerArgs is Queue's `consumers`), the code
    # generator names the resource's class `<Name>InitArgs`.
    module = sys.modules[resource.__module__]
    name = type_token.rpartition(":")[2]
    return getattr(module, f"{name}InitArgs", None) or getattr(module, f"{name}Args", None)


@lru_cache(maxsize=None)
def input_wire_types(cls: type) -> dict[str, Any]:
    """Wire name -> resolved Python type of every field of an input type."""
    return dict(_types.input_type_types(cls))


@lru_cache(maxsize=None)
def resource_output_types(type_token: str) -> dict[str, Any]:
    """Wire name -> Python type of every output a resource type declares (empty when unknown)."""
    resource = resource_class(type_token)
    return dict(_types.resource_types(resource)) if resource else {}


@lru_cache(maxsize=None)
def computed_outputs(type_token: str) -> dict[str, Any]:
    """The outputs only the provider sets (arn, id-like fields, endpoints): declared outputs that are not inputs."""
    args = args_class(type_token)
    inputs = input_wire_types(args) if args else {}
    return {k: v for k, v in resource_output_types(type_token).items() if k not in inputs}


@lru_cache(maxsize=None)
def invoke_result_types(function_token: str) -> dict[str, Any]:
    """Wire name -> Python type of every output a data source declares, or {} for an unknown function."""
    package, module_name, function = _split(function_token)
    module = sdk_module(package, module_name) if package else None
    result = getattr(module, f"{function[:1].upper()}{function[1:]}Result", None) if module else None
    if result is None or not _types.is_output_type(result):
        return {}
    return dict(_types.output_type_types(result))


def output_object_types(cls: type) -> dict[str, Any]:
    """Wire name -> Python type of the fields of a nested output type."""
    return dict(_types.output_type_types(cls))


def is_output_object(hint: Any) -> bool:
    return isinstance(hint, type) and _types.is_output_type(hint)
