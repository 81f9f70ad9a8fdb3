"""Patches: the one profile change that removes a finding, proposed by the planner and checked here.

A finding may carry candidate patches (paths such as `workloads[2].consumer.receive_batch`
with the values to set), best first. A candidate becomes the finding's `patch` only when
the patched profile passes the profile's own validation and its plan no longer has that
finding and has no error the original did not have. Lanes of one workload share the
workload's entry, so their patches name the same paths.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from capacity.plan.models import Finding, Patch, Plan, WorkloadPlan
from capacity.profile import Profile, ProfileError, parse_profile

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """`workloads[2].consumer.receive_batch` -> ['workloads', 2, 'consumer', 'receive_batch']."""
    return [int(index) if index else key for key, index in _PART.findall(path)]


def set_path(data: Any, path: str, value: Any) -> None:
    """Set a value at a profile path in nested dicts and lists, creating missing mappings."""
    parts = parse_path(path)
    node = data
    for part, following in zip(parts, parts[1:]):
        if isinstance(part, int):
            node = node[part]
        else:
            if node.get(part) is None:
                node[part] = [] if isinstance(following, int) else {}
            node = node[part]
    node[parts[-1]] = value


def apply_patch(data: dict[str, Any], patch: Patch) -> dict[str, Any]:
    """A copy of profile data with the patch's values set."""
    patched = copy.deepcopy(data)
    for path, value in patch.items():
        set_path(patched, path, value)
    return patched


def profile_data(profile: Profile) -> dict[str, Any]:
    """A validated profile back as the data of its file (only the keys the file set)."""
    return profile.model_dump(mode="json", exclude_unset=True)


def validate_patch(data: dict[str, Any], patch: Patch) -> Profile | None:
    """The patched profile, or None when the profile's own validation refuses it."""
    try:
        return parse_profile(apply_patch(data, patch), "<patched>")
    except (ProfileError, KeyError, IndexError, TypeError):
        return None


def _errors(plan: Plan) -> set[tuple[str, str]]:
    return {(w.name, f.limit) for w in plan.workloads for f in w.errors}


def _still_there(plan: Plan, lane: str, finding: Finding) -> bool:
    for w in plan.workloads:
        if w.name == lane:
            return any(f.severity == finding.severity and f.limit == finding.limit for f in w.findings)
    return False


def attach_patches(profile: Profile, plan: Plan, plan_without_patches: Callable[[Profile], Plan]) -> Plan:
    """The plan with each finding's first working candidate as its patch (candidates dropped)."""
    if not any(f.candidates for w in plan.workloads for f in w.findings):
        return plan
    data = profile_data(profile)
    before = _errors(plan)
    replanned: dict[str, Plan | None] = {}

    def works(lane: str, finding: Finding, patch: Patch) -> bool:
        key = json.dumps(patch, sort_keys=True)
        if key not in replanned:
            patched = validate_patch(data, patch)
            replanned[key] = plan_without_patches(patched) if patched is not None else None
        after = replanned[key]
        return after is not None and not _still_there(after, lane, finding) and _errors(after) <= before

    workloads: list[WorkloadPlan] = []
    for w in plan.workloads:
        findings = []
        for f in w.findings:
            chosen = next((p for p in f.candidates if works(w.name, f, p)), None)
            findings.append(f.model_copy(update={"patch": chosen, "candidates": ()}))
        workloads.append(w.model_copy(update={"findings": tuple(findings)}))
    return plan.model_copy(update={"workloads": tuple(workloads)})


def stack_patch(plan: Plan, severities: tuple[str, ...] = ("error", "warning")) -> Patch:
    """One patch for the whole stack: every finding's patch, lanes of a workload merged (first one wins)."""
    merged: Patch = {}
    for severity in severities:
        for w in plan.workloads:
            for f in w.findings:
                if f.severity == severity and f.patch:
                    for path, value in f.patch.items():
                        merged.setdefault(path, value)
    return merged


def format_patch(patch: Patch) -> str:
    """`workloads[0].overrides.alarm_age_seconds: 300, ...`: the paths and values `qcap plan --fix` sets."""
    return ", ".join(f"{path}: {json.dumps(value)}" for path, value in patch.items())
