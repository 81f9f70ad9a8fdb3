"""Proving an autoscaling setting by simulation: the cheapest resting utilization that holds without flapping.

The planner hands this module a workload's queue (concurrency, processing time, objective),
its fleet bounds and schedule, and its design traffic; it simulates the standard diurnal day
and spike (capacity/scenarios.py) for each candidate utilization, highest (cheapest) first,
and keeps the first that holds the objective in both without flapping. Results are cached:
the partitions of one workload are the same question asked several times.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from capacity import limits
from capacity import scenarios as sc


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
class Settled:
    """The utilization chosen, how many candidates were tried, and what the chosen one did."""

    utilization: float
    tried: int
    held: bool
    task_hours: float
    max_age_seconds: float
    task_launches: int
    scenarios: str


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


def _run(p: Probe, utilization: float):
    from capacity.simulate import QueueModel, Settings, TargetTrackingFleet, simulate  # it imports the plan's models

    model = QueueModel("probe", p.processing_seconds, p.concurrency_per_task, p.max_age_seconds,
                       processing_p99_seconds=p.processing_p99_seconds)
    fleet = TargetTrackingFleet(
        min_capacity=p.min_capacity,
        max_capacity=p.max_capacity,
        target_backlog_per_task=round(p.concurrency_per_task * utilization, 3),
        scale_out_cooldown_seconds=p.scale_out_cooldown_seconds,
        scale_in_cooldown_seconds=p.scale_in_cooldown_seconds,
        schedule=p.schedule,
    )
    results = []
    for scenario in probe_scenarios(p):
        result = simulate(model, fleet, scenario)
        results.append(result)
        if not result.objective_met:
            return "objective", results
    day = results[-1]
    if flaps_in_day(day.task_launches, day.smallest_fleet, day.largest_fleet):
        return "flaps", results
    # The same day with Poisson arrivals and processing times to the p99: noise must not make it flap.
    noisy = simulate(model, fleet, probe_scenarios(p)[-1], Settings(random_seed=limits.SETTLE_NOISE_SEED))
    if not noisy.objective_met or flaps_in_day(noisy.task_launches, noisy.smallest_fleet, noisy.largest_fleet):
        return "noise", results
    return "", results


@lru_cache(maxsize=256)
def settle(p: Probe, candidates: tuple[float, ...] = limits.RESTING_UTILIZATION_CANDIDATES) -> Settled:
    """The highest candidate utilization (fewest task-hours) that holds the objective without flapping.

    A candidate that misses the objective, or flaps only once arrivals and processing times are
    random (metric noise crossing a target with too little room), makes way for more headroom
    (a lower one); one that flaps in the deterministic day ends the search, since more headroom does not stop a fleet cycling (the caller then
    changes min capacity), and the highest candidate is reported as not held.
    """
    ordered = sorted(candidates, reverse=True)
    if p.min_capacity >= p.max_capacity and not p.schedule:
        return Settled(ordered[0], 0, True, 0.0, 0.0, 0, "no scenario: min = max, the fleet cannot move")
    tried = 0
    results: list = []
    for utilization in ordered:
        tried += 1
        failure, results = _run(p, utilization)
        if not failure:
            return Settled(
                utilization, tried, True, sum(r.task_hours for r in results),
                max(r.max_age_seconds for r in results), results[-1].task_launches,
                f"diurnal and spike (and the day again with Poisson arrivals and p99 processing times, seed "
                f"{limits.SETTLE_NOISE_SEED})",
            )
        if failure == "flaps":
            return Settled(ordered[0], tried, False, sum(r.task_hours for r in results),
                           max(r.max_age_seconds for r in results), results[-1].task_launches, "diurnal and spike")
    return Settled(ordered[-1], tried, False, sum(r.task_hours for r in results),
                   max(r.max_age_seconds for r in results), results[-1].task_launches, "diurnal and spike")
