"""Where the autoscaling is decided: min capacity, the backlog-per-task target and the cooldowns."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Rates
from capacity.profile import Consumer


def plan_autoscaling(
    d: Derivation, c: Consumer, rates: Rates, age: float, mu: float, max_capacity: int
) -> tuple[int, float, int, int]:
    """min_capacity, target_backlog_per_task and the two cooldowns of a service's target tracking."""
    # Scale to zero only when the objective outlasts a cold start with margin.
    cold_start = limits.CLOUDWATCH_METRIC_DELAY_SECONDS + limits.TARGET_TRACKING_DATAPOINT_SECONDS + limits.TASK_START_SECONDS
    reaction = (
        limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS * limits.TARGET_TRACKING_DATAPOINT_SECONDS
        + limits.CLOUDWATCH_METRIC_DELAY_SECONDS
        + limits.TASK_START_SECONDS
    )
    if age >= limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN * cold_start:
        min_value = 0
        min_why = (
            f"0: the {duration(age)} objective is at least {limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN:g} x the "
            f"{duration(cold_start)} it takes to come back from zero (metric delay + one datapoint + task start); "
            "a step policy on queue depth takes it from 0 to 1"
        )
    elif age < reaction:
        min_value = min(max(1, math.ceil(rates.peak / mu)), max_capacity)
        min_why = (
            f"{min_value} = ceil(peak {num(rates.peak)} / {num(mu)}): the {duration(age)} objective is shorter than the "
            f"autoscaler's {duration(reaction)} reaction ({limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS} datapoints + "
            "metric delay + task start), so the running tasks must absorb a surge to the peak on their own"
        )
    else:
        trough_tasks = math.ceil(rates.trough / mu)
        min_value = min(max(1, trough_tasks), max_capacity)
        min_why = (
            f"{min_value} = max(1, ceil(trough {num(rates.trough)} / {num(mu)})): the {duration(age)} objective is "
            f"shorter than {limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN:g} x the {duration(cold_start)} cold start, so "
            "the service never scales to zero"
        )
    min_capacity = d.set("min_capacity", min_value, min_why)
    if min_capacity > max_capacity:
        d.error("capacity order", f"min_capacity {min_capacity} is above max_capacity {max_capacity}",
                "lower min_capacity or raise max_capacity")
    elif min_capacity == 0 and age < cold_start:
        d.error(
            "scale from zero",
            f"min_capacity 0 but the {duration(age)} objective is shorter than the {duration(cold_start)} cold start",
            "set min_capacity to 1 or more",
        )

    headroom = limits.BACKLOG_TARGET_HEADROOM
    target_value = round(c.concurrency_per_task + age * mu * headroom, 2)
    target = d.set(
        "target_backlog_per_task",
        target_value,
        f"{num(target_value)} = concurrency {c.concurrency_per_task} (messages a busy task holds in flight) + "
        f"objective {num(age)} s x {num(mu)} msg/s x headroom {headroom}; the metric is (visible + in flight) / "
        "running tasks",
    )
    implied_wait = max(0.0, target - c.concurrency_per_task) / mu
    if implied_wait > age:
        d.error(
            "age objective",
            f"target_backlog_per_task {num(target)} means a task's queue share waits {duration(implied_wait)} "
            f"before any scale-out, over the {duration(age)} objective",
            f"set it at most {num(round(c.concurrency_per_task + age * mu * headroom, 2))}",
        )

    out_cd = d.set(
        "scale_out_cooldown_seconds",
        limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS,
        f"{limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS} s: a second scale-out can follow within a minute while the "
        "backlog still grows (the 3-datapoint alarm already debounces)",
    )
    in_cd = d.set(
        "scale_in_cooldown_seconds",
        limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS,
        f"{limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS} s, ECS's default: scale in slowly, scale-in costs work in progress",
    )
    return min_capacity, target, out_cd, in_cd
