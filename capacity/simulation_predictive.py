"""Predictive scaling in the simulator: floors forecast from learned history, against the plan's scheduled floors.

The simulator knows no forecasts, so predictive scaling enters as what it does: before each hour
(by the policy's scheduling buffer) it raises the fleet to the tasks the forecast of that hour
needs at the target utilization. The forecast is what capacity/learning.py learns from 14 days of
the queue's hourly counts (the days that actually came, with their noise); the plan's scheduled
floors come from the profile's daily_shape. `compare_predictive` runs both, and target tracking
alone, on a day as the profile describes it and on a day that came differently (busier and later
than the profile says), so the figures show when the profile's floors suffice and when the
learned ones are worth it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from capacity import limits
from capacity import scenarios as sc
from capacity.learning import History, learn
from capacity.plan import WorkloadPlan
from capacity.simulate import Settings, SimulationResult, TargetTrackingFleet, simulate
from capacity.simulation_inputs import model_from_plan, plan_fleet

HISTORY_DAYS = limits.PREDICTIVE_FORECAST_HISTORY_DAYS  # what Application Auto Scaling's forecast looks back on
HISTORY_NOISE = 0.05  # each past hour off by up to 5% either way
# The day that came differently: this much busier, its hours this much later than the profile says.
DRIFT_GROWTH = 1.3
DRIFT_SHIFT_HOURS = 1
HISTORY_START_EPOCH = 1_767_225_600  # 2026-01-01 00:00 UTC, a Thursday: any whole day would do


@dataclass(frozen=True)
class PredictiveComparison:
    """The fleets on one day: the plan's (scheduled floors), predictive (learned floors), tracking alone."""

    day: str
    results: tuple[SimulationResult, ...]


def design_hours(plan: WorkloadPlan) -> tuple[float, ...]:
    """The profile's day by hour: its daily shape, else the standard diurnal day's hourly means."""
    scaling = plan.scaling
    if scaling is not None and scaling.hourly_arrival_per_second is not None:
        return tuple(scaling.hourly_arrival_per_second)
    day = sc.diurnal(plan.arrival_average_per_second, plan.arrival_peak_per_second, plan.arrival_trough_per_second)
    per_hour = limits.SECONDS_PER_HOUR
    return tuple(float(day.arrivals_per_second[h * per_hour:(h + 1) * per_hour].mean())
                 for h in range(limits.HOURS_PER_DAY))


def drifted(hours: tuple[float, ...], growth: float = DRIFT_GROWTH, shift: int = DRIFT_SHIFT_HOURS) -> tuple[float, ...]:
    """The day busier by `growth` and `shift` hours later."""
    return tuple(growth * hours[(h - shift) % limits.HOURS_PER_DAY] for h in range(limits.HOURS_PER_DAY))


def learned_hours(actual: tuple[float, ...], seed: int = 0, days: int = HISTORY_DAYS) -> tuple[float, ...]:
    """Each hour's rate as capacity/learning.py learns it from `days` noisy days of `actual` (UTC hours)."""
    rng = random.Random(seed)
    counts = {}
    for day in range(days):
        for hour, rate in enumerate(actual):
            epoch = HISTORY_START_EPOCH + day * limits.SECONDS_PER_DAY + hour * limits.SECONDS_PER_HOUR
            counts[float(epoch)] = rate * limits.SECONDS_PER_HOUR * (1 + rng.uniform(-HISTORY_NOISE, HISTORY_NOISE))
    end = HISTORY_START_EPOCH + days * limits.SECONDS_PER_DAY
    learned = learn(History(HISTORY_START_EPOCH, end, counts), "UTC")
    if learned.hourly_multipliers is None or learned.average_messages_per_second is None:
        raise ValueError(f"nothing learned from {days} days: {'; '.join(learned.notes)}")
    return tuple(m * learned.average_messages_per_second for m in learned.hourly_multipliers)


def predictive_schedule(plan: WorkloadPlan, forecast: tuple[float, ...], buffer_seconds: int) -> tuple[tuple[int, int], ...]:
    """(second of the day, min capacity): each hour's forecast tasks at the target utilization, a buffer early."""
    assert plan.scaling is not None
    per_task = plan.per_task_messages_per_second * plan.scaling.target_utilization
    schedule = []
    for hour, rate in enumerate(forecast):
        tasks = min(plan.max_capacity, max(plan.min_capacity, math.ceil(rate / per_task - 1e-9)))
        schedule.append(((hour * limits.SECONDS_PER_HOUR - buffer_seconds) % limits.SECONDS_PER_DAY, tasks))
    return tuple(sorted(schedule))


def predictive_fleet(plan: WorkloadPlan, forecast: tuple[float, ...]) -> TargetTrackingFleet:
    """The plan's target tracking with the forecast's floors in place of its scheduled ones."""
    assert plan.scaling is not None
    predictive = plan.scaling.predictive
    buffer = predictive.scheduling_buffer_seconds if predictive else limits.PREDICTIVE_DEFAULT_SCHEDULING_BUFFER_SECONDS
    return replace(_tracking(plan), label="predictive (learned floors)",
                   schedule=predictive_schedule(plan, forecast, buffer))


def tracking_only(plan: WorkloadPlan) -> TargetTrackingFleet:
    """The plan's target tracking with no floors but its min capacity."""
    return replace(_tracking(plan), label="target tracking alone")


def _tracking(plan: WorkloadPlan) -> TargetTrackingFleet:
    own = plan_fleet(plan)
    assert isinstance(own, TargetTrackingFleet)
    return replace(own, min_capacity=plan.min_capacity, max_capacity=plan.max_capacity, schedule=())


def compare_predictive(plan: WorkloadPlan, seed: int = 0) -> list[PredictiveComparison]:
    """The three fleets on the profile's day and on a drifted one, predictive learning each from its own history."""
    if plan.scaling is None:
        raise ValueError(f"{plan.name}: {plan.broker} {plan.mode} has no autoscaling to compare")
    model = model_from_plan(plan)
    comparisons = []
    profile_day = design_hours(plan)
    days = (("the day the profile describes", profile_day),
            (f"a day {DRIFT_GROWTH:g}x busier, {DRIFT_SHIFT_HOURS} h later", drifted(profile_day)))
    for label, actual in days:
        scenario = sc.shaped_day(actual)
        fleets = (plan_fleet(plan), predictive_fleet(plan, learned_hours(actual, seed)), tracking_only(plan))
        settings = Settings(random_seed=seed + 1)  # Poisson arrivals: a fleet allowed to rest low meets bursts
        comparisons.append(PredictiveComparison(label, tuple(simulate(model, f, scenario, settings) for f in fleets)))
    return comparisons
