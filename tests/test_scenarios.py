"""Arrival scenarios: shapes, totals, and CSV traces with errors that name file, line and column."""

from __future__ import annotations

import numpy as np
import pytest

from capacity import limits
from capacity import scenarios as sc


def test_constant_arrives_at_the_rate_every_second_for_the_days_asked():
    scenario = sc.constant(2.5, days=0.5)
    assert scenario.duration_seconds == 43_200
    assert scenario.total_messages == pytest.approx(2.5 * 43_200)


def test_diurnal_has_the_average_mean_and_reaches_peak_and_trough_when_peak_is_above_average():
    scenario = sc.diurnal(10.0, 30.0, 2.0, days=1)
    rates = scenario.arrivals_per_second
    assert rates.mean() == pytest.approx(10.0, rel=1e-3)
    assert rates.max() == pytest.approx(30.0, rel=1e-4)
    assert rates.min() == pytest.approx(2.0, abs=1e-3)
    assert int(np.argmax(rates)) == limits.DIURNAL_PEAK_HOUR * 3600


def test_diurnal_is_flat_at_the_average_and_says_so_when_peak_equals_average():
    scenario = sc.diurnal(6.94, 6.94, 3.47, days=1)
    assert np.all(scenario.arrivals_per_second == 6.94)
    assert "no room for a trough" in scenario.description


def test_diurnal_refuses_a_trough_above_the_average():
    with pytest.raises(sc.ScenarioError, match="trough <= average <= peak"):
        sc.diurnal(1.0, 2.0, 1.5)


def test_spike_multiplies_the_base_for_its_minutes_after_the_warm_up():
    scenario = sc.spike(1.0, 4.0, minutes=30, days=1, after_per_second=2.0)
    rates = scenario.arrivals_per_second
    start = limits.SPIKE_WARMUP_SECONDS
    assert rates[start - 1] == 1.0
    assert np.all(rates[start : start + 1800] == 4.0)
    assert rates[start + 1800] == 2.0


def test_spike_refuses_a_spike_that_outlasts_the_run():
    with pytest.raises(sc.ScenarioError, match="after the"):
        sc.spike(1.0, 2.0, minutes=600, days=0.1)


def test_drain_starts_with_the_backlog_waiting():
    scenario = sc.drain(2_800_000, 6.94, days=2)
    assert scenario.initial_backlog_messages == 2_800_000
    assert scenario.total_messages == pytest.approx(2_800_000 + 6.94 * 172_800)


def test_scaled_divides_rates_and_backlog_when_split_across_shards():
    part = sc.drain(1000, 10.0, days=0.01).scaled(0.25)
    assert part.initial_backlog_messages == 250
    assert part.arrivals_per_second[0] == 2.5


def test_trace_spreads_each_minute_evenly_and_fills_missing_minutes_with_zero(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text(
        "Timestamp,NumberOfMessagesSent\n"
        "2025-03-01T12:02:00Z,120\n"
        "2025-03-01T12:00:00Z,60\n"
        "2025-03-01T12:03:00Z,30\n"
    )
    scenario = sc.trace(path)
    assert scenario.duration_seconds == 4 * 60
    per_minute = scenario.arrivals_per_second.reshape(4, 60).sum(axis=1)
    assert per_minute.tolist() == [60, 0, 120, 30]
    assert scenario.arrivals_per_second[0] == 1.0


def test_a_trace_starts_at_its_earliest_timestamp_in_any_row_order_and_offset(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T09:01:00-05:00,1\n2025-03-01T09:00:00-05:00,2\n")
    start = sc.trace(path).start
    assert start is not None and start.isoformat() == "2025-03-01T09:00:00-05:00"
    assert sc.trace(path).scaled(0.5).start == start


def test_a_trace_without_timestamps_has_no_start(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Messages\n60\n")
    assert sc.trace(path).start is None


def test_trace_accepts_five_minute_sums_and_a_header_naming_the_metric(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("time,NumberOfMessagesSent (Sum)\n2025-03-01 00:00:00,300\n2025-03-01 00:05:00,600\n")
    scenario = sc.trace(path)
    assert scenario.duration_seconds == 600
    assert scenario.arrivals_per_second[0] == 1.0
    assert scenario.arrivals_per_second[-1] == 2.0


def test_trace_reads_a_single_column_as_consecutive_minutes(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Messages\n60\n120\n")
    assert sc.trace(path).total_messages == 180


def test_trace_error_names_file_line_and_column_when_a_value_is_not_a_number(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T00:00:00Z,10\n2025-03-01T00:01:00Z,ten\n")
    with pytest.raises(sc.ScenarioError) as error:
        sc.trace(path)
    assert str(error.value) == f"{path}, line 3, column 2 (Sum): 'ten' is not a number"


def test_trace_error_names_line_and_column_when_a_time_is_not_iso_8601(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Timestamp,Sum\nyesterday,10\n")
    with pytest.raises(sc.ScenarioError, match=r"line 2, column 1 \(Timestamp\): 'yesterday' is not an ISO 8601"):
        sc.trace(path)


def test_trace_error_lists_the_accepted_columns_when_no_value_column_is_found(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Timestamp,Region,Queue\n2025-03-01T00:00:00Z,eu,q\n")
    with pytest.raises(sc.ScenarioError, match=r"line 1: no value column .*NumberOfMessagesSent"):
        sc.trace(path)


def test_trace_error_names_a_time_that_appears_twice(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T00:00:00Z,1\n2025-03-01T00:00:00Z,2\n")
    with pytest.raises(sc.ScenarioError, match="appears twice"):
        sc.trace(path)


def test_trace_error_says_the_trace_is_shorter_than_the_days_asked(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Messages\n60\n")
    with pytest.raises(sc.ScenarioError, match="fewer than the 1 asked for"):
        sc.trace(path, days=1)


def test_trace_error_names_a_missing_file(tmp_path):
    with pytest.raises(sc.ScenarioError, match="trace file not found"):
        sc.trace(tmp_path / "absent.csv")


def test_a_shaped_day_holds_each_hours_rate_for_the_whole_hour():
    hourly = [float(h) for h in range(24)]
    day = sc.shaped_day(hourly)
    assert day.duration_seconds == 86_400
    assert day.arrivals_per_second[0] == 0.0 and day.arrivals_per_second[3600 * 5 + 17] == 5.0
    assert day.arrivals_per_second[-1] == 23.0
    assert "daily shape" in day.description


def test_the_shaped_spike_brings_the_design_peak_an_hour_before_the_busiest_hour():
    hourly = [1.0] * 24
    hourly[17] = 3.0
    spike = sc.shaped_spike(hourly, peak_per_second=4.0)
    assert spike.arrivals_per_second[16 * 3600] == 4.0 and spike.arrivals_per_second[17 * 3600 - 1] == 4.0
    assert spike.arrivals_per_second[17 * 3600] == 3.0 and spike.arrivals_per_second[15 * 3600] == 1.0
    assert "hour 16:00 at the design peak 4" in spike.description


def test_the_standard_spike_is_sized_from_the_profiles_own_peak_without_a_shape():
    spike = sc.design_spike(average=2.0, peak=5.0, trough=1.0, hourly=None)
    rates = spike.arrivals_per_second
    assert rates[0] == 1.0 and rates.max() == 5.0 and rates[-1] == 2.0
    assert np.count_nonzero(rates == 5.0) == 60 * 60


def test_a_shaped_day_needs_24_rates():
    with pytest.raises(sc.ScenarioError, match="needs 24 hourly rates"):
        sc.shaped_day([1.0] * 23)


def test_a_trace_with_a_year_gap_is_refused_at_once_naming_the_gap(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T00:00:00Z,1\n2025-03-01T00:01:00Z,1\n2026-03-01T00:00:00Z,1\n")
    with pytest.raises(sc.ScenarioError) as caught:
        sc.trace(path)
    message = str(caught.value)
    assert "over the 16 days allowed (CloudWatch keeps one-minute data 15 days)" in message
    assert "the widest gap is 365.0 days after 2025-03-01T00:01:00+00:00" in message


def test_a_row_over_a_days_plannable_messages_is_refused(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T00:00:00Z,1e15\n")
    with pytest.raises(sc.ScenarioError, match=r"line 2, column 2 \(Sum\): '1e15' is over 4,320,000,000,000 messages"):
        sc.trace(path)


def test_a_run_longer_than_the_longest_retention_plus_a_day_is_refused():
    with pytest.raises(sc.ScenarioError, match=r"days must be <= 15 \(got 16\)"):
        sc.constant(1.0, days=16)


def test_a_day_from_a_time_of_day_wraps_into_the_next_day():
    day = sc.Scenario("diurnal", "day", np.arange(86_400, dtype=float))
    late = sc.day_from(day, 86_400 - 10, 20)
    assert late.arrivals_per_second.tolist() == [*range(86_390, 86_400), *range(10)]
    assert late.description == "day, from 23:59"


def test_a_day_from_a_time_of_day_needs_a_one_day_scenario():
    with pytest.raises(sc.ScenarioError, match="one-day scenario"):
        sc.day_from(sc.constant(1.0, days=0.5), 0, 60)
