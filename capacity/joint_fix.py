"""The joint fixer of `qcap plan --fix`: the smallest change to a workload's adjustable fields, searched together.

One finding's patch can pull a field one way while another pulls it back (a scheduled run whose
p99 wants a smaller batch while the arrivals want a larger one), or leave another error. Then
the fields the user may tune (concurrency, receive batch, batch limit, interval, sink batch)
are searched together within their validated bounds: values the findings proposed, plus
doublings and halvings of the current value. Changes are tried in order of their size (the sum
of each field's |log2(new / old)|, fewer fields first), and the first that validates and plans
with no error in the stack wins. None means no change within the bounds and the budget works.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from capacity.plan import Plan, plan
from capacity.plan.models import Patch
from capacity.plan.patches import apply_patch, profile_data
from capacity.profile import ConsumerMode, Profile, ProfileError, parse_profile
from capacity.profile_sections import Consumer, Sink

# Fields searched per consumer mode, with the model that validates them.
SERVICE_FIELDS = (("consumer", "concurrency_per_task", Consumer), ("consumer", "receive_batch", Consumer))
SCHEDULED_FIELDS = (("consumer", "concurrency_per_task", Consumer), ("consumer", "batch_limit", Consumer),
                    ("consumer", "interval_seconds", Consumer))
SINK_FIELDS = (("sink", "messages_per_request", Sink),)
# At most this many fields change together, and at most this many plans are tried (a service plan
# simulates, so its budget is smaller).
MAX_FIELDS_TOGETHER = 3
MAX_SCHEDULED_TRIALS = 3000
MAX_SERVICE_TRIALS = 12
# Steps of a half doubling (x1.41) of the current value, from 1/16 to 64 times it, beside the findings' values.
GRID_STEPS = [k / 2 for k in range(-8, 13)]


@dataclass(frozen=True)
class JointFix:
    """The change found (paths and values), its size, and how many plans it took."""

    patch: Patch
    size: float
    trials: int


def _bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for m in model.model_fields[name].metadata:
        low = max(low, getattr(m, "ge", None) if getattr(m, "ge", None) is not None else -math.inf)
        high = min(high, getattr(m, "le", None) if getattr(m, "le", None) is not None else math.inf)
    return low, high


def _fields(workload: dict[str, Any], index: int, mode: ConsumerMode) -> list[tuple[str, int, float, float]]:
    """(path, current value, low, high) of each adjustable field the workload has."""
    chosen = SCHEDULED_FIELDS if mode is ConsumerMode.scheduled else SERVICE_FIELDS
    chosen += SINK_FIELDS if workload.get("sink") else ()
    found = []
    for section, name, model in chosen:
        value = (workload.get(section) or {}).get(name)
        if value is None:
            value = model.model_fields[name].default
        if isinstance(value, int) and not isinstance(value, bool):
            found.append((f"workloads[{index}].{section}.{name}", value, *_bounds(model, name)))
    return found


def _hints(unpatched: Plan) -> dict[str, set[int]]:
    """Every integer value a finding of the plan proposed, by path."""
    hints: dict[str, set[int]] = {}
    for w in unpatched.workloads:
        for f in w.findings:
            for candidate in (*f.candidates, *([f.patch] if f.patch else [])):
                for path, value in candidate.items():
                    if isinstance(value, int) and not isinstance(value, bool):
                        hints.setdefault(path, set()).add(value)
    return hints


def _values(path: str, current: int, low: float, high: float, hints: dict[str, set[int]]) -> list[int]:
    grid = {round(current * 2.0**k) for k in GRID_STEPS} | hints.get(path, set())
    return sorted(v for v in grid if low <= v <= high and v != current and v >= 1)


def _size(change: dict[str, int], current: dict[str, int]) -> float:
    return sum(abs(math.log2(v / current[p])) for p, v in change.items())


def joint_fix(profile: Profile, workload_index: int) -> JointFix | None:
    """The smallest change to the workload's adjustable fields that leaves the stack's plan with no error."""
    data = profile_data(profile)
    raw = data["workloads"][workload_index]
    mode = profile.workloads[workload_index].consumer.mode
    fields = _fields(raw, workload_index, mode)
    hints = _hints(plan(profile, check_patches=False))
    current = {path: value for path, value, _, _ in fields}
    options = {path: _values(path, value, low, high, hints) for path, value, low, high in fields}
    budget = MAX_SCHEDULED_TRIALS if mode is ConsumerMode.scheduled else MAX_SERVICE_TRIALS
    changes: list[dict[str, int]] = []
    for count in range(1, min(MAX_FIELDS_TOGETHER, len(fields)) + 1):
        for paths in itertools.combinations(current, count):
            changes += [dict(zip(paths, values)) for values in itertools.product(*(options[p] for p in paths))]
    changes.sort(key=lambda change: (_size(change, current), len(change)))
    trials = 0
    for change in changes:
        if trials >= budget:
            break
        try:
            patched = parse_profile(apply_patch(data, change), "<joint fix>")
        except (ProfileError, KeyError, IndexError, TypeError):
            continue
        trials += 1
        result = plan(patched, check_patches=False)
        if not any(w.errors for w in result.workloads):
            return JointFix(change, round(_size(change, current), 3), trials)
    return None


def adjustable_fields(profile: Profile, workload_index: int) -> list[str]:
    """The paths the joint fixer searches for the workload."""
    raw = profile_data(profile)["workloads"][workload_index]
    return [path for path, *_ in _fields(raw, workload_index, profile.workloads[workload_index].consumer.mode)]
