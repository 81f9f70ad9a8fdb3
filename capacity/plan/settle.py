"""Proving an autoscaling setting by simulation: the cheapest resting utilization that holds without flapping.

The planner hands this module a workload's queue (concurrency, processing time, objective),
its fleet bounds and schedule, and its design traffic; it simulates the standard diurnal day
and spike (capacity/scenarios.py) for each candidate utilization, highest (cheapest) first,
and keeps the first that holds the objective in both without flapping. With scheduled min
capacity (tight objectives with a daily shape) a candidate is a target utilization and a
schedule of hourly floors together, tried in the order the caller gives (fewest estimated
task-hours first). Results are cached: the partitions of one workload are the same question
asked several times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.formatting import num
from capacity.simulate import QueueModel, Settings, TargetTrackingFleet, simulate


@dataclass(frozen=True)
class Probe:
    """Everything a candidate setting is simulated with (hashable, so answers are cached)."""

    concurrency_per_task: int
    processing_seconds: float
    max_age_seconds: float
    processing_p99_seconds: float
    min_capacity: int
    max_capacity: int
    scale_out_cooldown_seconds: int
    scale_in_cooldown_seconds: int
    schedule: tuple[tuple[int, int], ...]
    average: float
    peak: float
    trough: float
    hourly: tuple[float, ...] | None


@dataclass(frozen=True)
class Candidate:
    """A target utilization with a schedule of hourly min capacities (floors) to simulate it with.

    floors[h] is the min capacity from local hour h (one action where it changes);
    floor_utilization is how busy the busiest hour (or the hour after it) runs on its floor,
    estimate_task_hours what the caller expects the design day to cost (the order
    candidates are tried in).
    """

    utilization: float
    floors: tuple[int, ...]
    floor_utilization: float
    estimate_task_hours: float

    @property
    def schedule(self) -> tuple[tuple[int, int], ...]:
        """(second of the local day, min capacity) at each hour whose floor differs from the hour before."""
        return tuple((hour * limits.SECONDS_PER_HOUR, value) for hour, value in enumerate(self.floors)
                     if value != self.floors[hour - 1])

    @property
    def min_capacity(self) -> int:
        return min(self.floors)


@dataclass(frozen=True)
class Settled:
    """The utilization chosen, how many candidates were tried, and what the chosen one did."""

    utilization: float
    tried: int
    held: bool
    task_hours: float
    max_age_seconds: float
    task_launches: int
    scenarios: str
    # With scheduled candidates: the one chosen (None without a schedule) and how many there were.
    candidate: Candidate | None = None
    candidates: int = 0
    # Without a schedule: a min capacity raised to the resting fleet at the average (None when kept),
    # and what it was weighed against.
    min_capacity: int | None = None
    weighed: str = ""
    # Why min capacity was raised: the lower one failed with noise, or it held but cost more.
    raised_because: str = ""
    # Task-hours of the deterministic design day the chosen setting ran (None when it did not run or hold),
    # and the largest fleet it reached there (a higher max capacity would not change a day that stayed below it).
    day_task_hours: float | None = None
    day_largest_fleet: int | None = None


def flaps_in_day(launches: int, smallest: int, largest: int) -> bool:
    """A diurnal day flaps when it launches more tasks than 2 x (largest - smallest fleet) + the slack."""
    return launches > 2 * (largest - smallest) + limits.FLAP_DIURNAL_SLACK_LAUNCHES


def flaps_at_constant(action_seconds: tuple[tuple[int, str], ...]) -> bool:
    """At a constant rate: more than FLAP_MAX_ACTIONS policy actions in the window after the settling hour."""
    start = limits.FLAP_SETTLE_SECONDS
    end = start + limits.FLAP_WINDOW_SECONDS
    return sum(1 for at, _ in action_seconds if start <= at < end) > limits.FLAP_MAX_ACTIONS


def probe_scenarios(p: Probe) -> list[sc.Scenario]:
    """The spike first (it fails first), then the diurnal day; without a shape the spike needs only 4 hours."""
    spike_days = 1.0 if p.hourly else (limits.SPIKE_WARMUP_SECONDS + 2 * limits.VERIFY_SPIKE_MINUTES * 60) / limits.SECONDS_PER_DAY
    return [
        sc.design_spike(p.average, p.peak, p.trough, p.hourly, days=spike_days),
        sc.design_day(p.average, p.peak, p.trough, p.hourly),
    ]


def _noise_fails(result) -> bool:
    return not result.objective_met or flaps_in_day(result.task_launches, result.smallest_fleet, result.largest_fleet)


def _model_and_fleet(p: Probe, utilization: float, candidate: Candidate | None) -> tuple[QueueModel, TargetTrackingFleet]:
    """The probe's queue and the fleet of one setting: a utilization, with a candidate's floors when given."""
    model = QueueModel("probe", p.processing_seconds, p.concurrency_per_task, p.max_age_seconds,
                       processing_p99_seconds=p.processing_p99_seconds)
    fleet = TargetTrackingFleet(
        min_capacity=p.min_capacity if candidate is None else min(candidate.min_capacity, p.max_capacity),
        max_capacity=p.max_capacity,
        target_backlog_per_task=round(p.concurrency_per_task * utilization, 3),
        scale_out_cooldown_seconds=p.scale_out_cooldown_seconds,
        scale_in_cooldown_seconds=p.scale_in_cooldown_seconds,
        schedule=p.schedule if candidate is None else candidate.schedule,
    )
    return model, fleet


@lru_cache(maxsize=256)
def design_day_task_hours(p: Probe, utilization: float, candidate: Candidate | None = None) -> float:
    """Task-hours the setting's fleet runs in the deterministic design day: what its month is billed from."""
    model, fleet = _model_and_fleet(p, utilization, candidate)
    return simulate(model, fleet, probe_scenarios(p)[-1]).task_hours


def _run(p: Probe, utilization: float, candidate: Candidate | None = None, noise_first: bool = False):
    """("" when it held, else "objective", "flaps" or "noise"; the deterministic results; the runs simulated).

    The spike, then the day, then the day again with Poisson arrivals and p99 processing times
    (SETTLE_NOISE_SEED): noise must not make it miss or flap. With noise_first the noisy day
    runs first, since it is what the cheapest candidates fail, so they cost one run each.
    """
    model, fleet = _model_and_fleet(p, utilization, candidate)
    scenarios = probe_scenarios(p)
    noisy_settings = Settings(random_seed=limits.SETTLE_NOISE_SEED)
    runs = 0
    if noise_first:
        runs += 1
        if _noise_fails(simulate(model, fleet, scenarios[-1], noisy_settings)):
            return "noise", [], runs
    results = []
    for scenario in scenarios:
        result = simulate(model, fleet, scenario)
        runs += 1
        results.append(result)
        if not result.objective_met:
            return "objective", results, runs
    day = results[-1]
    if flaps_in_day(day.task_launches, day.smallest_fleet, day.largest_fleet):
        return "flaps", results, runs
    if not noise_first:
        runs += 1
        if _noise_fails(simulate(model, fleet, scenarios[-1], noisy_settings)):
            return "noise", results, runs
    return "", results, runs


NOISE_NOTE = (f"diurnal and spike (and the day again with Poisson arrivals and p99 processing times, seed "
              f"{limits.SETTLE_NOISE_SEED})")


def _summary(results) -> tuple[float, float, int]:
    return (sum(r.task_hours for r in results), max(r.max_age_seconds for r in results),
            results[-1].task_launches)


def _day(results) -> dict:
    """The design day's task-hours and largest fleet, from the deterministic runs (the day last)."""
    return {"day_task_hours": results[-1].task_hours, "day_largest_fleet": results[-1].largest_fleet}


def resting_fleet(p: Probe, utilization: float) -> int:
    """Tasks target tracking rests at for the average rate: ceil(average x slot time / (concurrency x u))."""
    return min(p.max_capacity, math.ceil(p.average * p.processing_seconds / (p.concurrency_per_task * utilization)))


@lru_cache(maxsize=256)
def settle(p: Probe, candidates: tuple[float, ...] = limits.RESTING_UTILIZATION_CANDIDATES,
           may_raise_min: bool = True) -> Settled:
    """The highest candidate utilization (fewest task-hours) that holds the objective without flapping.

    A candidate that misses the objective, or flaps only once arrivals and processing times are
    random (metric noise crossing a target with too little room), makes way for more headroom
    (a lower one), and so does one whose whole-message day flaps above a floor; a fleet with
    min capacity 0 that flaps ends the search, since more headroom does not stop a
    zero-to-one cycle (the caller then changes min capacity), and the highest candidate is
    reported as not held. The first candidate that fails only with noise is also
    tried with min capacity at its resting fleet for the average rate (noise then cannot shrink
    the fleet below the size it returns to); when that holds, the cheaper of it and the next
    candidate that holds is kept (may_raise_min=False when the user set min capacity).
    """
    ordered = sorted(candidates, reverse=True)
    if p.min_capacity >= p.max_capacity and not p.schedule:
        return Settled(ordered[0], 0, True, 0.0, 0.0, 0, "no scenario: min = max, the fleet cannot move")
    tried = 0
    results: list = []
    raised: Settled | None = None
    for utilization in ordered:
        tried += 1
        failure, results, _ = _run(p, utilization)
        if not failure:
            kept = Settled(utilization, tried, True, *_summary(results), NOISE_NOTE, **_day(results))
            if raised is None and may_raise_min:
                raised = _raised(p, utilization, tried, "a fleet allowed below it also holds at utilization "
                                 f"{utilization:g} but scales up and down more")
            return _cheaper(raised, kept)
        if failure == "flaps" and p.min_capacity == 0:  # a zero-to-one cycle: more headroom does not stop it
            return _alone(raised, tried) or Settled(ordered[0], tried, False, *_summary(results), "diurnal and spike")
        if failure == "noise" and may_raise_min and raised is None:
            raised = _raised(p, utilization, tried, "with Poisson arrivals a fleet allowed below it flaps at "
                             f"utilization {utilization:g}")
    return _alone(raised, tried) or Settled(ordered[-1], tried, False, *_summary(results), "diurnal and spike")


def _raised(p: Probe, utilization: float, tried: int, because: str) -> Settled | None:
    """The setting with min capacity at its resting fleet for the average rate, when that holds (else None)."""
    floor = resting_fleet(p, utilization)
    if not p.min_capacity < floor < p.max_capacity:
        return None
    failure, results, _ = _run(replace(p, min_capacity=floor), utilization)
    if failure:
        return None
    return Settled(utilization, tried, True, *_summary(results), NOISE_NOTE, min_capacity=floor,
                   raised_because=because, **_day(results))


def _alone(raised: Settled | None, tried: int) -> Settled | None:
    """The raised-min setting when no lower utilization held at all (nothing to weigh it against)."""
    if raised is None:
        return None
    return replace(raised, tried=tried, weighed=(
        f"{num(round(raised.task_hours, 1))} task-hours for the spike and the day; no lower utilization held"))


def _cheaper(raised: Settled | None, kept: Settled) -> Settled:
    """The raised-min setting when it costs fewer task-hours than the lower utilization that held, else that one."""
    if raised is None:
        return kept
    tried = kept.tried
    if raised.task_hours < kept.task_hours:
        return replace(raised, tried=tried, weighed=(
            f"{num(round(raised.task_hours, 1))} task-hours for the spike and the day, against "
            f"{num(round(kept.task_hours, 1))} for utilization {kept.utilization:g} with the lower min capacity"))
    return replace(kept, weighed=(
        f"min capacity raised to {raised.min_capacity} at utilization {raised.utilization:g} also held, but cost "
        f"{num(round(raised.task_hours, 1))} task-hours against {num(round(kept.task_hours, 1))}"))



@lru_cache(maxsize=256)
def settle_scheduled(p: Probe, candidates: tuple[Candidate, ...]) -> Settled:
    """The first candidate (target utilization and floors together, in the order given) that holds without flapping.

    The caller orders the candidates by the task-hours it expects of them, fewest first, so
    the first that holds the objective in the spike and the day without flapping, also with
    Poisson arrivals and p99 processing times, is the cheapest that held. Unlike settle(), a
    day that flaps does not end the search: other floors can stop a cycle. The search stops
    after SETTLE_MAX_SCHEDULED_RUNS simulated runs (`qcap plan` stays fast); when no candidate
    held by then, the most expensive one tried is reported as not held.
    """
    if not candidates:
        raise ValueError("settle_scheduled needs at least one candidate")
    if all(c.min_capacity >= p.max_capacity for c in candidates):
        first = candidates[0]
        return Settled(first.utilization, 0, True, 0.0, 0.0, 0, "no scenario: min = max, the fleet cannot move",
                       first, len(candidates))
    tried = runs = 0
    last: tuple[Candidate, list] | None = None
    for candidate in candidates:
        if runs >= limits.SETTLE_MAX_SCHEDULED_RUNS:
            break
        tried += 1
        failure, results, used = _run(p, candidate.utilization, candidate, noise_first=True)
        runs += used
        if not failure:
            return Settled(candidate.utilization, tried, True, *_summary(results), NOISE_NOTE, candidate,
                           len(candidates), **_day(results))
        last = (candidate, results)
    assert last is not None
    candidate, results = last
    summary = _summary(results) if results else (0.0, 0.0, 0)
    return Settled(candidate.utilization, tried, False, *summary, "diurnal and spike (and the day again with "
                   "Poisson arrivals)", candidate, len(candidates))
