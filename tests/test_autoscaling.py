"""capacity/plan/autoscaling.py: a target with a resting point, min capacity, the schedule of tight objectives."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.autoscaling import (
    reaction_seconds,
    resting_point_problem,
    resting_target,
    schedule_actions,
    scheduled_floors,
)
from capacity.plan.settle import flaps_at_constant
from capacity.simulate import QueueModel, TargetTrackingFleet, simulate


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    concurrency=st.integers(min_value=1, max_value=10),
    processing_seconds=st.floats(min_value=0.05, max_value=5.0),
    utilization=st.sampled_from(limits.RESTING_UTILIZATION_CANDIDATES),
    tasks_busy=st.floats(min_value=0.5, max_value=40.0),
)
def test_the_resting_target_settles_at_every_constant_rate(concurrency, processing_seconds, utilization, tasks_busy):
    # Given a rate that keeps `tasks_busy` tasks' worth of slots busy, and room to scale
    mu = concurrency / processing_seconds
    rate = tasks_busy * mu
    rest = math.ceil(rate * processing_seconds / resting_target(concurrency, utilization))
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=rest + 10,
                                target_backlog_per_task=resting_target(concurrency, utilization))
    model = QueueModel("q", processing_seconds, concurrency, max_age_seconds=3600)
    days = (limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS) / limits.SECONDS_PER_DAY
    # When it runs at that rate for the settling hour and six more
    result = simulate(model, fleet, sc.constant(rate, days))
    # Then after the first hour it takes at most 2 scaling actions, and keeps up: nothing piles up
    assert not flaps_at_constant(result.action_seconds)
    settled = result.timeline.backlog_messages[limits.FLAP_SETTLE_SECONDS // 60:]
    assert settled.max() < max(2.0, rate * 2)  # at most a couple of seconds of arrivals wait
    assert np.rint(result.timeline.tasks[-1]) * mu >= rate


def test_a_target_at_or_above_the_concurrency_has_no_resting_point_and_below_it_has_one():
    assert resting_point_problem(0.9, 1) is None
    assert "no resting point" in resting_point_problem(76, 1)
    assert "no resting point" in resting_point_problem(4, 4)
    assert resting_target(4, 0.9) == 3.6


def test_the_old_backlog_target_flaps_where_the_resting_target_settles():
    # Seed 004's flat day: the old target c + A x mu x 0.5 = 76 swings the fleet; 0.9 holds it still.
    model = QueueModel("events", 2.0, 1, 300)
    day = sc.constant(6.94, 1)
    old = simulate(model, TargetTrackingFleet(7, 19, 76), day)
    new = simulate(model, TargetTrackingFleet(7, 19, resting_target(1, 0.9)), day)
    assert flaps_at_constant(old.action_seconds) and old.task_launches > 600
    assert not flaps_at_constant(new.action_seconds) and new.task_launches <= 4
    assert new.task_hours < old.task_hours * 1.05 and new.max_age_seconds < 10 < old.max_age_seconds


def test_scheduled_floors_cover_the_busier_of_each_hour_and_the_next():
    hourly = (1.0,) * 6 + (10.0,) * 12 + (1.0,) * 6
    floors = scheduled_floors(hourly, mu=2.0, max_capacity=50)
    # ceil(10 / (2 x 0.9)) = 6 from the hour before the busy hours to their last; 1 outside
    assert floors == (1,) * 5 + (6,) * 13 + (1,) * 6
    actions = schedule_actions(floors, "Europe/Paris")
    assert [(a.hour, a.min_capacity, a.cron, a.time_zone) for a in actions] == [
        (5, 6, "cron(0 5 * * ? *)", "Europe/Paris"), (18, 1, "cron(0 18 * * ? *)", "Europe/Paris")]
    assert scheduled_floors(hourly, mu=2.0, max_capacity=4)[10] == 4  # never above max capacity


def test_the_reaction_is_three_datapoints_the_metric_delay_and_a_task_start():
    assert reaction_seconds() == 3 * 60 + 60 + 60
