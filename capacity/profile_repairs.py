"""Repairs for a profile that does not validate: the likely intended file, for `qcap plan --fix`.

Two ordinary mistakes have one clear repair: a misspelt key (renamed to the closest key the
section takes) and an impossible Fargate CPU/memory pair (the nearest valid pair). Each repair
is a rename or a value at a profile path, applied to the data here and to the file's text by
capacity.fixing.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from capacity.fargate import fargate_size_problem, nearest_fargate_size
from capacity.profile import Profile
from capacity.profile_errors import field_path, keys_at


@dataclass(frozen=True)
class Repair:
    """A rename of the key at `parts` to `value` (kind "rename"), or `value` set at `parts` (kind "set")."""

    kind: str
    parts: tuple[str | int, ...]
    value: Any
    message: str

    @property
    def path(self) -> str:
        return field_path(self.parts)


def _misspelt_keys(data: dict[str, Any]) -> list[Repair]:
    try:
        Profile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return []
    found = []
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not loc:
            continue
        keys = keys_at(Profile, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
        parent = _at(data, loc[:-1])
        if close and isinstance(parent, dict) and close[0] not in parent:
            found.append(Repair("rename", loc, close[0], f"{field_path(loc)}: renamed to {close[0]} (closest known key)"))
    return found


def _fargate_pairs(data: dict[str, Any]) -> list[Repair]:
    found = []
    for index, workload in enumerate(data.get("workloads") or []):
        consumer = workload.get("consumer") if isinstance(workload, dict) else None
        if not isinstance(consumer, dict) or consumer.get("task_cpu") is None and consumer.get("task_memory_mib") is None:
            continue
        cpu, memory = consumer.get("task_cpu", 256), consumer.get("task_memory_mib", 512)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (cpu, memory)):
            continue
        if fargate_size_problem(cpu, memory) is None:
            continue
        new_cpu, new_memory = nearest_fargate_size(cpu, memory)
        base = ("workloads", index, "consumer")
        why = f"{cpu} CPU / {memory} MiB is not a Fargate size; nearest valid pair {new_cpu} / {new_memory} MiB"
        if new_cpu != cpu:
            found.append(Repair("set", (*base, "task_cpu"), new_cpu, f"{field_path(base)}.task_cpu: {why}"))
        if new_memory != memory:
            found.append(Repair("set", (*base, "task_memory_mib"), new_memory, f"{field_path(base)}.task_memory_mib: {why}"))
    return found


def profile_repairs(data: Any) -> list[Repair]:
    """Every repair this module knows for the profile data, all at once (none for valid data)."""
    if not isinstance(data, dict):
        return []
    return _misspelt_keys(data) + _fargate_pairs(data)


def apply_repairs(data: dict[str, Any], repairs: list[Repair]) -> dict[str, Any]:
    """A copy of the data with the repairs applied (a renamed key keeps its place)."""
    patched = copy.deepcopy(data)
    for repair in repairs:
        parent = _at(patched, repair.parts[:-1])
        key = repair.parts[-1]
        if repair.kind == "rename":
            items = list(parent.items())
            parent.clear()
            parent.update({repair.value if k == key else k: v for k, v in items})
        else:
            parent[key] = repair.value
    return patched


def _at(data: Any, parts: tuple) -> Any:
    node = data
    for part in parts:
        node = node[part]
    return node
