"""capacity/plan/autoscaling.py: a target with a resting point, min capacity, the schedule of tight objectives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.autoscaling import (
    floor_schedules,
    reaction_seconds,
    resting_point_problem,
    resting_target,
    schedule_actions,
    schedule_candidates,
    scheduled_floors,
)
from capacity.plan.settle import flaps_at_constant
from capacity.simulate import QueueModel, TargetTrackingFleet, simulate
from tests.factories import SQS_WORKLOAD, plan_one
from tests.tiers import examples

# Seed 003's jobs partition (stacks/job-queues.yaml): New York business hours, msg/s by local hour.
JOBS_HOURLY = tuple(round(2_000_000 / 86_400 / 4 * m / (23.99 / 24), 6) for m in (
    0.16, 0.16, 0.16, 0.16, 0.16, 0.25, 0.41, 0.82, 1.47, 2.13, 2.38, 2.29,
    1.97, 2.13, 2.29, 2.13, 1.64, 1.15, 0.74, 0.49, 0.33, 0.25, 0.16, 0.16))


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


def test_scheduled_floors_cover_the_busier_of_each_hour_and_the_next():
    hourly = (1.0,) * 6 + (10.0,) * 12 + (1.0,) * 6
    floors = scheduled_floors(hourly, mu=2.0, max_capacity=50, utilization=0.9)
    # ceil(10 / (2 x 0.9)) = 6 from the hour before the busy hours to their last; 1 outside
    assert floors == (1,) * 5 + (6,) * 13 + (1,) * 6
    actions = schedule_actions(floors, "Europe/Paris")
    assert [(a.hour, a.min_capacity, a.cron, a.time_zone) for a in actions] == [
        (5, 6, "cron(0 5 * * ? *)", "Europe/Paris"), (18, 1, "cron(0 18 * * ? *)", "Europe/Paris")]
    assert scheduled_floors(hourly, mu=2.0, max_capacity=4, utilization=0.9)[10] == 4  # never above max capacity


def test_the_reaction_is_three_datapoints_the_metric_delay_and_a_task_start():
    assert reaction_seconds() == 3 * 60 + 60 + 60


@pytest.mark.parametrize("mu", [8.0, 4 / 0.52, 4 / 0.53, 3.3])
def test_floor_schedules_are_every_schedule_between_90_and_40_percent_whatever_mu_is(mu):
    # Given the jobs day and a per-task rate (8 today; about 7.7 once the receive overhead counts)
    found = floor_schedules(JOBS_HOURLY, mu, 50, 0.9, 0.4)
    aheads = [max(r, JOBS_HOURLY[(h + 1) % 24]) for h, r in enumerate(JOBS_HOURLY)]
    # Then a fine scan of the utilizations finds none that the crossings missed
    scanned = {scheduled_floors(JOBS_HOURLY, mu, 50, 0.9 - i * 0.0001) for i in range(5_001)}
    assert scanned <= {floors for floors, _ in found}
    assert found[0][0] == scheduled_floors(JOBS_HOURLY, mu, 50, 0.9)
    for floors, busiest in found:
        # and each is a real schedule: some u in the range gives it (ceil(a / (mu u)) = f for every hour
        # exactly when a / (mu f) <= u < a / (mu (f - 1))), and says how busy its busiest hour runs
        lowest_u = max(a / (mu * f) for a, f in zip(aheads, floors))
        highest_u = min((a / (mu * (f - 1)) for a, f in zip(aheads, floors) if f > 1), default=math.inf)
        assert lowest_u < highest_u and lowest_u <= 0.9 and highest_u > 0.4
        assert busiest == lowest_u
    assert len({floors for floors, _ in found}) == len(found)


def test_a_limit_builds_only_the_schedules_with_the_fewest_tasks_even_for_thousands_of_tasks():
    everything = floor_schedules(JOBS_HOURLY, 8.0, 50, 0.9, 0.4)
    assert floor_schedules(JOBS_HOURLY, 8.0, 50, 0.9, 0.4, limit=5) == everything[:5]
    # 1,000 times the traffic: thousands of schedules between 90% and 40%, and the first 20 come at once
    big = tuple(r * 1000 for r in JOBS_HOURLY)
    first = floor_schedules(big, 8.0, 5000, 0.9, 0.4, limit=20)
    assert len(first) == 20 and first[0][0] == scheduled_floors(big, 8.0, 5000, 0.9)
    assert [sum(f) for f, _ in first] == sorted(sum(f) for f, _ in first)
    # each next schedule raises some hours (those whose rates cross together) and lowers none
    for (before, _), (after, _) in zip(first, first[1:]):
        assert all(b <= a for b, a in zip(before, after)) and before != after


def test_schedule_candidates_keep_one_utilization_at_90_percent_and_come_cheapest_first():
    candidates = schedule_candidates(JOBS_HOURLY, 8.0, 10)
    at_90 = scheduled_floors(JOBS_HOURLY, 8.0, 10, 0.9)
    # Every pair has the floors at 90% or the target at 90%; a pair with both lower is never estimated cheaper
    assert all(c.floors == at_90 or c.utilization == 0.9 for c in candidates)
    # every distinct schedule with the target at 0.9, and the 5 lower targets on the 90% floors
    assert len(candidates) == len(floor_schedules(JOBS_HOURLY, 8.0, 10, 0.9, 0.4)) + 5
    estimates = [c.estimate_task_hours for c in candidates]
    assert estimates == sorted(estimates)
    # The cheapest: every hour on the 90% floors (2 tasks from 07:00 to 17:00, 1 at night): 34 task-hours
    first = [(round(c.floor_utilization, 3), c.utilization, c.estimate_task_hours) for c in candidates[:5]]
    assert first == [(0.861, 0.9, 34.0), (0.832, 0.9, 36.0), (0.829, 0.9, 37.0), (0.861, 0.8, 38.0),
                     (0.771, 0.9, 40.0)]
    assert candidates[2].floors[6:19] == (1, 2, 2, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1)


SHAPE = {"time_zone": "Europe/London",
         "hourly_multipliers": [0.2] * 7 + [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0] + [0.2] * 6}


def test_a_tight_objective_with_a_daily_shape_gets_its_floors_and_target_chosen_together():
    plan = plan_one(SQS_WORKLOAD, objective__max_age_seconds=60, traffic__peak_to_average=2.2,
                    traffic__daily_shape=SHAPE)
    assert "chosen by simulation together with floors" in plan.reasons["target_backlog_per_task"]
    assert "chosen with the target by simulation" in plan.reasons["scheduled_capacity"]
    assert plan.min_capacity == min(a.min_capacity for a in plan.scheduled_capacity)


def test_with_the_target_overridden_the_floors_cover_each_hour_at_90_percent():
    # The floors were proved with the planner's own target; the user's keeps those that do not lean on it.
    plan = plan_one(SQS_WORKLOAD, objective__max_age_seconds=60, traffic__peak_to_average=2.2,
                    traffic__daily_shape=SHAPE, overrides={"target_backlog_per_task": 1.0})
    hourly = plan.hourly_arrival_per_second
    floors = scheduled_floors(hourly, plan.per_task_messages_per_second, plan.max_capacity, 0.9)
    assert plan.target_backlog_per_task == 1.0
    assert [(a.hour, a.min_capacity) for a in plan.scheduled_capacity] == [
        (h, f) for h, f in enumerate(floors) if f != floors[h - 1]]
