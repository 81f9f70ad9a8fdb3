"""Where the autoscaling is decided: min capacity, its schedule, the resting-point target and the cooldowns.

Each decision is a small function returning (value, reason), so a caller can re-compute
the planner's value and compare it with an override. The target is concurrency x a
utilization: the metric (visible + in flight) / running tasks equals utilization x
concurrency while the fleet keeps up (Little's law), so target tracking rests at
tasks = arrival x t / target, a fleet that keeps up, only when the target is below the
concurrency. The utilization is chosen by simulation (capacity/plan/settle.py).

A tight objective with a daily shape gets hourly floors (scheduled min capacity) instead of
the peak fleet all day. The floors and the target are chosen together: one of their two
utilizations is the highest candidate, so either the floors cover each hour at 90% and target
tracking follows the day above them, or the floors follow the day at a lower utilization and
target tracking, at 90%, answers only what they do not foresee. The pairs are simulated in
order of the task-hours they are expected to cost, and the first that holds is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.floors import expected_tasks, hourly_rates, schedule_actions, schedule_candidates, scheduled_floors
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Rates
from capacity.plan.models import ScheduledCapacity
from capacity.plan.settle import (
    Candidate,
    Probe,
    Settled,
    at_its_max,
    design_day_task_hours,
    settle,
    settle_scheduled,
)
from capacity.scale_in_band import landing_fraction
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
    chosen: Chosen
    probe: Probe  # the simulated queue and fleet, at the chosen min capacity
    deploy_min_capacity: int | None = None
    scale_in_backlog_per_task: float | None = None  # the scale-in band's threshold (None: target tracking's own)


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


@dataclass(frozen=True)
class Chosen:
    """The min capacity and target utilization chosen by simulation, with their reasons and floors."""

    min_capacity: int
    min_reason: str
    utilization: float
    target_reason: str
    settled: Settled
    floors: tuple[int, ...] = ()
    floor_utilization: float = 0.0


def plan_autoscaling(
    d: Derivation, c: Consumer, rates: Rates, age: float, mu: float, max_capacity: int, shape: DailyShape | None,
    receive_overhead_seconds: float = 0.0, room_ceiling: float | None = None,
) -> Autoscaling:
    """min_capacity (and its schedule), target_backlog_per_task and the two cooldowns of a service's scaling.

    room_ceiling: how far max capacity may rise above max_capacity for room over the peak's resting fleet
    (capacity/plan/peak_room.py), so each utilization is simulated with the max it would be deployed with;
    None keeps max_capacity."""
    hourly = hourly_rates(shape, rates.average)
    out_cd, in_cd = plan_cooldowns(d)

    def probe_with(minimum: int) -> Probe:
        return Probe(
            concurrency_per_task=c.concurrency_per_task, max_age_seconds=age,
            processing_seconds=c.concurrency_per_task / mu,  # one slot's cycle: processing + receive overhead
            processing_p99_seconds=c.p99_seconds + receive_overhead_seconds,
            min_capacity=min(minimum, max_capacity), max_capacity=max_capacity,
            scale_out_cooldown_seconds=int(out_cd), scale_in_cooldown_seconds=int(in_cd),
            schedule=(),
            average=rates.average, peak=rates.peak, trough=rates.trough, hourly=hourly, room_ceiling=room_ceiling,
        )

    derived_min, derived_why = derived_min_capacity(age, rates, mu, max_capacity)
    options = schedule_options(d, hourly, mu, max_capacity, age, derived_min)
    chosen = choose_min_and_utilization(d, c, rates, age, probe_with, options, derived_min, derived_why)
    time_zone = shape.time_zone if shape is not None else "UTC"
    scheduled = schedule_actions(chosen.floors, time_zone) if chosen.floors else ()
    min_capacity = d.set("min_capacity", chosen.min_capacity, chosen.min_reason)
    check_min_capacity(d, min_capacity, max_capacity, age)
    target = plan_target(d, c, age, chosen, bool(options))
    deploy_min = None
    if chosen.floors:
        assert hourly is not None
        deploy_min = d.set("deploy_min_capacity", max(chosen.floors), (
            f"{max(chosen.floors)} = the busiest hour's floor: the scalable target is created with it, so a first "
            "deploy at any hour holds the objective until the next scheduled action sets that hour's floor (the "
            "smallest floor would leave a deploy at 08:30 on the night's fleet until the next action); after that "
            "the scheduled actions own min capacity and updates leave it alone"))
        d.reasons["scheduled_capacity"] = _schedule_reason(
            rates, mu, max_capacity, chosen, scheduled, time_zone,
            expected_tasks(hourly, chosen.floors, mu, chosen.utilization))
    band = plan_scale_in_band(d, target, chosen.settled, int(in_cd), scheduled=bool(chosen.floors))
    probe = replace(at_its_max(probe_with(min_capacity), chosen.utilization),
                    scale_in_fraction=chosen.settled.scale_in_fraction if band else None)
    return Autoscaling(min_capacity, target, chosen.utilization, int(out_cd), int(in_cd), scheduled, hourly,
                       chosen, probe, deploy_min, band)


def plan_scale_in_band(d: Derivation, target: float, settled: Settled, scale_in_cooldown: int,
                       scheduled: bool = False) -> float | None:
    """The scale-in band's threshold and its reason, where the setting was proven with one (capacity/scale_in_band.py);
    None for a target the user set, which target tracking scales in around on its own."""
    fraction = settled.scale_in_fraction
    if fraction is None or d.overridden("target_backlog_per_task"):
        return None
    threshold = round(target * fraction, 3)
    landing = round(target * landing_fraction(fraction), 3)
    tried = ", ".join(f"{f:g}" for f in limits.SCALE_IN_BAND_FRACTIONS)
    rates = ", ".join(f"{round(f * 100)}%" for f in limits.FLAP_CHECK_PEAK_FRACTIONS)
    return d.set("scale_in_backlog_per_task", threshold, (
        f"{num(threshold)} = {fraction:g} x the target {num(target)}: target tracking's own scale-in (15 minutes below "
        f"about 90% of the target) would flap here, since the metric's noise is wider than that band ({settled.band_why}); "
        f"so target tracking only scales out (DisableScaleIn) and a step policy scales in once "
        f"{limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS} one-minute datapoints in a row sit below {num(threshold)}, "
        f"removing the share of tasks that puts the metric mid-band ({num(landing)} per task), at least one task "
        f"per {scale_in_cooldown} s cooldown; the highest of {tried} at which every constant rate ({rates} of the "
        f"peak) rests steadily over {'the smallest scheduled floor' if scheduled else 'min capacity'} "
        "(capacity/plan/resting.py), and the day and spike were simulated "
        "with it"))


def scaling_summary(scaling: Autoscaling) -> str:
    """The target tracking setting in a few words: its min (or floors) and target utilization."""
    floors = scaling.chosen.floors
    fleet = (f"hourly floors {min(floors)}-{max(floors)}" if floors and min(floors) != max(floors)
             else f"min {scaling.min_capacity}")
    u = scaling.target_utilization
    return f"{fleet}{f', target utilization {u:g}' if u is not None else ''}, in the simulated design day"


def as_static(d: Derivation, scaling: Autoscaling, tasks: int) -> Autoscaling:
    """The autoscaling of a fleet pinned at `tasks` (min = max): no schedule, and a target that never moves it."""
    d.reasons["target_backlog_per_task"] += f"; the fleet is static (min = max = {tasks}), so the target never moves it"
    chosen = replace(scaling.chosen, min_capacity=tasks, floors=())
    probe = replace(scaling.probe, min_capacity=tasks, max_capacity=tasks, schedule=(), scale_in_fraction=None)
    d.reasons.pop("scale_in_backlog_per_task", None)
    return replace(scaling, min_capacity=tasks, scheduled=(), deploy_min_capacity=None, chosen=chosen, probe=probe,
                   scale_in_backlog_per_task=None)


def plan_average_tasks(d: Derivation, scaling: Autoscaling, mu: float, max_capacity: int) -> tuple[float, str]:
    """The fleet the plan runs on an average day, with its reason: its simulated design day (with the final max
    capacity), or, for a target or min capacity the user set, each hour's floor or resting fleet."""
    chosen, probe = scaling.chosen, replace(scaling.probe, max_capacity=max_capacity)
    if probe.min_capacity >= max_capacity and not chosen.floors:
        return float(max_capacity), f"min = max = {max_capacity}: the fleet never moves"
    if chosen.settled.held and not d.overridden("target_backlog_per_task") and not d.overridden("min_capacity"):
        settled = chosen.settled
        # The day the setting was chosen on is the same run when its max is unchanged or was never reached.
        same_day = settled.day_largest_fleet is not None and (
            max_capacity == scaling.probe.max_capacity or settled.day_largest_fleet < scaling.probe.max_capacity)
        hours = (settled.day_task_hours if same_day and settled.day_task_hours is not None
                 else design_day_task_hours(probe, chosen.utilization, settled.candidate))
        return hours / limits.HOURS_PER_DAY, (
            f"the {num(round(hours, 1))} task-hours the plan's own scaling runs in the simulated design day, "
            f"/ {limits.HOURS_PER_DAY} h")
    hourly = scaling.hourly_rates or (probe.average,)
    utilization = scaling.target_backlog_per_task / probe.concurrency_per_task
    utilization = min(1.0, utilization) if utilization > 0 else 1.0  # no resting point: the plan has an error
    floors = chosen.floors or (scaling.min_capacity,) * len(hourly)
    floor = "the scheduled floor" if chosen.floors else "min capacity"
    return expected_tasks(hourly, floors, mu, utilization, max_capacity), (
        f"each hour {floor} or the fleet resting at utilization {round(utilization, 3):g}, whichever is larger")


def plan_cooldowns(d: Derivation) -> tuple[int, int]:
    """Scale out quickly while the backlog still grows, scale in slowly: in-progress work is the cost of scale-in."""
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
    return out_cd, in_cd


def schedule_options(
    d: Derivation, hourly: tuple[float, ...] | None, mu: float, max_capacity: int, age: float, derived_min: int
) -> tuple[Candidate, ...]:
    """(target, floors) candidates when the objective is shorter than the reaction and the day's shape is known."""
    tight = age < reaction_seconds() and derived_min > 0
    if not tight or hourly is None or d.overridden("min_capacity"):
        return ()
    options = schedule_candidates(hourly, mu, max_capacity)
    if d.overridden("target_backlog_per_task"):
        # The floors were proved with the planner's target; with the user's, keep the floors that do not
        # lean on target tracking to follow the day (each hour covered at the highest utilization).
        at_top = scheduled_floors(hourly, mu, max_capacity, max(limits.RESTING_UTILIZATION_CANDIDATES))
        options = tuple(o for o in options if o.floors == at_top)
    return options


def choose_min_and_utilization(
    d: Derivation, c: Consumer, rates: Rates, age: float, probe_with, options: tuple[Candidate, ...],
    derived_min: int, derived_why: str,
) -> Chosen:
    """Simulate the candidates: scheduled floors with a target, or a utilization (and maybe a raised min) alone."""
    minimum = d.overrides.get("min_capacity", derived_min)
    probe = probe_with(minimum)
    if options:
        utilization, target_why, settled = scheduled_utilization(probe, options)
        assert settled.candidate is not None
        floors = settled.candidate.floors
        why = (
            f"{min(floors)} outside the busy hours, raised by scheduled actions (scheduled_capacity): the "
            f"{duration(age)} objective is shorter than the autoscaler's {duration(reaction_seconds())} reaction, "
            f"so the running tasks must absorb each hour's traffic; the daily shape says how many, instead of the "
            f"peak fleet of {derived_min} all day"
        )
        return Chosen(min(floors), why, utilization, target_why, settled, floors, settled.candidate.floor_utilization)
    utilization, target_why, settled = derived_utilization(probe, may_raise_min=not d.overridden("min_capacity"))
    min_value, min_why = derived_min, derived_why
    if settled.min_capacity is not None:
        resting = (f"ceil(average {num(rates.average)} x {num(probe.processing_seconds)} s / (concurrency "
                   f"{c.concurrency_per_task} x utilization {settled.utilization:g}))")
        if settled.resting is not None and settled.min_capacity > settled.resting:
            head = (f"{settled.min_capacity} = {resting} = {settled.resting}, the fleet target tracking rests at for "
                    f"the average rate, + {settled.min_capacity - settled.resting} for a margin from the target (with min capacity "
                    f"{settled.resting} {settled.margin_why})")
        else:
            head = f"{settled.min_capacity} = {resting}, the fleet target tracking rests at for the average rate"
        min_why = (f"{head}; not {min_value} ({_without_value(min_why, min_value)}): chosen by simulation, since "
                   f"{settled.raised_because}, and holding it costs {settled.weighed}")
        min_value = settled.min_capacity
    if min_value == 0 and minimum == 0 and not settled.held:
        # Scale to zero on a trickle flaps: one barely-busy task reads 0 in flight, scales in, and the
        # zero-to-one step starts it again minutes later. One task always on settles instead.
        one = derived_utilization(probe_with(1))
        if one[2].held:
            why = (
                f"1, not 0: the {duration(age)} objective would allow scaling to zero, but in simulation the trickle of "
                f"{num(rates.trough)}-{num(rates.average)} msg/s restarts a task every few minutes once it scales in "
                f"({settled.task_launches} launches in the diurnal day: flapping); one task always on settles"
            )
            return Chosen(1, why, one[0], one[1], one[2])
    return Chosen(min_value, min_why, utilization, target_why, settled)


def check_min_capacity(d: Derivation, min_capacity: int, max_capacity: int, age: float) -> None:
    """min above max, or scaling from zero under an objective shorter than a cold start, is an error."""
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


def plan_target(d: Derivation, c: Consumer, age: float, chosen: Chosen, scheduled: bool) -> float:
    """The resting-point target: concurrency x the chosen utilization; an error when it has no resting point."""
    settled = chosen.settled
    target = d.set("target_backlog_per_task", resting_target(c.concurrency_per_task, chosen.utilization),
                   chosen.target_reason)
    problem = resting_point_problem(target, c.concurrency_per_task)
    if problem:
        d.error("no resting point", problem,
                f"set target_backlog_per_task below {c.concurrency_per_task}, e.g. "
                f"{num(resting_target(c.concurrency_per_task, chosen.utilization))} (the planner's)")
    elif not settled.held and not d.overridden("target_backlog_per_task"):
        d.warn("objective in simulation",
               f"none of {settled.tried} candidate {'settings' if scheduled else 'utilizations'} held the "
               f"{duration(age)} objective without flapping "
               f"in the simulated {settled.scenarios} (oldest message {duration(settled.max_age_seconds)}, "
               f"{settled.task_launches} task launches in the day)",
               "raise min_capacity or give the daily shape (traffic.daily_shape) so capacity can be scheduled")
    return target


def _schedule_reason(rates: Rates, mu: float, max_capacity: int, chosen: Chosen,
                     scheduled: tuple[ScheduledCapacity, ...], time_zone: str, average_tasks: float) -> str:
    """Why the scheduled actions: the floors by hour, how busy they run, and the task-hours they save."""
    peak_fleet = min(max(1, math.ceil(rates.peak / mu)), max_capacity)
    saving = 1 - average_tasks / peak_fleet
    return (
        f"{len(scheduled)} scheduled actions in {time_zone}: each hour's min capacity covers the busier of it "
        f"and the next at most {round(chosen.floor_utilization * 100)}% busy "
        f"(floors by hour: {', '.join(str(f) for f in chosen.floors)}), chosen with the target by simulation (see "
        f"target_backlog_per_task); about {num(round(average_tasks, 1))} tasks on "
        f"average against {peak_fleet} for a peak-sized fleet all day, {round(saving * 100)}% fewer task-hours"
    )


def _resting_head(probe: Probe, utilization: float) -> str:
    target = resting_target(probe.concurrency_per_task, utilization)
    return (
        f"{num(target)} = concurrency {probe.concurrency_per_task} x utilization {utilization:g}, on the metric "
        "(visible + in flight) / running tasks: while the fleet keeps up that metric is utilization x concurrency, "
        f"so target tracking rests at arrival x {num(probe.processing_seconds)} s / {num(target)} tasks, "
        f"{round(utilization * 100)}% busy, and a backlog that builds lifts the metric above it in proportion"
    )


def scheduled_utilization(probe: Probe, options: tuple[Candidate, ...]) -> tuple[float, str, Settled]:
    """(utilization, reason, Settled) for the target when scheduled floors are chosen with it (settle_scheduled)."""
    settled = settle_scheduled(probe, options)
    chosen = settled.candidate
    assert chosen is not None
    head = _resting_head(probe, settled.utilization)
    top, bottom = max(limits.RESTING_UTILIZATION_CANDIDATES), min(limits.RESTING_UTILIZATION_CANDIDATES)
    pairs = (f"{settled.candidates} candidate pairs of a target utilization and hourly floors (floors covering each "
             f"hour and the next at {top:g} with a target at any of "
             f"{', '.join(f'{u:g}' for u in sorted(limits.RESTING_UTILIZATION_CANDIDATES, reverse=True))}, or each "
             f"distinct schedule of floors from {top:g} down to {bottom:g}, up to the {limits.SETTLE_MAX_SCHEDULED_RUNS} "
             f"with the fewest tasks, with the target at {top:g}), tried in order "
             "of the task-hours they are expected to cost in the design day, fewest first")
    if settled.held and settled.tried == 0:
        return settled.utilization, (f"{head}; not simulated: min = max = {probe.max_capacity} tasks, so the target "
                                     "never changes the fleet"), settled
    if settled.held:
        why = (
            f"{head}; chosen by simulation together with floors that run each hour (and the next) at most "
            f"{round(chosen.floor_utilization * 100)}% busy: the first "
            f"of {pairs}, that held the objective in {settled.scenarios} without flapping ({settled.tried} tried; "
            f"estimated {num(round(chosen.estimate_task_hours, 1))} task-hours, simulated "
            f"{num(round(settled.task_hours, 1))} task-hours for the spike and the day together, oldest message "
            f"{duration(settled.max_age_seconds)}, {settled.task_launches} task launches in the day)"
        )
    else:
        why = (f"{head}; none of the {pairs} held the objective in simulation ({settled.tried} tried): the last "
               "tried, expected to cost the most of them")
    return settled.utilization, why, settled


def _without_value(why: str, value: int) -> str:
    """A reason without the value it opens with ("3 = max(...): ..." -> "max(...): ...", "0: ..." -> "...")."""
    for opening in (f"{value} = ", f"{value}: "):
        if why.startswith(opening):
            return why[len(opening):]
    return why


def derived_utilization(probe: Probe, may_raise_min: bool = True):
    """(utilization, reason, Settled) for the target: the cheapest candidate that held in simulation."""
    settled = settle(probe, may_raise_min=may_raise_min)
    candidates = ", ".join(f"{u:g}" for u in sorted(limits.RESTING_UTILIZATION_CANDIDATES, reverse=True))
    head = _resting_head(probe, settled.utilization)
    if settled.held and settled.tried == 0:
        why = (f"{head}; not simulated: min = max = {probe.max_capacity} tasks, so the target never changes the fleet "
               f"(the highest candidate, {settled.utilization:g}, is kept for when the bounds move)")
    elif settled.held:
        why = (
            f"{head}; utilization chosen by simulation: the cheapest that held the objective in {settled.scenarios} "
            f"without flapping, {settled.tried} of the candidates {candidates} tried, highest (cheapest) first "
            f"(oldest message {duration(settled.max_age_seconds)}, {settled.task_launches} task launches in the day)"
        )
        if settled.min_capacity is not None:
            why += f", with min capacity raised to {settled.min_capacity} (see min_capacity)"
        elif settled.weighed:
            why += f"; {settled.weighed}"
        if settled.passed_over:
            why += f"; {settled.passed_over}"
    else:
        why = f"{head}; none of the candidates ({candidates}) held the objective in simulation: the most headroom"
    return settled.utilization, why, settled
