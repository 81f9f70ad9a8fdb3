"""The derivation record: each derived value with its reason, the findings, and the overrides obeyed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from capacity.plan.formatting import num
from capacity.plan.models import Finding, Patch

# What a finding's patch may be given as: one patch, several candidates (best first), or none.
PatchArg = Patch | list[Patch] | None


@dataclass
class Derivation:
    """Values derived so far with their reasons; applies a workload's overrides as it goes.

    `prefix` is the workload's place in the profile (`workloads[2]`): a finding's patch names
    paths inside the workload (`consumer.receive_batch`) and is recorded under the prefix.
    `planned` keeps what the planner itself would choose for every value, overridden or not,
    so an override can be judged against it.
    """

    overrides: dict[str, Any]
    prefix: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    planned: dict[str, Any] = field(default_factory=dict)
    binding: str = ""

    def set(self, name: str, value: Any, reason: str) -> Any:
        self.planned[name] = value
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

    def error(self, limit: str, message: str, fix: str | None = None, patch: PatchArg = None) -> None:
        self.findings.append(Finding(severity="error", limit=limit, message=message, fix=fix,
                                     candidates=self.candidates(patch)))

    def warn(self, limit: str, message: str, fix: str | None = None, patch: PatchArg = None) -> None:
        self.findings.append(Finding(severity="warning", limit=limit, message=message, fix=fix,
                                     candidates=self.candidates(patch)))

    def candidates(self, patch: PatchArg) -> tuple[Patch, ...]:
        """Candidate patches with their paths placed under this workload's entry (`workloads[2].`)."""
        if patch is None:
            return ()
        options = patch if isinstance(patch, list) else [patch]
        dot = "." if self.prefix else ""
        return tuple({f"{self.prefix}{dot}{path}": value for path, value in p.items()} for p in options if p)
