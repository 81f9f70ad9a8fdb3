"""Plan verification: simulate each queue's standard scenarios and say whether the objective holds.

The standard scenarios are a diurnal day (the profile's daily shape when it has one), a
spike from the trough straight to the planned peak, and a backlog drain (the profile's
backlog, or a one-hour outage at the peak rate). Autoscaled services are also run at
constant rates (25% to 100% of the peak) to check that the fleet settles (no flapping).
For autoscaled services the verifier also searches the backlog-per-task target and the
min capacity for the cheapest setting (fewest task-hours over the diurnal day and the
spike) that holds, by the planner's own bar (also with Poisson arrivals, unflapping), and
reports it as a result with its reason; the plan is not changed. A fleet with scheduled floors
is also deployed afresh at each of the 24 hours, to hold until its first scheduled action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from capacity import limits
from capacity import scenarios as sc
from capacity.plan import Plan, WorkloadPlan, duration, num
from capacity.plan.formatting import tasks
from capacity.plan.autoscaling import resting_target
from capacity.plan.resting import rest_at
from capacity.plan.settle import flaps_at_constant, flaps_in_day
from capacity.profile import Profile, Workload
from capacity.simulate import Settings, SimulationResult, TargetTrackingFleet, simulate
from capacity.simulation_inputs import model_from_plan, plan_fleet


@dataclass(frozen=True)
class ScenarioCheck:
    """One standard scenario run against one setting, with whether it holds and why."""

    scenario: str
    description: str
    holds: bool
    reason: str
    result: SimulationResult


@dataclass(frozen=True)
class Tuning:
    """The cheapest min capacity and target that hold, found by simulation."""

    min_capacity: int
    target_backlog_per_task: float
    task_hours: float
    checks: tuple[ScenarioCheck, ...]
    reason: str


@dataclass(frozen=True)
class Verification:
    """The verdict on one queue of the plan: the plan as provisioned, and a tuned setting if any."""

    workload: str
    holds: bool
    checks: tuple[ScenarioCheck, ...]
    tuning: Tuning | None
    note: str
    churn: tuple[ScenarioCheck, ...] = ()

    @property
    def task_hours(self) -> float:
        """Task-hours of the diurnal day and the spike as planned."""
        return sum(c.result.task_hours for c in self.checks if c.scenario != "drain")


def standard_scenarios(plan: WorkloadPlan, drain_allowed_seconds: float) -> list[sc.Scenario]:
    """The diurnal day, the trough-to-peak spike and the backlog drain for one queue."""
    average, peak, trough = plan.arrival_average_per_second, plan.arrival_peak_per_second, plan.arrival_trough_per_second
    hourly = plan.hourly_arrival_per_second
    backlog = plan.backlog_messages or peak * limits.DRAIN_OUTAGE_SECONDS
    drain_days = min(
        limits.MAX_SOURCE_RETENTION_SECONDS,
        drain_allowed_seconds * limits.RETENTION_MARGIN + limits.SECONDS_PER_HOUR,
    ) / limits.SECONDS_PER_DAY
    return [
        sc.design_day(average, peak, trough, hourly, days=1),
        sc.design_spike(average, peak, trough, hourly, days=1),
        sc.drain(backlog, average, days=drain_days),
    ]


def drain_allowed_seconds(workload: Workload, plan: WorkloadPlan) -> float:
    """The time the profile allows for a drain, bounded as the planner bounds it (retention minus the objective)."""
    allowed = workload.objective.drain_backlog_within_hours * limits.SECONDS_PER_HOUR
    return min(allowed, limits.MAX_SOURCE_RETENTION_SECONDS - plan.max_age_seconds)


def _check(scenario: sc.Scenario, result: SimulationResult, allowed: float) -> ScenarioCheck:
    if scenario.name == "drain":
        if result.drain_seconds is None:
            holds, reason = False, f"the backlog does not drain within the {duration(result.duration_seconds)} simulated"
        elif result.drain_seconds > allowed:
            holds = False
            reason = f"drains in {duration(result.drain_seconds)}, over the {duration(allowed)} allowed"
        else:
            holds = True
            reason = f"drains in {duration(result.drain_seconds)}, within the {duration(allowed)} allowed"
    elif scenario.name == "diurnal" and result.scale_out_actions + result.scale_in_actions and flaps_in_day(
        result.task_launches, result.smallest_fleet, result.largest_fleet
    ):
        holds = False
        reason = (
            f"flaps: {result.task_launches} task launches in the day, more than 2 x ({result.largest_fleet} - "
            f"{result.smallest_fleet}) + {limits.FLAP_DIURNAL_SLACK_LAUNCHES} for a fleet that follows the day"
        )
    elif result.objective_met:
        holds = True
        reason = f"oldest message at most {duration(result.max_age_seconds)}, objective {duration(result.objective_seconds)}"
    else:
        holds = False
        reason = (
            f"oldest message reaches {duration(result.max_age_seconds)}, over the {duration(result.objective_seconds)} "
            f"objective for {result.minutes_over_objective} min"
        )
    return ScenarioCheck(scenario.name, scenario.description, holds, reason, result)


def churn_checks(model, fleet, peak: float, settings: Settings) -> tuple[ScenarioCheck, ...]:
    """Constant rates at fractions of the peak: after an hour to settle, at most 2 scaling actions in 6 hours."""
    days = (limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS) / limits.SECONDS_PER_DAY
    checks = []
    for fraction in limits.FLAP_CHECK_PEAK_FRACTIONS:
        scenario = sc.constant(peak * fraction, days)
        result = simulate(model, fleet, scenario, settings)
        window = [a for a in result.action_seconds
                  if limits.FLAP_SETTLE_SECONDS <= a[0] < limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS]
        flaps = flaps_at_constant(result.action_seconds)
        held = result.objective_met and not flaps
        reason = (
            f"{len(window)} scaling actions in the 6 h after the first hour"
            + (f" (more than {limits.FLAP_MAX_ACTIONS}: flaps)" if flaps else "")
            + ("" if result.objective_met else f"; oldest message {duration(result.max_age_seconds)}, over the objective")
            + _resting_note(model, fleet, peak * fraction)
        )
        checks.append(ScenarioCheck("constant", f"constant {round(fraction * 100)}% of peak ({num(round(peak * fraction, 3))} msg/s)",
                                    held, reason, result))
    return tuple(checks)


def _resting_note(model, fleet, rate: float) -> str:
    """Where target tracking rests at this rate over its lowest floor, when noise is expected to scale it there
    (capacity/plan/resting.py): the reason a constant rate flaps on some seeds ("" when it rests steadily)."""
    if not isinstance(fleet, TargetTrackingFleet):
        return ""
    steady, why = rest_at(rate, model.processing_seconds, model.processing_p99_seconds, model.concurrency_per_task,
                          fleet.target_backlog_per_task, fleet.min_capacity, fleet.max_capacity, fleet.scale_in_fraction)
    return "" if steady else f"; with Poisson arrivals, over min capacity {fleet.min_capacity}, {why}"


def seed_checks(model, fleet, scenarios: list[sc.Scenario], peak: float, allowed: float,
                settings: Settings) -> tuple[ScenarioCheck, ...]:
    """The diurnal day, the spike and the constant rates again on each of VERIFY_SEEDS seeds of Poisson arrivals and
    per-message processing times: one check per scenario, holding only when every seed holds without flapping."""
    if settings.random_seed is not None:
        return ()  # the user asked for one seed: the standard checks already ran it
    days = (limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS) / limits.SECONDS_PER_DAY
    constants = [(f"constant {round(f * 100)}% of peak", sc.constant(peak * f, days)) for f in limits.FLAP_CHECK_PEAK_FRACTIONS]
    runs = [(s.name, s) for s in scenarios if s.name in ("diurnal", "spike")] + constants
    checks = []
    for label, scenario in runs:
        failed: list[str] = []
        worst = None
        for seed in limits.VERIFY_SEEDS:
            result = simulate(model, fleet, scenario, replace(settings, random_seed=seed))
            if label.startswith("constant"):
                missed = not result.objective_met or flaps_at_constant(result.action_seconds)
                why = "misses" if not result.objective_met else "flaps"
            else:
                check = _check(scenario, result, allowed)
                missed = not check.holds
                why = "flaps" if check.reason.startswith("flaps") else "misses"
            if missed:
                failed.append(f"{seed} ({why})")
            if worst is None or result.max_age_seconds > worst.max_age_seconds:
                worst = result
        assert worst is not None
        count = len(limits.VERIFY_SEEDS)
        if failed:
            reason = f"fails on {len(failed)} of {count} seeds: {', '.join(failed)}"
        else:
            reason = (f"holds on all {count} seeds without flapping; the oldest message at most "
                      f"{duration(worst.max_age_seconds)}")
        checks.append(ScenarioCheck("seeds", f"{label}, seeds {limits.VERIFY_SEEDS[0]}-{limits.VERIFY_SEEDS[-1]}",
                                    not failed, reason, worst))
    return tuple(checks)


def deploy_checks(model, lane: WorkloadPlan, day: sc.Scenario, settings: Settings) -> tuple[ScenarioCheck, ...]:
    """A scheduled fleet deployed for the first time at each hour of the day: from the tasks it is created with
    until an hour past the first scheduled action, the objective holds (one check for the 24 runs)."""
    if lane.scaling is None or not lane.scaling.scheduled_capacity or day.duration_seconds != limits.SECONDS_PER_DAY:
        return ()
    misses, worst = [], None
    for hour in range(limits.HOURS_PER_DAY):
        start = hour * limits.SECONDS_PER_HOUR
        fleet = plan_fleet(lane, start_second_of_day=start, first_deploy=True)
        assert isinstance(fleet, TargetTrackingFleet)
        seconds = int(min(fleet.seconds_to_first_action() + limits.SECONDS_PER_HOUR, limits.SECONDS_PER_DAY))
        result = simulate(model, fleet, sc.day_from(day, start, seconds), settings)
        if not result.objective_met:
            misses.append(f"{hour:02d}:00")
        if worst is None or result.max_age_seconds > worst[1].max_age_seconds:
            worst = (hour, result)
    assert worst is not None
    hour, result = worst
    created = tasks(lane.scaling.deploy_min_capacity or lane.min_capacity)
    if misses:
        reason = (f"a first deploy at {', '.join(misses)} misses: created with {created}, the oldest message "
                  f"reaches {duration(result.max_age_seconds)} deploying at {hour:02d}:00")
    else:
        reason = (f"created with {created} at any of the 24 hours, the oldest message is at most "
                  f"{duration(result.max_age_seconds)} (deploying at {hour:02d}:00) until an hour past the first "
                  "scheduled action")
    return (ScenarioCheck("deploy", "first deploy at any hour", not misses, reason, result),)


def _share(plan: Plan, lane: WorkloadPlan) -> float:
    """This queue's part of its group's traffic (a sink the group shares is split the same way)."""
    group = [w for w in plan.workloads if w.group == lane.group]
    total = sum(w.arrival_average_per_second for w in group)
    return lane.arrival_average_per_second / total if total > 0 else 1 / len(group)


def _verify_lane(profile: Profile, plan: Plan, lane: WorkloadPlan, settings: Settings) -> Verification:
    workload = next(w for w in profile.workloads if w.name == lane.group)
    model = model_from_plan(lane, workload.sink, _share(plan, lane))
    allowed = drain_allowed_seconds(workload, lane)
    scenarios = standard_scenarios(lane, allowed)

    def run(fleet) -> tuple[ScenarioCheck, ...]:
        return tuple(_check(s, simulate(model, fleet, s, settings), allowed) for s in scenarios)

    fleet = plan_fleet(lane)
    checks = run(fleet)
    holds = all(c.holds for c in checks)
    if not isinstance(fleet, TargetTrackingFleet):
        kind = "Cloudflare consumers scale themselves" if lane.cloudflare else "scheduled runs"
        return Verification(lane.name, holds, checks, None, f"not tuned: {kind}, with no target or min capacity to tune")
    churn = churn_checks(model, fleet, lane.arrival_peak_per_second, settings) + deploy_checks(
        model, lane, scenarios[0], settings) + seed_checks(
        model, fleet, scenarios, lane.arrival_peak_per_second, allowed, settings)
    holds = holds and all(c.holds for c in churn)
    seeds_hold = all(c.holds for c in churn if c.scenario == "seeds")
    tuning = _tune(lane, model, scenarios[:2], allowed, settings, scenarios[2], fleet, checks, seeds_hold)
    return Verification(lane.name, holds, checks, tuning, "", churn)


def _holds_with_noise(model, fleet, day_scenarios, allowed, settings: Settings) -> bool:
    """The planner's own bar (capacity/plan/settle.py): the day again with Poisson arrivals and p99 draws holds, unflapping."""
    day = next((s for s in day_scenarios if s.name == "diurnal"), None)
    if day is None or settings.random_seed is not None:
        return True  # a seeded run is already noisy
    return all(_check(day, simulate(model, fleet, day, replace(settings, random_seed=seed)), allowed).holds
               for seed in limits.SETTLE_NOISE_SEEDS)


def _tune(lane, model, day_scenarios, allowed, settings, drain_scenario, planned, planned_checks,
          seeds_hold: bool = False) -> Tuning | None:
    """The cheapest (min capacity, target) whose diurnal day and spike hold; binary search on min per target.

    A cheaper setting offered beside a plan that holds on every seed must hold on every seed too (seed_checks):
    one that holds only the planner's one noisy day is no improvement on a plan that holds on ten.
    """
    c = lane.concurrency_per_task
    # The plan's own target first, so a tie keeps the plan's setting; the others rest (below c).
    others = {resting_target(c, u) for u in limits.RESTING_UTILIZATION_CANDIDATES}
    targets = [planned.target_backlog_per_task] + sorted(others - {planned.target_backlog_per_task})
    lowest = 0 if lane.min_capacity == 0 else 1
    cache: dict[tuple[int, float], tuple[ScenarioCheck, ...] | None] = {}

    def attempt(minimum: int, target: float) -> tuple[ScenarioCheck, ...] | None:
        key = (minimum, target)
        if key not in cache:
            fleet = plan_fleet(lane, min_capacity=minimum, target_backlog_per_task=target)
            done: list[ScenarioCheck] = []
            for scenario in sorted(day_scenarios, key=lambda s: s.name != "spike"):  # the spike fails first
                check = _check(scenario, simulate(model, fleet, scenario, settings), allowed)
                if not check.holds:
                    cache[key] = None
                    return None
                done.append(check)
            if not _holds_with_noise(model, fleet, day_scenarios, allowed, settings):
                cache[key] = None
                return None
            cache[key] = tuple(done)
        return cache[key]

    best: tuple[float, int, float, tuple[ScenarioCheck, ...]] | None = None
    for target in targets:
        low, high = lowest, lane.max_capacity
        if attempt(high, target) is None:
            continue
        while low < high:
            middle = (low + high) // 2
            if attempt(middle, target) is None:
                low = middle + 1
            else:
                high = middle
        checks = attempt(low, target)
        hours = sum(ch.result.task_hours for ch in checks)
        if best is None or hours < best[0] * (1 - limits.VERIFY_MIN_SAVING_FRACTION):
            best = (hours, low, target, checks)
    planned_hours = sum(ch.result.task_hours for ch in planned_checks if ch.scenario != "drain")
    planned_holds = all(ch.holds for ch in planned_checks if ch.scenario != "drain")
    if best is None:
        return None
    hours, minimum, target, checks = best
    if (minimum, target) == (lane.min_capacity, planned.target_backlog_per_task):
        return None
    if planned_holds and hours > planned_hours * (1 - limits.VERIFY_MIN_SAVING_FRACTION):
        return None
    tuned_fleet = plan_fleet(lane, min_capacity=minimum, target_backlog_per_task=target)
    if planned_holds and seeds_hold and not all(c.holds for c in seed_checks(
            model, tuned_fleet, list(day_scenarios), lane.arrival_peak_per_second, allowed, settings)):
        return None
    drain_check = _check(drain_scenario, simulate(model, tuned_fleet, drain_scenario, settings), allowed)
    changes = []
    if minimum != lane.min_capacity:
        changes.append(f"min_capacity {lane.min_capacity} -> {minimum}")
    if target != planned.target_backlog_per_task:
        changes.append(f"target_backlog_per_task {num(planned.target_backlog_per_task)} -> {num(target)}")
    change = ", ".join(changes)
    if planned_holds:
        reason = f"{change}: also holds, at {num(round(hours, 1))} task-hours instead of {num(round(planned_hours, 1))}"
    else:
        reason = (
            f"{change}: the cheapest setting that holds the diurnal day and the spike "
            f"({num(round(hours, 1))} task-hours; the plan's setting misses the objective)"
        )
    return Tuning(minimum, target, hours, checks + (drain_check,), reason)


def verify(profile: Profile, plan: Plan, settings: Settings = Settings()) -> list[Verification]:
    """Simulate every queue of the plan in its standard scenarios; one Verification per queue."""
    results: list[Verification] = []
    seen: dict[tuple, Verification] = {}
    for lane in plan.workloads:
        # Partitions of one workload are the same queue several times: simulate one.
        signature = tuple(repr(v) for k, v in lane.model_dump().items() if k not in ("name", "lane", "reasons", "findings"))
        if signature in seen:
            first = seen[signature]
            results.append(Verification(lane.name, first.holds, first.checks, first.tuning, first.note, first.churn))
            continue
        verdict = _verify_lane(profile, plan, lane, settings)
        seen[signature] = verdict
        results.append(verdict)
    return results


def cheapest_task_hours(verification: Verification) -> float:
    """Task-hours of the setting to use: the tuned one when there is one, else the plan's."""
    if verification.tuning is not None:
        return verification.tuning.task_hours
    return verification.task_hours


__all__ = [
    "ScenarioCheck",
    "Tuning",
    "Verification",
    "cheapest_task_hours",
    "drain_allowed_seconds",
    "standard_scenarios",
    "verify",
]
