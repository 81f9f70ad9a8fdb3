"""worker.processing_stats: what the worker measures in a period, taken once a period by the publisher."""

from __future__ import annotations

import pytest

from worker.processing_stats import HISTOGRAM_RESOLUTION, ProcessingStats, bucket_of


@pytest.mark.parametrize("seconds", [0.0042, 0.05, 2.0, 4.0, 37.5])
def test_a_processing_time_is_counted_within_half_the_resolution(seconds):
    assert bucket_of(seconds) == pytest.approx(seconds, rel=HISTOGRAM_RESOLUTION / 2)


def test_a_time_too_short_to_measure_counts_as_zero():
    assert bucket_of(1e-9) == 0.0


def test_handled_counts_every_call_in_the_histogram_and_only_successes_as_processed():
    stats = ProcessingStats()
    for seconds in (2.0, 2.0, 4.0):
        stats.handled(seconds, succeeded=True)
    stats.handled(1.0, succeeded=False)
    period = stats.take()
    assert sum(period.processing.values()) == 4 and period.processed == 3
    assert period.processing[bucket_of(2.0)] == 2


def test_only_receives_that_brought_messages_are_overhead():
    stats = ProcessingStats()
    stats.received(0.02, 10)
    stats.received(20.0, 0)  # an empty long poll: idle time
    stats.received(0.04, 3)
    period = stats.take()
    assert period.receives == 2
    assert period.receive_sum_seconds == pytest.approx(0.06)
    assert (period.receive_min_seconds, period.receive_max_seconds) == (0.02, 0.04)


def test_take_starts_a_fresh_period():
    stats = ProcessingStats()
    stats.handled(1.0, succeeded=True)
    assert not stats.take().empty
    assert stats.take().empty
