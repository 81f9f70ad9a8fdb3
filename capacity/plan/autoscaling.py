"""Where the autoscaling is decided: min capacity, its schedule, the resting-point target and the cooldowns.

Each decision is a small function returning (value, reason), so a caller can re-compute
the planner's value and compare it with an override. The target is concurrency x a
utilization: the metric (visible + in flight) / running tasks equals utilization x
concurrency while the fleet keeps up (Little's law), so target tracking rests at
tasks = arrival x t / target, a fleet that keeps up, only when the target is below the
concurrency. The utilization is chosen by simulation (capacity/plan/settle.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Rates
from capacity.plan.models import ScheduledCapacity
from capacity.plan.settle import Probe, settle
from capacity.profile import Consumer, DailyShape


@dataclass(frozen=True)
class Autoscaling:
    """What plan_autoscaling decided for one service queue."""

    min_capacity: int
    target_backlog_per_task: float
    target_utilization: float | None
    scale_out_cooldown_seconds: int
    scale_in_cooldown_seconds: int
    scheduled: tuple[ScheduledCapacity, ...]
    hourly_rates: tuple[float, ...] | None
    expected_average_tasks: float | None


def reaction_seconds() -> float:
    """From a surge to new tasks working: 3 datapoints + metric delay + task start (about 5 minutes)."""
    return (
        limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS * limits.TARGET_TRACKING_DATAPOINT_SECONDS
        + limits.CLOUDWATCH_METRIC_DELAY_SECONDS
        + limits.TASK_START_SECONDS
    )


def cold_start_seconds() -> float:
    """From zero tasks to one working: metric delay + one datapoint + task start."""
    return limits.CLOUDWATCH_METRIC_DELAY_SECONDS + limits.TARGET_TRACKING_DATAPOINT_SECONDS + limits.TASK_START_SECONDS


def derived_min_capacity(age: float, rates: Rates, mu: float, max_capacity: int) -> tuple[int, str]:
    """The min capacity without a schedule: 0 for long objectives, the peak fleet for tight ones, else the trough's."""
    cold, reaction = cold_start_seconds(), reaction_seconds()
    if age >= limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN * cold:
        return 0, (
            f"0: the {duration(age)} objective is at least {limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN:g} x the "
            f"{duration(cold)} it takes to come back from zero (metric delay + one datapoint + task start); "
            "a step policy on queue depth takes it from 0 to 1"
        )
    if age < reaction:
        value = min(max(1, math.ceil(rates.peak / mu)), max_capacity)
        return value, (
            f"{value} = ceil(peak {num(rates.peak)} / {num(mu)}): the {duration(age)} objective is shorter than the "
            f"autoscaler's {duration(reaction)} reaction ({limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS} datapoints + "
            "metric delay + task start), so the running tasks must absorb a surge to the peak on their own"
        )
    value = min(max(1, math.ceil(rates.trough / mu)), max_capacity)
    return value, (
        f"{value} = max(1, ceil(trough {num(rates.trough)} / {num(mu)})): the {duration(age)} objective is "
        f"shorter than {limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN:g} x the {duration(cold)} cold start, so "
        "the service never scales to zero"
    )


def hourly_rates(shape: DailyShape | None, average: float) -> tuple[float, ...] | None:
    """The lane's arrival rate in each local hour, from the profile's daily shape (None without one)."""
    if shape is None:
        return None
    return tuple(round(average * f, 6) for f in shape.hourly_fractions())


def scheduled_floors(hourly: tuple[float, ...], mu: float, max_capacity: int) -> tuple[int, ...]:
    """Per hour, the tasks that absorb the busier of this hour and the next at SCHEDULED_FLOOR_UTILIZATION."""
    floors = []
    for hour, rate in enumerate(hourly):
        ahead = max(rate, hourly[(hour + 1) % len(hourly)])
        floors.append(min(max_capacity, max(1, math.ceil(ahead / (mu * limits.SCHEDULED_FLOOR_UTILIZATION)))))
    return tuple(floors)


def schedule_actions(floors: tuple[int, ...], time_zone: str) -> tuple[ScheduledCapacity, ...]:
    """One scheduled action at each hour whose floor differs from the hour before (cron in the profile's zone)."""
    actions = []
    for hour, value in enumerate(floors):
        if value != floors[hour - 1]:
            actions.append(ScheduledCapacity(hour=hour, min_capacity=value, cron=f"cron(0 {hour} * * ? *)",
                                             time_zone=time_zone))
    return tuple(actions)


def resting_target(concurrency: int, utilization: float) -> float:
    """The target with a resting point: concurrency x utilization (below the concurrency)."""
    return round(concurrency * utilization, 3)


def resting_point_problem(target: float, concurrency: int) -> str | None:
    """Why a target has no resting point (it is not below the concurrency), or None."""
    if target < concurrency:
        return None
    return (
        f"target_backlog_per_task {num(target)} is not below concurrency_per_task {concurrency}: while the fleet "
        f"keeps up the metric is utilization x {concurrency}, always under the target, so target tracking scales in "
        "until a backlog builds, scales out, drains and repeats (no resting point)"
    )


def expected_tasks(hourly: tuple[float, ...], floors: tuple[int, ...], mu: float, utilization: float) -> float:
    """The day's average fleet under the schedule: per hour the floor or the resting fleet, whichever is larger."""
    return sum(max(f, math.ceil(r / (mu * utilization))) for r, f in zip(hourly, floors)) / len(hourly)


def plan_autoscaling(
    d: Derivation, c: Consumer, rates: Rates, age: float, mu: float, max_capacity: int, shape: DailyShape | None,
    receive_overhead_seconds: float = 0.0,
) -> Autoscaling:
    """min_capacity (and its schedule), target_backlog_per_task and the two cooldowns of a service's scaling."""
    hourly = hourly_rates(shape, rates.average)
    out_cd = d.set(
        "scale_out_cooldown_seconds",
        limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS,
        f"{limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS} s: a second scale-out can follow within a minute while the "
        "backlog still grows (the 3-datapoint alarm already debounces; AWS lets a larger scale-out through a cooldown)",
    )
    in_cd = d.set(
        "scale_in_cooldown_seconds",
        limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS,
        f"{limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS} s, ECS's default: scale in slowly, scale-in costs work in progress",
    )
    min_value, min_why = derived_min_capacity(age, rates, mu, max_capacity)
    floors: tuple[int, ...] = ()
    tight = age < reaction_seconds() and min_value > 0
    if tight and hourly is not None and not d.overridden("min_capacity"):
        floors = scheduled_floors(hourly, mu, max_capacity)
        peak_fleet = min_value
        min_value = min(floors)
        min_why = (
            f"{min_value} outside the busy hours, raised by scheduled actions (scheduled_capacity): the "
            f"{duration(age)} objective is shorter than the autoscaler's {duration(reaction_seconds())} reaction, "
            f"so the running tasks must absorb each hour's traffic; the daily shape says how many, instead of the "
            f"peak fleet of {peak_fleet} all day"
        )
    time_zone = shape.time_zone if shape is not None else "UTC"
    scheduled = schedule_actions(floors, time_zone) if floors else ()

    def probe_with(minimum: int) -> Probe:
        return Probe(
            concurrency_per_task=c.concurrency_per_task, max_age_seconds=age,
            processing_seconds=c.concurrency_per_task / mu,  # one slot's cycle: processing + receive overhead
            processing_p99_seconds=c.p99_seconds + receive_overhead_seconds,
            min_capacity=min(minimum, max_capacity), max_capacity=max_capacity,
            scale_out_cooldown_seconds=int(out_cd), scale_in_cooldown_seconds=int(in_cd),
            schedule=tuple((a.hour * limits.SECONDS_PER_HOUR, a.min_capacity) for a in scheduled),
            average=rates.average, peak=rates.peak, trough=rates.trough, hourly=hourly,
        )

    minimum = d.overrides.get("min_capacity", min_value)
    probe = probe_with(minimum)
    utilization, target_why, settled = derived_utilization(probe)
    if min_value == 0 and minimum == 0 and not settled.held:
        # Scale to zero on a trickle flaps: one barely-busy task reads 0 in flight, scales in, and the
        # zero-to-one step starts it again minutes later. One task always on settles instead.
        one = derived_utilization(probe_with(1))
        if one[2].held:
            min_value = 1
            min_why = (
                f"1, not 0: the {duration(age)} objective would allow scaling to zero, but in simulation the trickle of "
                f"{num(rates.trough)}-{num(rates.average)} msg/s restarts a task every few minutes once it scales in "
                f"({settled.task_launches} launches in the diurnal day: flapping); one task always on settles"
            )
            minimum = 1
            utilization, target_why, settled = one
    min_capacity = d.set("min_capacity", min_value, min_why)
    if min_capacity > max_capacity:
        d.error("capacity order", f"min_capacity {min_capacity} is above max_capacity {max_capacity}",
                "lower min_capacity or raise max_capacity")
    elif min_capacity == 0 and age < cold_start_seconds():
        d.error(
            "scale from zero",
            f"min_capacity 0 but the {duration(age)} objective is shorter than the {duration(cold_start_seconds())} "
            "cold start",
            "set min_capacity to 1 or more",
        )

    target = d.set("target_backlog_per_task", resting_target(c.concurrency_per_task, utilization), target_why)
    problem = resting_point_problem(target, c.concurrency_per_task)
    if problem:
        d.error("no resting point", problem,
                f"set target_backlog_per_task below {c.concurrency_per_task}, e.g. "
                f"{num(resting_target(c.concurrency_per_task, utilization))} (the planner's)")
    elif not settled.held and not d.overridden("target_backlog_per_task"):
        d.warn("objective in simulation",
               f"none of {settled.tried} candidate utilizations held the {duration(age)} objective without flapping "
               f"in the simulated {settled.scenarios} (oldest message {duration(settled.max_age_seconds)}, "
               f"{settled.task_launches} task launches in the day)",
               "raise min_capacity or give the daily shape (traffic.daily_shape) so capacity can be scheduled")

    average_tasks = None
    if floors:
        average_tasks = expected_tasks(hourly, floors, mu, utilization)
        peak_fleet = min(max(1, math.ceil(rates.peak / mu)), max_capacity)
        saving = 1 - average_tasks / peak_fleet
        d.reasons["scheduled_capacity"] = (
            f"{len(scheduled)} scheduled actions in {time_zone}: each hour's min capacity covers the busier of it "
            f"and the next at {int(limits.SCHEDULED_FLOOR_UTILIZATION * 100)}% utilization "
            f"(floors by hour: {', '.join(str(f) for f in floors)}); about {num(round(average_tasks, 1))} tasks on "
            f"average against {peak_fleet} for a peak-sized fleet all day, {round(saving * 100)}% fewer task-hours"
        )
    return Autoscaling(min_capacity, target, utilization, int(out_cd), int(in_cd), scheduled, hourly, average_tasks)


def derived_utilization(probe: Probe):
    """(utilization, reason, Settled) for the target: the cheapest candidate that held in simulation."""
    settled = settle(probe)
    candidates = ", ".join(f"{u:g}" for u in sorted(limits.RESTING_UTILIZATION_CANDIDATES, reverse=True))
    target = resting_target(probe.concurrency_per_task, settled.utilization)
    head = (
        f"{num(target)} = concurrency {probe.concurrency_per_task} x utilization {settled.utilization:g}, on the metric "
        "(visible + in flight) / running tasks: while the fleet keeps up that metric is utilization x concurrency, "
        f"so target tracking rests at arrival x {num(probe.processing_seconds)} s / {num(target)} tasks, "
        f"{round(settled.utilization * 100)}% busy, and a backlog that builds lifts the metric above it in proportion"
    )
    if settled.held and settled.tried == 0:
        why = (f"{head}; not simulated: min = max = {probe.max_capacity} tasks, so the target never changes the fleet "
               f"(the highest candidate, {settled.utilization:g}, is kept for when the bounds move)")
    elif settled.held:
        why = (
            f"{head}; utilization chosen by simulation: the cheapest that held the objective in {settled.scenarios} "
            f"without flapping, {settled.tried} of the candidates {candidates} tried, highest (cheapest) first "
            f"(oldest message {duration(settled.max_age_seconds)}, {settled.task_launches} task launches in the day)"
        )
    else:
        why = f"{head}; none of the candidates ({candidates}) held the objective in simulation: the most headroom"
    return settled.utilization, why, settled
