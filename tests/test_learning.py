"""capacity.learning: the traffic and the workers estimated from a queue's history, or a clear "too little data"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from capacity.learning import History, WorkerStats, learn, percentile
from tests.learning_history import (
    SHAPE,
    TIME_ZONE,
    WEEKDAY_MESSAGES_PER_DAY,
    WEEKEND_FACTOR,
    Synthetic,
    synthetic,
)


def history_of(s: Synthetic, **extra) -> History:
    return History(s.start.timestamp(), s.end.timestamp(), s.hours(), s.minutes, **extra)


@pytest.fixture(scope="module")
def fortnight() -> Synthetic:
    return synthetic()


def test_the_hourly_shape_is_recovered_within_ten_percent_each_hour(fortnight):
    learned = learn(history_of(fortnight), TIME_ZONE)
    errors = [abs(o / t - 1) for o, t in zip(learned.hourly_multipliers, Synthetic.true_shape())]
    assert len(errors) == 24 and max(errors) < 0.10


def test_the_rates_are_recovered_within_five_percent(fortnight):
    learned = learn(history_of(fortnight), TIME_ZONE)
    assert learned.messages_per_day == pytest.approx(WEEKDAY_MESSAGES_PER_DAY, rel=0.05)
    assert learned.weekend_messages_per_day == pytest.approx(WEEKDAY_MESSAGES_PER_DAY * WEEKEND_FACTOR, rel=0.05)
    busiest_rate = max(Synthetic.true_shape()) * WEEKDAY_MESSAGES_PER_DAY / 86_400
    assert learned.peak_messages_per_second == pytest.approx(busiest_rate, rel=0.05)
    quietest_weekend = min(Synthetic.true_shape()) * WEEKEND_FACTOR
    assert learned.trough_to_average == pytest.approx(quietest_weekend, rel=0.05)


def test_the_weekend_dip_is_planned_apart_and_said(fortnight):
    learned = learn(history_of(fortnight), TIME_ZONE)
    assert learned.weekend_differs
    assert any("weekends differ" in n for n in learned.notes)
    weekend_errors = [abs(o / t - 1) for o, t in zip(learned.weekend_hourly_multipliers, Synthetic.true_shape())]
    assert max(weekend_errors) < 0.10


def test_the_missing_day_is_a_gap_named_by_its_date_not_a_quiet_day(fortnight):
    learned = learn(history_of(fortnight), TIME_ZONE)
    missing = (fortnight.start + timedelta(days=fortnight.missing_day)).date()
    assert learned.missing_days == (missing,)
    assert learned.complete_days == 13
    assert learned.verdict == "learned with gaps"
    assert learned.confidence == "high"
    assert any(str(missing) in n for n in learned.notes)


def test_hours_are_local_to_the_profiles_time_zone(fortnight):
    """Read in UTC, New York's 5-hour offset moves the busiest hour (local 17:00) to 22:00."""
    learned = learn(history_of(fortnight), "UTC")
    assert learned.hourly_multipliers.index(max(learned.hourly_multipliers)) == (SHAPE.index(max(SHAPE)) + 5) % 24


def test_two_days_of_data_give_too_little_data_and_no_estimate():
    learned = learn(history_of(synthetic(days=2, missing_day=None)), TIME_ZONE)
    assert learned.verdict == "too little data" and learned.confidence == "none"
    assert learned.messages_per_day is None and learned.hourly_multipliers is None
    assert "at least 3" in learned.notes[0]


def test_a_fortnight_mostly_missing_gives_too_little_data_counting_the_missing_days(fortnight):
    kept = {e: v for e, v in fortnight.hours().items() if e < fortnight.start.timestamp() + 2 * 86_400}
    learned = learn(History(fortnight.start.timestamp(), fortnight.end.timestamp(), kept), TIME_ZONE)
    assert learned.verdict == "too little data"
    assert len(learned.missing_days) == 12
    assert "12 missing" in learned.notes[0]


def test_without_minute_data_the_peak_is_the_busiest_hour_and_says_so(fortnight):
    learned = learn(History(fortnight.start.timestamp(), fortnight.end.timestamp(), fortnight.hours()), TIME_ZONE)
    assert learned.peak_messages_per_second == pytest.approx(max(learned.hourly_multipliers) * learned.messages_per_day / 86_400)
    assert "too few" in learned.peak_source


def test_worker_statistics_give_processing_mean_p99_and_receive_overhead_per_message(fortnight):
    worker = WorkerStats(processed=1_000, processing_samples=1_000, processing_sum_seconds=2_000.0,
                         processing_p99_seconds=4.5, receive_sum_seconds=20.0)
    learned = learn(history_of(fortnight, worker=worker), TIME_ZONE)
    assert (learned.processing_seconds, learned.processing_p99_seconds) == (2.0, 4.5)
    assert learned.receive_overhead_seconds == pytest.approx(0.02)


def test_a_missing_p99_is_said_not_guessed(fortnight):
    worker = WorkerStats(processed=10, processing_samples=10, processing_sum_seconds=5.0)
    learned = learn(history_of(fortnight, worker=worker), TIME_ZONE)
    assert learned.processing_seconds == 0.5 and learned.processing_p99_seconds is None
    assert any("p99 was not returned" in n for n in learned.notes)


def test_percentile_is_linear_between_ranks():
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([0, 10], 99) == pytest.approx(9.9)


def test_a_fleet_that_deleted_less_than_arrived_is_said_to_have_fallen_behind(fortnight):
    hours = fortnight.hours()
    behind = learn(history_of(fortnight, hour_deleted={e: 0.8 * v for e, v in hours.items()}), TIME_ZONE)
    assert behind.deleted_fraction == pytest.approx(0.8)
    assert any("deleted 80%" in n and "fell behind" in n for n in behind.notes)
    kept_up = learn(history_of(fortnight, hour_deleted=dict(hours)), TIME_ZONE)
    assert kept_up.deleted_fraction == pytest.approx(1.0) and not any("fell behind" in n for n in kept_up.notes)
