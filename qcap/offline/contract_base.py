"""What every contract layer shares: a violation (resource, field, limit, source) and a check counter.

A layer calls `Checker.check(ok, ...)` once per constraint it evaluates, so the report can
say how many checks ran as well as which failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

SCHEMA_LAYER = "provider schema"
API_LAYER = "AWS API model"
RULES_LAYER = "documented rules"
NAMES_LAYER = "physical names"


class Resource(Protocol):
    """A registration as the offline engine records it (qcap.offline.program_run.Registration fits)."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    """One broken constraint: which resource, which field, what the limit is and where it is written."""

    layer: str
    resource: str
    type: str
    field: str
    limit: str
    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource} ({self.type}) {self.field}: {self.message}; limit: {self.limit} [{self.source}]"


@dataclass
class Checker:
    """Counts the checks of one layer and keeps the violations."""

    layer: str
    checks: int = 0
    violations: list[Violation] = field(default_factory=list)

    def check(self, ok: bool, resource: Resource | tuple[str, str], field_path: str, limit: str, source: str,
              message: str) -> bool:
        """Count one check; record a violation when `ok` is false. Returns `ok`."""
        self.checks += 1
        if not ok:
            name, type_ = resource if isinstance(resource, tuple) else (resource.name, resource.type)
            self.violations.append(Violation(self.layer, name, type_, field_path, limit, source, message))
        return ok


def is_integral(value: Any) -> bool:
    """An int, or a float with no fraction (the mock engine hands every number over as a float)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fmt(number: float) -> str:
    """A number as a person writes it: 1209600, 0.5 (never 1.2096e+06)."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def check_range(c: Checker, where: tuple[str, str], field: str, value: Any, low: float, high: float,
                source: str) -> None:
    """One check that a value (when set) lies within [low, high], named with the allowed range."""
    if value is None:
        return
    number = float(value)
    allowed = f"{fmt(low)}-{fmt(high)}"
    c.check(low <= number <= high, where, field, allowed, source, f"{fmt(number)} is outside {allowed}")
