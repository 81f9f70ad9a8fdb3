"""A static fleet where it holds for fewer task-hours than target tracking: long objectives, checked on unseen seeds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity import scenarios as sc
from capacity.plan import plan
from capacity.simulate import Settings, StaticFleet, simulate
from capacity.plan.static_fleet import recovery
from capacity.simulation_inputs import model_from_plan, plan_fleet
from tests.factories import make_profile, plan_one
from tests.tiers import examples

# tests/factories.py's SQS workload: 10 msg/s on average (20 at the peak, 5 at the trough), 2 msg/s a task.
DAY_HOURS = limits.HOURS_PER_DAY


def test_a_24_hour_objective_runs_the_fewest_static_tasks_that_hold_when_they_cost_less():
    w = plan_one(objective__max_age_seconds=86_400)
    # 6 tasks clear 12 msg/s: the busy hours build a backlog that the night drains, within 24 h.
    assert (w.min_capacity, w.max_capacity) == (6, 6)
    assert w.scaling.scheduled_capacity == () and w.scaling.deploy_min_capacity is None
    why = w.reasons["min_capacity"]
    assert why.startswith("6 = a static fleet (min = max)")
    assert "144 task-hours a day against 165.5 for target tracking" in why
    assert "see min_capacity" in w.reasons["max_capacity"]
    assert "the target never moves it" in w.reasons["target_backlog_per_task"]
    assert w.alarms.max_tasks is None  # a fleet that never moves is never "at max" for a reason worth a page
    assert w.alarms.age_seconds == 86_400


def test_the_static_fleet_holds_on_seeds_and_days_it_was_not_chosen_on_and_one_task_fewer_does_not():
    w = plan_one(objective__max_age_seconds=86_400)
    model = model_from_plan(w)
    fleet = plan_fleet(w)
    assert (fleet.min_capacity, fleet.max_capacity) == (6, 6)
    shape = (w.arrival_average_per_second, w.arrival_peak_per_second, w.arrival_trough_per_second, None)
    three_days = sc.design_day(*shape, days=3.0)
    for seed in (9, 10, 11):
        result = simulate(model, fleet, three_days, Settings(random_seed=seed))
        assert result.objective_met, (seed, result.max_age_seconds)
    def left_after(tasks: int, days: float) -> float:
        return simulate(model, StaticFleet(tasks), sc.design_day(*shape, days=days), Settings()).messages_left

    # 6 tasks carry the same backlog over every midnight. 5 (10 msg/s, the average) never clear what the first
    # day left: with any noise that carry-over wanders without bound, so the search starts above the average.
    assert abs(left_after(6, 3.0) - left_after(6, 2.0)) <= 12
    assert left_after(5, 1.0) == left_after(5, 2.0) == left_after(5, 3.0) > left_after(6, 2.0)


def test_a_static_fleet_must_also_drain_an_hours_outage_at_the_peak_within_the_day_allowed():
    # 20 msg/s for an hour is 72,000 waiting; draining them in 24 h beside 10 msg/s needs more than 10.83 msg/s.
    drained = recovery(average=10.0, peak=20.0, backlog=0, per_task=2.0, allowed_seconds=86_400)
    assert (drained.tasks, drained.waiting_messages, drained.what) == (6, 72_000, "a 60 min outage at the peak")
    assert recovery(10.0, 20.0, 2_000_000, 2.0, 86_400).tasks == 17  # the profile's own backlog instead
    # A workload at 11.6 msg/s a day (peak 23.2) needs 7: six tasks' 12 msg/s would take 2.4 days to drain.
    w = plan_one(objective__max_age_seconds=86_400, traffic__messages_per_day=1_002_240)
    assert w.min_capacity == w.max_capacity and w.min_capacity >= 7


def test_an_objective_too_short_for_the_backlog_to_absorb_the_busy_hours_keeps_target_tracking():
    w = plan_one(objective__max_age_seconds=3_600)
    assert w.min_capacity < w.max_capacity
    assert "static fleet" not in w.reasons["min_capacity"]


def test_a_static_fleet_is_not_chosen_over_min_capacity_the_user_set():
    w = plan_one(objective__max_age_seconds=86_400, overrides__min_capacity=1)
    assert (w.min_capacity, w.max_capacity) != (6, 6) and w.min_capacity == 1


def test_a_backlog_to_drain_counts_the_tasks_that_drain_it_so_target_tracking_wins():
    # 2M waiting, drained within 24 h beside 10 msg/s, needs 17 tasks: 17 static cost more than target tracking.
    w = plan_one(objective__max_age_seconds=86_400, traffic__backlog_messages=2_000_000)
    assert w.min_capacity < w.max_capacity


def test_the_monthly_cost_bills_the_static_fleet_around_the_clock():
    static = plan_one(objective__max_age_seconds=86_400)
    # Target tracking with the user's min and target, billed hour by hour: about 8.3 tasks on average.
    scaled = plan_one(objective__max_age_seconds=86_400, overrides__min_capacity=0, overrides__target_backlog_per_task=1.2)
    assert "6 average tasks (min = max = 6: the fleet never moves) x 730 h" in static.reasons["monthly_cost_usd"]
    assert static.monthly_cost_usd < scaled.monthly_cost_usd


@st.composite
def long_objective_profiles(draw):
    """SQS workloads whose objective outlasts the autoscaler's reaction, small enough to simulate for days."""
    processing = draw(st.floats(min_value=0.01, max_value=30))
    return make_profile({
        "name": "w",
        "broker": "sqs",
        "traffic": {
            "messages_per_day": draw(st.floats(min_value=1_000, max_value=1e6)),
            "peak_to_average": draw(st.floats(min_value=1.2, max_value=6)),
            "trough_to_average": draw(st.floats(min_value=0, max_value=0.9)),
            "message_bytes": 1024,
        },
        "consumer": {
            "processing_seconds": processing,
            "processing_p99_seconds": processing * draw(st.floats(min_value=1, max_value=5)),
            "concurrency_per_task": draw(st.integers(min_value=1, max_value=16)),
            "receive_batch": 10,
            "image": "w:1",
        },
        "objective": {"max_age_seconds": draw(st.floats(min_value=600, max_value=3 * 86_400))},
    }, environment="prod")


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(long_objective_profiles())
def test_a_chosen_static_fleet_holds_three_days_on_seeds_it_was_not_chosen_on_and_the_verifiers_peak(profile):
    (w,) = plan(profile).workloads
    if "a static fleet (min = max)" not in w.reasons["min_capacity"]:
        event("target tracking")
        return
    event("a static fleet")
    assert w.feasible and w.min_capacity == w.max_capacity
    assert w.max_capacity * w.per_task_messages_per_second > w.arrival_average_per_second
    model, fleet = model_from_plan(w), plan_fleet(w)
    shape = (w.arrival_average_per_second, w.arrival_peak_per_second, w.arrival_trough_per_second, None)
    for seed in (9, 10):
        result = simulate(model, fleet, sc.design_day(*shape, days=3.0), Settings(random_seed=seed))
        assert result.objective_met, (seed, result.max_age_seconds, w.max_age_seconds)
    peak_hours = (limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS) / limits.SECONDS_PER_DAY
    at_peak = simulate(model, fleet, sc.constant(w.arrival_peak_per_second, peak_hours), Settings(random_seed=9))
    assert at_peak.objective_met, (at_peak.max_age_seconds, w.max_age_seconds)
    # And it recovers from an hour's outage at the peak within the day allowed, as --verify's drain checks.
    outage = sc.drain(w.arrival_peak_per_second * limits.DRAIN_OUTAGE_SECONDS, w.arrival_average_per_second, days=1.2)
    drained = simulate(model, fleet, outage, Settings(queue_model="fluid"))
    assert drained.drain_seconds is not None and drained.drain_seconds <= limits.SECONDS_PER_DAY
