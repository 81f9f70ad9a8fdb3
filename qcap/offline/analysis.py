"""What a policy-pack analysis takes and gives: resources in; the pack's policies, its violations and timings out.

Plain data, no gRPC: qcap.offline.analyzer_client fills these in, `qcap preview` renders them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qcap.offline.policy_config import PolicyInfo


@dataclass(frozen=True)
class AnalyzerResource:
    """One resource for the Analyzer: inputs (for Analyze), outputs (merged for AnalyzeStack), options."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """One violation the pack reported, with the resource it concerns and how to fix it."""

    policy: str
    level: str
    message: str
    urn: str
    description: str
    remediation: str


@dataclass
class Analysis:
    """Everything one analysis produced, with the time each phase took."""

    pack_name: str
    pack_version: str
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic]
    engine_logs: list[tuple[str, str]]
    timings_seconds: dict[str, float]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "advisory"]
