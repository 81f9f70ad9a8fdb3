"""Call timings that fit a lease, and a fault log that says one line, not one per failure."""

from __future__ import annotations

import json
import logging

import pytest

from capacity import limits
from worker.calls import CallWatch, FaultLog, botocore_backoff, fit_timing, lease_call_budget_seconds, redis_backoff


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_full_timing_is_kept_when_its_worst_case_fits_the_budget():
    timing = fit_timing(None, 3, botocore_backoff, 1.0)
    assert (timing.connect_seconds, timing.read_seconds, timing.attempts) == (1.0, 2.0, 3)
    assert timing.worst_seconds == 3 * 3 + 1 + 2  # three tries of 1 + 2 s, backoffs of at most 1 and 2 s


@pytest.mark.parametrize("lease_seconds", [2, 5, 10, 30, 90, 43_200])
def test_a_lease_calls_worst_case_fits_what_the_heartbeat_leaves_of_the_lease(lease_seconds):
    budget = lease_call_budget_seconds(lease_seconds)
    for attempts, backoff, floor in (
            (limits.WORKER_AWS_MAX_ATTEMPTS, botocore_backoff, limits.WORKER_AWS_MIN_TRY_SECONDS),
            (limits.WORKER_REDIS_MAX_ATTEMPTS, redis_backoff, limits.WORKER_REDIS_MIN_TRY_SECONDS)):
        timing = fit_timing(budget, attempts, backoff, floor)
        assert timing.worst_seconds <= max(budget, floor) + 1e-9
        assert timing.connect_seconds + timing.read_seconds >= floor - 1e-9


def test_a_5_s_lease_leaves_2_s_one_aws_try_and_three_shorter_redis_tries():
    budget = lease_call_budget_seconds(5)
    assert budget == 2.0  # 5 x 0.5 - the 0.5 s heartbeat check
    aws = fit_timing(budget, 3, botocore_backoff, limits.WORKER_AWS_MIN_TRY_SECONDS)
    assert aws.attempts == 1
    assert (round(aws.connect_seconds, 3), round(aws.read_seconds, 3)) == (0.667, 1.333)
    redis = fit_timing(budget, 3, redis_backoff, limits.WORKER_REDIS_MIN_TRY_SECONDS)
    assert redis.attempts == 3 and redis.worst_seconds == pytest.approx(2.0)


def test_fault_log_says_one_line_at_once_then_one_per_interval_with_the_count(caplog):
    clock = Clock()
    faults = FaultLog(interval_seconds=30, clock=clock)
    with caplog.at_level(logging.WARNING, logger="qcap.worker.calls"):
        for second in range(95):
            clock.now = 1000.0 + second
            faults.failed("sqs", "receive", "http://127.0.0.1:9", TimeoutError("Read timeout on endpoint URL"))
        faults.succeeded("sqs", "receive", "http://127.0.0.1:9")
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    assert [x["event"] for x in lines] == ["call_failed"] * 4 + ["call_recovered"]
    assert [x["failures"] for x in lines] == [1, 31, 61, 91, 95]
    assert lines[0]["error"] == "TimeoutError: Read timeout on endpoint URL"
    assert lines[-1]["failing_seconds"] == 94.0


def test_call_watch_reports_a_call_still_waiting_past_its_expected_time_once(caplog):
    clock = Clock()
    watch = CallWatch(FaultLog(clock=clock), hang_seconds=3, clock=clock)
    with caplog.at_level(logging.WARNING, logger="qcap.worker.calls"):
        with watch.call("sqs", "receive", "http://127.0.0.1:9", expected_seconds=1):
            clock.now += 3.9
            assert watch.check() == 0
            clock.now += 0.2
            assert watch.check() == 1 and watch.check() == 1
            clock.now += 10
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    assert [x["event"] for x in lines] == ["call_hanging", "call_recovered"]
    assert lines[0]["error"] == "no answer after 4.1 s (its long poll waits 1 s)"
    assert lines[0]["failures"] == 0  # a hang is reported, not counted as a failure


def test_the_error_of_a_call_reported_hanging_is_still_said_when_it_comes(caplog):
    clock = Clock()
    watch = CallWatch(FaultLog(clock=clock), hang_seconds=3, clock=clock)
    with caplog.at_level(logging.WARNING, logger="qcap.worker.calls"):
        with pytest.raises(TimeoutError):
            with watch.call("sqs", "receive", "http://127.0.0.1:9", expected_seconds=1):
                clock.now += 5
                watch.check()
                clock.now += 7
                raise TimeoutError("Read timeout on endpoint URL")
        watch.faults.failed("sqs", "receive", "http://127.0.0.1:9", TimeoutError("again"))
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    assert [(x["event"], x["failures"]) for x in lines] == [("call_hanging", 0), ("call_failed", 1)]
