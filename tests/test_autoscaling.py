"""capacity/plan/autoscaling.py: a target with a resting point, min capacity, the schedule of tight objectives."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.autoscaling import reaction_seconds, resting_point_problem, resting_target
from capacity.plan.floors import scheduled_floors
from capacity.plan.settle import flaps_at_constant
from capacity.simulate import QueueModel, TargetTrackingFleet, simulate
from tests.factories import SQS_WORKLOAD, plan_one
from tests.tiers import examples


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    concurrency=st.integers(min_value=1, max_value=10),
    processing_seconds=st.floats(min_value=0.05, max_value=5.0),
    utilization=st.sampled_from(limits.RESTING_UTILIZATION_CANDIDATES),
    tasks_busy=st.floats(min_value=0.5, max_value=60.0),
)
def test_the_resting_target_settles_at_every_constant_rate(concurrency, processing_seconds, utilization, tasks_busy):
    # Where the resting point is stable by arithmetic: resting at n = ceil(I / T) tasks (I in flight, T the
    # target), scale-in needs I / n below 0.9 T; since T n < I + T that cannot happen once I >= 9 T, and
    # SQS's whole-message counts (I off by up to 0.5) need 5 more. Smaller fleets can cycle on one task's
    # step (e.g. 3 <-> 2 tasks at 5.5 in flight on a target of 2.5); the planner simulates those
    # workloads' own numbers and picks more headroom or a resting min (capacity/plan/settle.py).
    assume(tasks_busy * concurrency >= 9 * resting_target(concurrency, utilization) + 5)
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


def test_the_reaction_is_three_datapoints_the_metric_delay_and_a_task_start():
    assert reaction_seconds() == 3 * 60 + 60 + 60


SHAPE = {"time_zone": "Europe/London",
         "hourly_multipliers": [0.2] * 7 + [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0] + [0.2] * 6}


def test_a_tight_objective_with_a_daily_shape_gets_its_floors_and_target_chosen_together():
    plan = plan_one(SQS_WORKLOAD, objective__max_age_seconds=60, traffic__peak_to_average=2.2,
                    traffic__daily_shape=SHAPE)
    assert "chosen by simulation together with floors" in plan.reasons["target_backlog_per_task"]
    assert "chosen with the target by simulation" in plan.reasons["scheduled_capacity"]
    assert plan.min_capacity == min(a.min_capacity for a in plan.scaling.scheduled_capacity)


def test_with_the_target_overridden_the_floors_cover_each_hour_at_90_percent():
    # The floors were proved with the planner's own target; the user's keeps those that do not lean on it.
    plan = plan_one(SQS_WORKLOAD, objective__max_age_seconds=60, traffic__peak_to_average=2.2,
                    traffic__daily_shape=SHAPE, overrides={"target_backlog_per_task": 1.0})
    hourly = plan.hourly_arrival_per_second
    floors = scheduled_floors(hourly, plan.per_task_messages_per_second, plan.max_capacity, 0.9)
    assert plan.scaling.target_backlog_per_task == 1.0
    assert [(a.hour, a.min_capacity) for a in plan.scaling.scheduled_capacity] == [
        (h, f) for h, f in enumerate(floors) if f != floors[h - 1]]
