"""The worker's boto3 clients: timeouts sized to the lease, and an SQS endpoint that never answers said plainly.

The endpoint test points a `python -m worker` process at a socket on 127.0.0.1 that accepts
and never answers, and reads what the worker says and when, how often it repeats itself, and
how long SIGTERM takes with a receive stuck in flight.
"""

from __future__ import annotations

import time

import pytest
from fault_servers import black_hole
from servers import TEST_CREDENTIALS
from worker_running import WorkerProcess, wait_until

from capacity import limits
from worker.aws import lease_timing, receive_timing, sqs_clients
from worker.calls import lease_call_budget_seconds
from worker.config import WorkerConfig


@pytest.mark.parametrize("visibility", [5, 30, 900])
def test_sqs_lease_calls_fail_before_half_the_visibility_timeout_is_gone(visibility):
    timing = lease_timing(WorkerConfig(queue_url="q", visibility_timeout_seconds=visibility))
    assert timing.worst_seconds <= lease_call_budget_seconds(visibility)


def test_a_long_poll_gets_its_wait_on_top_of_the_read_timeout():
    config = WorkerConfig(queue_url="q", receive_wait_seconds=20, stop_timeout_seconds=60)
    assert receive_timing(config).read_seconds == 20 + limits.WORKER_CALL_READ_TIMEOUT_SECONDS


def test_every_sqs_client_has_connect_and_read_timeouts_and_bounded_standard_retries(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for sqs in sqs_clients(WorkerConfig(queue_url="q", region="eu-west-1", visibility_timeout_seconds=30)):
        config = sqs.meta.config
        assert config.connect_timeout <= limits.WORKER_CALL_CONNECT_TIMEOUT_SECONDS
        assert config.read_timeout <= 20 + limits.WORKER_CALL_READ_TIMEOUT_SECONDS
        assert config.retries == {"mode": "standard", "total_max_attempts": limits.WORKER_AWS_MAX_ATTEMPTS}


@pytest.mark.slow
def test_sqs_worker_says_within_seconds_that_the_endpoint_never_answers_and_repeats_it_at_a_bounded_rate(tmp_path):
    with black_hole() as sqs:
        env = {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL": sqs.url, "QUEUE_URL": f"{sqs.url}/123456789012/orders",
               "RECEIVERS": "1", "RECEIVE_WAIT_SECONDS": "20", "STOP_TIMEOUT_SECONDS": "5", "CONCURRENCY": "2"}
        worker = WorkerProcess(tmp_path, env)
        assert wait_until(lambda: any(x["event"] == "start" for x in worker.lines()), timeout=20)
        started = time.monotonic()
        assert wait_until(lambda: any(x.get("endpoint") == sqs.url and x["event"].startswith("call_")
                                      for x in worker.lines()), timeout=15)
        first_line_seconds = time.monotonic() - started
        time.sleep(30)
        watched = time.monotonic() - started
        seconds = worker.terminate()
    faults = [x for x in worker.lines() if x["event"].startswith("call_")]
    print(f"\nSQS black hole: first line after {first_line_seconds:.1f} s ({faults[0]['event']} "
          f"{faults[0]['operation']}: {faults[0]['error']}), {len(faults)} lines in {watched:.0f} s, "
          f"exit {seconds:.2f} s with a receive in flight (stop timeout 5 s)")
    assert first_line_seconds < 5
    assert faults[0]["endpoint"] == sqs.url
    operations = {x["operation"] for x in faults}
    per_operation = 3 + watched / limits.WORKER_FAULT_LOG_INTERVAL_SECONDS  # the first, a hang, then per interval
    assert len(faults) <= len(operations) * per_operation
    assert "Traceback" not in worker.stderr()
    assert worker.process.returncode == 0 and seconds < 5
