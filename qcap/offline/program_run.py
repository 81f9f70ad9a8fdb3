"""What one offline run of the Pulumi program records: every registration, the stack outputs, logs, the error.

The recording monitor (qcap.offline.recording_monitor) fills these in; tests, the contract
and `qcap preview` read them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Registration:
    """One RegisterResource call as the engine saw it: identity, inputs, options, mock outputs."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    ignore_changes: tuple[str, ...]
    provider: str
    delete_before_replace: bool
    retain_on_delete: bool


@dataclass
class ProgramRun:
    """What one run produced: every registration in order, the stack outputs, logs, or the error."""

    stack: str
    config: dict[str, Any]
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    error_location: str | None = None  # "file, line N, in f" of the program's frame that raised

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def resources(self) -> list[Registration]:
        """Registrations other than the root stack."""
        return [r for r in self.registrations if r.type != STACK_TYPE]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def named(self, name: str) -> Registration:
        """The registration with this logical name (names are unique within a type and parent)."""
        found = [r for r in self.registrations if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations named {name!r}; names: {sorted(r.name for r in self.registrations)}")
        return found[0]

    def children(self, parent_urn: str) -> list[Registration]:
        return [r for r in self.registrations if r.parent == parent_urn]

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)
