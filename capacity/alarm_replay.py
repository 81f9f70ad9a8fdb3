"""The plan's alarms replayed on a simulated run: which would have paged, and when.

Each alarm is judged per simulated minute as CloudWatch would judge its datapoints: the age
of the oldest message over `alarm_age_seconds` for 3 of 3 minutes, the depth (visible + in
flight) over `alarm_saturation_messages` for its minutes, the running tasks at
`alarm_max_tasks` with the oldest message past `alarm_max_tasks_age_seconds` for its minutes.
A plan whose objective holds should page on none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capacity import limits
from capacity.plan.models import WorkloadPlan
from capacity.simulate.model import SimulationResult


@dataclass(frozen=True)
class Page:
    """One alarm that would have fired: its kind, the first minute it fired and why."""

    alarm: str
    minute: int
    reason: str


def _first_run(breaching: np.ndarray, minutes: int) -> int | None:
    """The first minute ending `minutes` consecutive breaching datapoints, or None."""
    if minutes <= 0 or len(breaching) < minutes:
        return None
    run = np.convolve(breaching.astype(int), np.ones(minutes, dtype=int), mode="valid")
    hits = np.flatnonzero(run >= minutes)
    return int(hits[0]) + minutes - 1 if hits.size else None


def pages(plan: WorkloadPlan, result: SimulationResult) -> list[Page]:
    """Every alarm of `plan` that the run in `result` would have set to ALARM."""
    timeline, alarms = result.timeline, plan.alarms
    found: list[Page] = []
    checks = []
    if alarms.age_seconds is not None:
        checks.append(("age", timeline.max_age_seconds > alarms.age_seconds, limits.AGE_ALARM_EVALUATION_MINUTES,
                       f"oldest message over {alarms.age_seconds} s"))
    if alarms.saturation_messages is not None:
        checks.append(("saturation", timeline.backlog_messages > alarms.saturation_messages,
                       limits.SATURATION_ALARM_MINUTES, f"more than {alarms.saturation_messages} messages waiting"))
    if alarms.max_tasks is not None:
        at_max = timeline.tasks >= alarms.max_tasks - 1e-9
        if alarms.max_tasks_age_seconds is not None:
            at_max = at_max & (timeline.max_age_seconds > alarms.max_tasks_age_seconds)
        checks.append(("max-tasks", at_max, limits.MAX_TASKS_ALARM_MINUTES,
                       f"running tasks at {alarms.max_tasks} with the oldest message over "
                       f"{alarms.max_tasks_age_seconds} s"))
    for alarm, breaching, minutes, what in checks:
        minute = _first_run(np.asarray(breaching), minutes)
        if minute is not None:
            found.append(Page(alarm, minute, f"{what} for {minutes} minutes (from minute {minute - minutes + 1})"))
    return found
