"""Monthly costs: a service is billed for the fleet its plan runs, as the simulated design day runs it."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.simulate import simulate
from capacity.simulation_inputs import model_from_plan, plan_fleet
from capacity.verify import standard_scenarios
from tests.factories import plan_one
from tests.tiers import examples

BERLIN_EVENING = {"time_zone": "Europe/Berlin",
                  "hourly_multipliers": [0.6] * 7 + [1.0] * 10 + [1.35] * 5 + [0.9] * 2}


def average_tasks_billed(w) -> float:
    """The average fleet the cost's reason bills for."""
    found = re.search(r"= ([\d.,]+) average tasks", w.reasons["monthly_cost_usd"])
    assert found, w.reasons["monthly_cost_usd"]
    return float(found.group(1).replace(",", ""))


def simulated_average_tasks(w) -> float:
    day = standard_scenarios(w, 86_400)[0]
    result = simulate(model_from_plan(w), plan_fleet(w), day)
    return result.task_hours / 24


def test_the_cost_bills_the_design_day_the_chosen_scaling_held_not_a_fixed_utilization():
    w = plan_one()
    assert w.scaling.target_utilization == 0.9
    # 10 msg/s on average at 2 msg/s a task: 5 busy tasks; the fleet the plan's scaling runs over the design
    # day (from min 3, with its scale-in band) is what is billed, not a fixed ceil(10 / (2 x 0.9)) = 6 all day.
    assert average_tasks_billed(w) == pytest.approx(simulated_average_tasks(w), abs=0.05)
    assert "simulated design day" in w.reasons["monthly_cost_usd"]


def test_a_target_the_user_chose_bills_each_hours_resting_fleet_under_that_target():
    w = plan_one(overrides={"target_backlog_per_task": 1.0})
    assert average_tasks_billed(w) == 10  # ceil(10 msg/s / (2 msg/s a task x 0.5 busy))
    assert "resting at utilization 0.5" in w.reasons["monthly_cost_usd"]


def test_a_scheduled_fleet_bills_each_hours_floor_or_resting_fleet():
    w = plan_one(traffic__daily_shape=BERLIN_EVENING, objective__max_age_seconds=90)
    assert w.scaling.scheduled_capacity, "a 90 s objective with a daily shape schedules its floors"
    assert average_tasks_billed(w) == pytest.approx(simulated_average_tasks(w), rel=0.1)


@pytest.mark.slow
@settings(max_examples=examples(8), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    per_day=st.sampled_from([20_000, 200_000, 864_000, 3_000_000]),
    peak=st.sampled_from([1.5, 2.0, 3.0]),
    processing=st.sampled_from([0.2, 1.0, 4.0]),
    concurrency=st.sampled_from([1, 4, 10]),
    objective=st.sampled_from([90, 300, 1800]),
    shaped=st.booleans(),
)
def test_the_billed_fleet_is_within_a_tenth_of_what_the_simulated_design_day_runs(
    per_day, peak, processing, concurrency, objective, shaped
):
    shape = {"traffic__daily_shape": BERLIN_EVENING} if shaped else {}
    w = plan_one(traffic__messages_per_day=per_day, traffic__peak_to_average=peak,
                 consumer__processing_seconds=processing, consumer__processing_p99_seconds=processing * 3,
                 consumer__concurrency_per_task=concurrency, objective__max_age_seconds=objective, **shape)
    if not w.feasible:
        return
    billed, simulated = average_tasks_billed(w), simulated_average_tasks(w)
    assert billed == pytest.approx(simulated, rel=0.1, abs=0.5), (billed, simulated, w.reasons["monthly_cost_usd"])
