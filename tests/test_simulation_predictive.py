"""capacity.simulation_predictive: predictive scaling simulated as floors learned from history, against the plan's."""

from __future__ import annotations

import pytest

from capacity.simulation_predictive import (
    compare_predictive,
    design_hours,
    drifted,
    learned_hours,
    predictive_schedule,
)
from capacity.stacks import load_stack


@pytest.fixture(scope="module")
def track_points():
    return load_stack("track-points").plan.workloads[0]


def test_the_learned_forecast_is_the_actual_day_within_the_history_noise(track_points):
    actual = design_hours(track_points)
    forecast = learned_hours(actual, seed=3)
    assert max(abs(f / a - 1) for f, a in zip(forecast, actual)) < 0.03


def test_a_drifted_day_is_busier_and_later():
    hours = tuple(float(h) for h in range(24))
    assert drifted(hours, growth=2, shift=1)[5] == 8.0 and drifted(hours, growth=2, shift=1)[0] == 46.0


def test_each_hours_floor_covers_its_forecast_at_the_target_and_starts_a_buffer_early(track_points):
    forecast = tuple(100.0 if h == 8 else 0.0 for h in range(24))
    schedule = dict(predictive_schedule(track_points, forecast, buffer_seconds=300))
    per_task = track_points.per_task_messages_per_second * track_points.scaling.target_utilization
    assert schedule[8 * 3600 - 300] == max(track_points.min_capacity, -(-100 // per_task))
    assert schedule[(0 * 3600 - 300) % 86_400] == track_points.min_capacity
    assert len(schedule) == 24


def test_on_track_points_the_profiles_floors_suffice_and_on_a_drifted_day_the_learned_ones_are_worth_it(track_points):
    as_described, drifted_day = compare_predictive(track_points)
    own, learned, alone = as_described.results
    assert own.max_age_seconds <= 0.8 * track_points.max_age_seconds
    own, learned, alone = drifted_day.results
    assert learned.max_age_seconds < 0.8 * track_points.max_age_seconds < own.max_age_seconds
    assert learned.task_hours < own.task_hours
    assert alone.minutes_over_objective > 0


def test_on_seed_004_neither_floors_nor_forecast_change_a_fleet_that_rests_at_the_average():
    events = load_stack("event-backlog").plan.workloads[0]
    for day in compare_predictive(events):
        own, learned, _ = day.results
        assert own.max_age_seconds == learned.max_age_seconds < events.max_age_seconds
        assert learned.task_hours == pytest.approx(own.task_hours, rel=0.01)
