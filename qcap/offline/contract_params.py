"""API parameters from recorded inputs: ints from the engine's floats, attribute text, tag lists, physical names.

Shared by the translators of each AWS service family (qcap.offline.contract_calls_*), so the
same input is shaped the same way in every call.
"""

from __future__ import annotations

from typing import Any

from qcap.offline.contract_base import Resource
from qcap.offline.mock_resource_outputs import TERRAFORM_PREFIX_SUFFIX_CHARS


def plain(value: Any) -> Any:
    """Integral floats as ints, recursively (the mock engine sends every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def attribute_text(value: Any) -> str:
    """A value as SQS / SNS attributes carry it: "true", "60", or the text itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(plain(value))


def drop_none(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != {}}


def tag_list(tags: dict[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]] | None:
    return [{key: k, value: v} for k, v in sorted(tags.items())] if tags else None


def physical_name(r: Resource, key: str = "name", prefix_key: str = "namePrefix") -> tuple[str, bool]:
    """The physical name and whether the program left it to Pulumi (autoname) or the provider (a name prefix).

    A prefix gets the provider's 26-character suffix, so its length counts against the name's limit;
    without a recorded name the suffix is counted as 26 placeholder characters."""
    if r.inputs.get(key):
        return str(r.inputs[key]), False
    prefix = r.inputs.get(prefix_key)
    if prefix:
        named = str(r.outputs.get(key) or "")
        return (named if named.startswith(str(prefix)) else f"{prefix}{'0' * TERRAFORM_PREFIX_SUFFIX_CHARS}"), True
    return str(r.outputs.get(key) or r.outputs.get("id") or r.name), True


def dimension_list(dims: Any) -> list[dict[str, str]]:
    if isinstance(dims, dict):
        return [{"Name": k, "Value": v} for k, v in dims.items()]
    return [{"Name": d["name"], "Value": d["value"]} for d in dims or []]


def metric_stat(stat: dict[str, Any]) -> dict[str, Any]:
    metric = stat.get("metric", {})
    return drop_none({
        "Metric": drop_none({"Namespace": metric.get("namespace"), "MetricName": metric.get("metricName"),
                             "Dimensions": dimension_list(metric.get("dimensions"))}),
        "Stat": stat.get("stat"), "Unit": stat.get("unit"),
    })
