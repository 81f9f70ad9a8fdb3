"""The Analyzer protocol's messages from and to Python: values as protobuf Structs, policies and diagnostics back.

Numbers go to the wire as floats (protobuf Struct has no integers); enforcement levels
travel as the protocol's enum and come back as the words the policy config uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from qcap.offline.analysis import AnalyzerResource, Diagnostic
from qcap.offline.policy_config import PolicyInfo

LEVEL_TO_WIRE = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
WIRE_TO_LEVEL = {v: k for k, v in LEVEL_TO_WIRE.items()}


def wire_value(value: Any) -> Any:
    """A Python value as protobuf Struct accepts it (numbers become floats, tuples lists)."""
    if isinstance(value, Mapping):
        return {str(k): wire_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_value(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A mapping as the protobuf Struct the protocol carries properties in."""
    struct = struct_pb2.Struct()
    struct.update(wire_value(values))
    return struct


def resource_options(resource: AnalyzerResource) -> analyzer_pb2.AnalyzerResourceOptions:
    """The options the engine sends with a resource: protect, ignoreChanges, parent."""
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        parent=resource.parent,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def policies_of(info: analyzer_pb2.AnalyzerInfo) -> list[PolicyInfo]:
    """The pack's policies as GetAnalyzerInfo describes them."""
    return [
        PolicyInfo(
            name=p.name,
            description=p.description,
            level=WIRE_TO_LEVEL.get(p.enforcementLevel, "advisory"),
            remediation=p.remediation_steps,
            config_schema=json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {},
            stack=p.policy_type == analyzer_pb2.POLICY_TYPE_STACK,
            tags=tuple(p.tags),
        )
        for p in info.policies
    ]


def diagnostics_of(response: analyzer_pb2.AnalyzeResponse, urn: str,
                   policies: Mapping[str, PolicyInfo]) -> list[Diagnostic]:
    """The violations in an Analyze or AnalyzeStack response, each with its policy's remediation."""
    out = []
    for d in response.diagnostics:
        description = d.description
        message = d.message
        # The pack prefixes the message with the policy description; keep only what is specific.
        if description and message.startswith(description):
            message = message[len(description):].lstrip("\n") or description
        policy = policies.get(d.policyName)
        out.append(Diagnostic(
            policy=d.policyName,
            level=WIRE_TO_LEVEL.get(d.enforcementLevel, "advisory"),
            message=message,
            urn=d.urn or urn,
            description=description,
            remediation=policy.remediation if policy else "",
        ))
    return out
