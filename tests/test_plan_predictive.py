"""capacity/plan/predictive.py: the predictive policy a profile asks for, its target, and when it is worth it."""

from __future__ import annotations

from pathlib import Path

import yaml

from capacity.plan import plan
from capacity.profile import load_profile, parse_profile

EDGE = Path(__file__).parent / "profiles" / "edge-predictive.yaml"


def lane_of(data: dict):
    (lane,) = plan(parse_profile(data)).workloads
    return lane


def edge() -> dict:
    return yaml.safe_load(EDGE.read_text())


def test_the_target_is_a_tasks_messages_a_minute_at_the_chosen_utilization_and_the_mode_is_the_apis():
    (lane,) = plan(load_profile(EDGE)).workloads
    predictive = lane.scaling.predictive
    assert predictive.mode == "ForecastAndScale"
    expected = round(lane.per_task_messages_per_second * lane.scaling.target_utilization * 60, 4)
    assert predictive.target_messages_per_task_per_minute == expected
    assert lane.reasons["predictive"].startswith("ForecastAndScale: launch 5 min before each forecast hour")  # its scheduling_buffer_seconds: 300


def test_with_a_daily_shape_and_a_short_objective_floors_suffice_while_the_days_repeat_it():
    reason = lane_of(edge()).reasons["predictive"]
    assert "They suffice while the days repeat the shape" in reason and "spread of days within 10%" in reason
    assert reason.endswith("since it follows the last 14 days instead")


def test_without_a_daily_shape_a_short_objective_makes_predictive_worth_it():
    data = edge()
    del data["workloads"][0]["traffic"]["daily_shape"]
    data["workloads"][0]["traffic"].setdefault("peak_to_average", 2)
    assert "predictive scaling learns the shape itself (after 24 h of history) and is worth it" in (
        lane_of(data).reasons["predictive"])


def test_an_objective_longer_than_the_reaction_leaves_target_tracking_alone_enough():
    data = edge()
    data["workloads"][0]["objective"]["max_age_seconds"] = 3_600
    assert "so target tracking alone keeps up" in lane_of(data).reasons["predictive"]


def test_a_profile_that_asks_for_none_gets_no_predictive_policy():
    data = edge()
    del data["workloads"][0]["autoscaling"]
    lane = lane_of(data)
    assert lane.scaling.predictive is None and "predictive" not in lane.reasons
