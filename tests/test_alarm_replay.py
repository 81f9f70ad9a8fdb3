"""The plan's alarms replayed on simulated runs: none pages while the objective holds, on generated profiles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity import scenarios as sc
from capacity.alarm_replay import pages
from capacity.simulate import simulate
from capacity.simulation_inputs import model_from_plan, plan_fleet
from capacity.verify import standard_scenarios
from tests.factories import plan_one
from tests.tiers import examples

# Constant traffic at these fractions of the peak, as the churn checks run it, beside the day and the spike.
CONSTANT_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
CONSTANT_DAYS = 6 / 24


def _runs(w):
    model, fleet = model_from_plan(w), plan_fleet(w)
    day, spike = standard_scenarios(w, 86_400)[:2]
    constant = [sc.constant(w.arrival_peak_per_second * f, days=CONSTANT_DAYS) for f in CONSTANT_FRACTIONS]
    return [(s.name, simulate(model, fleet, s)) for s in (day, spike, *constant)]


def _with(result, **series):
    """The run with some of its per-minute series replaced."""
    timeline = result.timeline.__class__(**{**result.timeline.__dict__, **series})
    return result.__class__(**{**result.__dict__, "timeline": timeline})


def test_a_fleet_at_max_for_half_an_hour_with_old_messages_pages_and_a_shorter_stay_does_not():
    w = plan_one()
    result = _runs(w)[0][1]  # the diurnal day: at night the fleet is well under max
    ages = result.timeline.max_age_seconds.copy()
    ages[100:130] = w.alarms.max_tasks_age_seconds + 1
    pinned = result.timeline.tasks.copy()
    pinned[100:130] = w.max_capacity
    brief = result.timeline.tasks.copy()
    brief[100:129] = w.max_capacity
    assert [(p.alarm, p.minute) for p in pages(w, _with(result, tasks=pinned, max_age_seconds=ages))] == [
        ("max-tasks", 129)]
    assert pages(w, _with(result, tasks=brief, max_age_seconds=ages)) == []


def test_a_fleet_at_max_for_an_hour_that_keeps_messages_young_does_not_page():
    w = plan_one()
    result = _runs(w)[-1][1]
    pinned = result.timeline.tasks.copy()
    pinned[100:160] = w.max_capacity
    ages = np.minimum(result.timeline.max_age_seconds, w.alarms.max_tasks_age_seconds)
    assert pages(w, _with(result, tasks=pinned, max_age_seconds=ages)) == []


def test_a_spike_drained_at_the_ceiling_well_inside_a_half_hour_objective_pages_nobody():
    # Found by replaying generated profiles: from a trough of 0.1 x the average to a 1.5 x peak, the fleet sits
    # at max for 34 minutes while its oldest message peaks near 5 minutes of a 30-minute objective. (The
    # planner now chooses 0.8 and max 74 for it, at max for 27 minutes; the setting it found is pinned.)
    w = plan_one(traffic__messages_per_day=3_000_000, traffic__peak_to_average=1.5, traffic__trough_to_average=0.1,
                 consumer__processing_seconds=4.0, consumer__processing_p99_seconds=12.0,
                 consumer__concurrency_per_task=4, objective__max_age_seconds=1800,
                 overrides={"target_backlog_per_task": 3.6, "max_capacity": 66})
    name, spike = _runs(w)[1]
    assert name == "spike" and spike.objective_met
    at_max = int((spike.timeline.tasks >= w.max_capacity).sum())
    assert at_max >= limits.MAX_TASKS_ALARM_MINUTES
    assert pages(w, spike) == []


def test_an_age_over_the_alarm_for_three_minutes_pages():
    w = plan_one()
    result = _runs(w)[0][1]
    ages = np.zeros_like(result.timeline.max_age_seconds)
    ages[10:13] = w.alarms.age_seconds + 1
    fired = pages(w, _with(result, max_age_seconds=ages))
    assert [(p.alarm, p.minute) for p in fired] == [("age", 12)]


def test_min_equal_to_max_has_no_tasks_at_max_alarm_and_says_why():
    w = plan_one(overrides={"min_capacity": 13, "max_capacity": 13})
    assert w.alarms.max_tasks is None
    assert w.reasons["alarm_max_tasks"].startswith("none: min = max = 13")


@pytest.mark.slow
@settings(max_examples=examples(8), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    per_day=st.sampled_from([20_000, 200_000, 864_000, 3_000_000]),
    peak=st.sampled_from([1.5, 2.0, 3.0, 4.0]),
    trough=st.sampled_from([0.0, 0.2, 0.5]),
    processing=st.sampled_from([0.2, 1.0, 1.5, 4.0]),
    concurrency=st.sampled_from([1, 2, 4, 10]),
    objective=st.sampled_from([60, 300, 600, 1800]),
)
def test_no_alarm_pages_in_the_standard_scenarios_while_the_objective_holds(
    per_day, peak, trough, processing, concurrency, objective
):
    w = plan_one(traffic__messages_per_day=per_day, traffic__peak_to_average=peak, traffic__trough_to_average=trough,
                 consumer__processing_seconds=processing, consumer__processing_p99_seconds=processing * 3,
                 consumer__concurrency_per_task=concurrency, objective__max_age_seconds=objective)
    if not w.feasible or any(f.limit == "peak resting fleet" for f in w.warnings):
        return  # a capped fleet is told to sit at its ceiling; the plan says so in its findings
    for name, result in _runs(w):
        if result.objective_met:
            assert pages(w, result) == [], (name, w.min_capacity, w.max_capacity, w.reasons["max_capacity"])
