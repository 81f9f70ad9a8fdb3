"""Alarm thresholds of a service queue: age against the objective, saturation, pinned fleet, stalls."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.models import AlarmPlan


def plan_service_alarms(d: Derivation, age: float, min_capacity: int, max_capacity: int, mu: float) -> AlarmPlan:
    """The thresholds; no tasks-at-max alarm where min = max (the fleet always runs at its ceiling, and the age
    alarm pages when it falls behind)."""
    age_alarm = d.set(
        "alarm_age_seconds",
        math.ceil(age),
        f"{math.ceil(age)} s = the objective: alarm when the oldest message is older for "
        f"{limits.AGE_ALARM_EVALUATION_MINUTES} of {limits.AGE_ALARM_EVALUATION_MINUTES} minutes",
    )
    depth = math.ceil(max_capacity * mu * age)
    saturation = d.set(
        "alarm_saturation_messages",
        depth,
        f"{num(depth)} = max_capacity {max_capacity} x {num(mu)} msg/s x objective {num(age)} s: more waiting than "
        f"the whole fleet clears within the objective, for {limits.SATURATION_ALARM_MINUTES} minutes",
    )
    pinned = min_capacity >= max_capacity
    pinned_age = None if pinned else math.ceil(age * limits.MAX_TASKS_ALARM_AGE_FRACTION)
    d.reasons["alarm_max_tasks"] = (
        f"none: min = max = {max_capacity}, so the fleet always runs at its ceiling and this alarm would be in ALARM "
        "whenever the service runs; the age alarm pages when the fleet falls behind" if pinned else
        f"{max_capacity} = max_capacity: the fleet at its ceiling for {limits.MAX_TASKS_ALARM_MINUTES} minutes while "
        f"the oldest message is past alarm_max_tasks_age_seconds (max capacity leaves room for the resting fleet at "
        "the peak, so a healthy peak does not reach it)"
    )
    if pinned_age is not None:
        d.reasons["alarm_max_tasks_age_seconds"] = (
            f"{pinned_age} s = {limits.MAX_TASKS_ALARM_AGE_FRACTION:g} x the {num(age)} s objective: at its ceiling a "
            "fleet that keeps messages younger than this is draining a spike as planned and needs nobody; one whose "
            "oldest message ages past it is falling behind, a warning before the age alarm"
        )
    d.reasons["alarm_stalled_minutes"] = (
        f"{limits.STALLED_ALARM_MINUTES}: messages visible but none received for {limits.STALLED_ALARM_MINUTES} minutes"
    )
    d.reasons["alarm_dlq_messages"] = "1: any message in the dead-letter queue needs a person"
    if age_alarm > age:
        d.warn("age alarm", f"alarm_age_seconds {age_alarm} is later than the {num(age)} s objective",
               f"set overrides.alarm_age_seconds to {math.ceil(age)} or less",
               {"overrides.alarm_age_seconds": math.ceil(age)})
    return AlarmPlan(
        age_seconds=age_alarm,
        dlq_messages=1,
        saturation_messages=saturation,
        max_tasks=None if pinned else max_capacity,
        max_tasks_age_seconds=pinned_age,
        stalled_minutes=limits.STALLED_ALARM_MINUTES,
    )
