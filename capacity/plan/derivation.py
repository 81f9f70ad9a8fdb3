"""The derivation record: each derived value with its reason, the findings, and the overrides obeyed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from capacity.plan.formatting import num
from capacity.plan.models import Finding


@dataclass
class Derivation:
    """Values derived so far with their reasons; applies a workload's overrides as it goes."""

    overrides: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    binding: str = ""

    def set(self, name: str, value: Any, reason: str) -> Any:
        if name in self.overrides:
            chosen = self.overrides[name]
            self.values[name] = chosen
            self.reasons[name] = f"{num(chosen)} set in overrides (the planner would choose {num(value)}: {reason})"
            return chosen
        self.values[name] = value
        self.reasons[name] = reason
        return value

    def overridden(self, name: str) -> bool:
        return name in self.overrides

    def error(self, limit: str, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding(severity="error", limit=limit, message=message, fix=fix))

    def warn(self, limit: str, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding(severity="warning", limit=limit, message=message, fix=fix))

