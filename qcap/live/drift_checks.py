"""Drift: the live queue attributes, scalable target and scaling policy against the plan's values.

Lower than planned is critical where that is the unsafe side (retention, visibility, message
size, max capacity), as is a setting missing live; any other difference is a warning.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from capacity import contract
from capacity.plan import WorkloadPlan, num
from qcap.live.facts import Level, QueueFacts, ScalingFacts
from qcap.live.verdict import Check


def drift(name: str, attribute: str, live: float | None, planned: float | None, unsafe_below: bool, source: str) -> Check:
    """One live-vs-plan comparison; lower than planned is critical where that is the unsafe side."""
    if planned is None:
        return Check(name, f"drift: {attribute}", "ok", num(live), "n/a", f"{source}; the plan sets none")
    if live is None:
        return Check(name, f"drift: {attribute}", "critical", "none", num(planned), f"{source}: not set live")
    if math.isclose(live, planned, rel_tol=1e-6, abs_tol=0.01):
        return Check(name, f"drift: {attribute}", "ok", num(live), num(planned), source)
    level: Level = "critical" if unsafe_below and live < planned else "warn"
    why = f"{source}: live {num(live)} differs from the plan's {num(planned)}"
    if level == "critical":
        why += " on the unsafe side"
    why += "; run `pulumi up` to restore it, or change the profile if the live value is intended"
    return Check(name, f"drift: {attribute}", level, num(live), num(planned), why)


def check_queue_drift(plan: WorkloadPlan, queue: QueueFacts) -> list[Check]:
    n = plan.name
    checks = [
        drift(n, "retention_seconds", queue.retention_seconds, plan.retention_seconds, True, "MessageRetentionPeriod"),
        drift(n, "visibility_timeout_seconds", queue.visibility_timeout_seconds, plan.visibility_timeout_seconds, True,
              "VisibilityTimeout"),
        drift(n, "max_receive_count", queue.max_receive_count, plan.max_receive_count, False,
              "RedrivePolicy.maxReceiveCount"),
        drift(n, "max_message_bytes", queue.max_message_bytes, plan.max_message_bytes, True, "MaximumMessageSize"),
    ]
    tagged = queue.tags.get(contract.TAG_MAX_AGE_SECONDS)
    if tagged is not None:
        try:
            tagged_age: float | None = float(tagged)
        except ValueError:
            tagged_age = None
        checks.append(drift(n, "objective tag", tagged_age, plan.max_age_seconds, False,
                            f"tag {contract.TAG_MAX_AGE_SECONDS}"))
    return checks


def scheduled_floor_at(plan: WorkloadPlan, moment: datetime) -> int:
    """The min capacity the plan's scheduled actions hold at `moment` (the latest action before it, local time)."""
    actions = sorted(plan.scaling.scheduled_capacity, key=lambda a: a.hour) if plan.scaling else []
    if not actions:
        return plan.min_capacity
    hour = moment.astimezone(ZoneInfo(actions[0].time_zone)).hour
    earlier = [a for a in actions if a.hour <= hour]
    return (earlier[-1] if earlier else actions[-1]).min_capacity  # before the first action: yesterday's last


def min_capacity_drift(plan: WorkloadPlan, scaling: ScalingFacts) -> Check:
    """Live MinCapacity against the plan's; with a schedule, against the floor of the hour it was read (or the
    busiest floor a new stack is created with, until its first action)."""
    source = "scalable target MinCapacity"
    schedule = plan.scaling.scheduled_capacity if plan.scaling else ()
    if not schedule or scaling.read_at is None:
        return drift(plan.name, "min_capacity", scaling.min_capacity, plan.min_capacity, False, source)
    floor = scheduled_floor_at(plan, scaling.read_at)
    local = scaling.read_at.astimezone(ZoneInfo(schedule[0].time_zone))
    source = f"{source}, the schedule's floor at {local:%H:%M} {schedule[0].time_zone}"
    deploy = plan.scaling.deploy_min_capacity
    if deploy is not None and scaling.min_capacity == deploy != floor:
        return Check(plan.name, "drift: min_capacity", "ok", num(deploy), num(floor),
                     f"{source} is {floor}; live {deploy} is the busiest floor a new stack is created with, which "
                     "the next scheduled action lowers")
    return drift(plan.name, "min_capacity", scaling.min_capacity, floor, True, source)


def check_scaling_drift(plan: WorkloadPlan, scaling: ScalingFacts) -> list[Check]:
    n = plan.name
    if not scaling.target_found:
        return [Check(n, "autoscaling", "critical", "none", f"{plan.min_capacity}-{plan.max_capacity} tasks",
                      f"no scalable target {scaling.resource_id}: the service cannot scale")]
    target = plan.scaling.target_backlog_per_task if plan.scaling else None
    checks = [
        min_capacity_drift(plan, scaling),
        drift(n, "max_capacity", scaling.max_capacity, plan.max_capacity, True, "scalable target MaxCapacity"),
    ]
    if scaling.policy_name is None:
        checks.append(Check(n, "drift: target_backlog_per_task", "critical", "none",
                            num(target),
                            "no TargetTrackingScaling policy on the service: it does not track backlog per task"))
    else:
        checks.append(drift(n, "target_backlog_per_task", scaling.target_backlog_per_task,
                            target, False, f"policy {scaling.policy_name} TargetValue"))
        band = scale_in_band_drift(plan, scaling)
        if band is not None:
            checks.append(band)
    return checks


def scale_in_band_drift(plan: WorkloadPlan, scaling: ScalingFacts) -> Check | None:
    """Whether the service scales in as planned: target tracking's own scale-in, or the plan's band (target tracking
    with scale-in disabled and a step policy that removes tasks). None when the policies were not read."""
    if scaling.scale_in_disabled is None or scaling.scale_in_step_policies is None:
        return None
    band = plan.scaling.scale_in_backlog_per_task if plan.scaling else None
    planned = "target tracking" if band is None else f"a step policy below {num(band)}"
    steps = ", ".join(scaling.scale_in_step_policies)
    live = ("target tracking" if not scaling.scale_in_disabled
            else f"step policy {steps}" if steps else "nothing")
    name = "drift: scale_in_backlog_per_task"
    if scaling.scale_in_disabled and not steps:
        return Check(plan.name, name, "warn", live, planned,
                     "target tracking has scale-in disabled and no step policy removes tasks: the fleet never shrinks "
                     "after a surge, and bills up to max capacity")
    if band is None and scaling.scale_in_disabled:
        return Check(plan.name, name, "warn", live, planned,
                     f"{steps} scales in where the plan has target tracking do it: not the scaling the plan simulated")
    if band is None:
        return Check(plan.name, name, "ok", live, planned, "target tracking scales in, as planned")
    if not scaling.scale_in_disabled:
        return Check(plan.name, name, "warn", live, planned,
                     "target tracking scales in on its own (DisableScaleIn false): its 90% band is narrower than the "
                     "metric's noise here, so the fleet scales out and in at a steady rate (flapping)")
    return Check(plan.name, name, "ok", live, planned, f"target tracking only scales out; {steps} scales in")
