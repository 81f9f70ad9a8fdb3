"""The doctor's arithmetic over plain facts: rates, trends, drain ETA, messages at risk, tasks needed."""

from __future__ import annotations

import math

import pytest

from qcap.live import drain
from qcap.live.facts import Series

START, END = 0.0, 3600.0


def flat(per_minute: float, minutes: int = 60) -> Series:
    return tuple((START + 60 * m, per_minute) for m in range(minutes))


def test_series_rate_is_the_sum_over_the_window_length():
    assert drain.series_rate_per_second(flat(450), START, END) == pytest.approx(7.5)
    assert drain.series_rate_per_second((), START, END) == 0.0


def test_trend_is_rising_when_the_second_half_exceeds_the_first_by_more_than_the_tolerance():
    series = tuple((START + 60 * m, 100.0 if m < 30 else 120.0) for m in range(60))
    t = drain.trend(series, START, END)
    assert (t.first_half_per_second, t.second_half_per_second, t.direction) == (
        pytest.approx(100 / 60), pytest.approx(2.0), "rising")
    assert drain.trend(flat(100), START, END).direction == "steady"
    falling = tuple((START + 60 * m, 100.0 if m < 30 else 50.0) for m in range(60))
    assert drain.trend(falling, START, END).direction == "falling"


def test_drain_eta_is_backlog_over_net_outflow_and_never_when_inflow_keeps_up():
    # seed 004 with 15 tasks: 2,800,000 / (7.5 - 6.9444) = 5,040,000 s
    assert drain.drain_eta_seconds(2_800_000, 600_000 / 86_400, 7.5) == pytest.approx(5_040_000)
    assert math.isinf(drain.drain_eta_seconds(2_800_000, 6.94, 2.0))
    assert math.isinf(drain.drain_eta_seconds(10, 5.0, 5.0))
    assert drain.drain_eta_seconds(0, 5.0, 1.0) == 0.0


def test_clear_time_is_the_eta_when_draining_littles_law_when_steady_and_never_when_growing():
    assert drain.clear_seconds(100, 1.0, 2.0) == pytest.approx(100)  # 100 / (2 - 1)
    assert drain.clear_seconds(100, 10.0, 9.5) == pytest.approx(100 / 9.5)  # within 10%: steady
    assert math.isinf(drain.clear_seconds(100, 10.0, 8.0))


def test_messages_at_risk_are_none_when_the_oldest_plus_the_clear_time_fit_retention():
    assert drain.messages_at_risk(1000, oldest_age_seconds=3600, clear_in_seconds=7200, retention_seconds=345_600) == 0


def test_messages_at_risk_are_the_share_older_than_retention_minus_clear_time():
    # older than 345,600 - 172,800 = 172,800 s; ages spread to 259,200: 100,000 x 86,400 / 259,200
    assert drain.messages_at_risk(100_000, 259_200, 172_800, 345_600) == 33_334


def test_messages_at_risk_are_all_of_them_when_the_backlog_never_clears_or_outlasts_retention():
    assert drain.messages_at_risk(500, 60, math.inf, 345_600) == 500
    assert drain.messages_at_risk(2_800_000, 86_400, 5_040_000, 1_123_200) == 2_800_000


def test_tasks_needed_for_seed_004_are_18_to_keep_up_and_20_to_clear_before_expiry():
    t = drain.tasks_needed(600_000 / 86_400, 2_800_000, 86_400, 1_123_200, 300, 0.5)
    # keep up: ceil(6.9444 / (0.5 x 0.8)) = 18; drain: ceil((6.9444 + 2,800,000 / 1,036,800) / 0.5) = 20
    assert (t.keep_up, t.drain, t.drain_budget_seconds, t.needed) == (18, 20, 1_036_800, 20)


def test_tasks_needed_drain_budget_is_never_shorter_than_the_objective():
    t = drain.tasks_needed(0.0, 600, oldest_age_seconds=400_000, retention_seconds=345_600, max_age_seconds=300,
                            per_task_messages_per_second=1.0)
    assert (t.drain_budget_seconds, t.drain) == (300, 2)  # ceil(600 / 300 / 1)


def test_tasks_needed_are_zero_for_an_idle_empty_queue():
    assert drain.tasks_needed(0.0, 0, 0, 345_600, 900, 20).needed == 0


def test_dlq_growth_is_now_minus_the_window_start():
    assert drain.dlq_growth(((0.0, 10.0), (60.0, 25.0)), now=40).growth == 30
    assert drain.dlq_growth((), now=7).growth == 0
