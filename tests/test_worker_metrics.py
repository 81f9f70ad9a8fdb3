"""A CloudWatch endpoint that accepts and never answers delays only the metrics, never an ack or a lease.

Two `python -m worker` processes share one Redis queue of 600 items (4 handlers of 0.1 s
each, a 5 s lease, metrics every second) while CloudWatch is a socket on 127.0.0.1 that
accepts and sleeps. Counted from the handler logs and the queue: processed, twice, lost,
dead-lettered; and from the workers' output: when the first line about CloudWatch came,
and how many followed.
"""

from __future__ import annotations

import time
import uuid

import pytest
from fault_servers import black_hole
from servers import LOOPBACK, TEST_CREDENTIALS
from worker_running import WorkerProcess, done_counts

from capacity import limits
from worker.config import WorkerConfig
from worker.metrics import MetricsPublisher
from worker.redis_queue import RedisQueue

ITEMS = 600


class StalledCloudWatch:
    """An in-process stand-in that blocks every call (for the queue's bound, not for the endpoint)."""

    meta = None

    def __init__(self):
        import threading

        self.release = threading.Event()

    def put_metric_data(self, **kwargs):
        self.release.wait(10)


def test_metrics_beyond_the_queue_bound_are_dropped_and_counted(redis_srv):
    cfg = WorkerConfig(redis_host=LOOPBACK, redis_port=redis_srv.port, workload=f"m{uuid.uuid4().hex[:6]}",
                       metric_period_seconds=0)
    cloudwatch = StalledCloudWatch()
    publisher = MetricsPublisher(RedisQueue.from_config(cfg), cloudwatch, cfg, queue_max=3)
    publisher.start()
    try:
        for _ in range(10):  # one is being sent (blocked), three wait, six are dropped
            publisher.maybe_publish()
            time.sleep(0.02)
        assert publisher.dropped == 6
    finally:
        cloudwatch.release.set()
        publisher.stop()


@pytest.mark.slow
def test_two_redis_workers_process_each_item_once_while_cloudwatch_never_answers(redis_srv, tmp_path):
    workload = f"cw{uuid.uuid4().hex[:6]}"
    queue = RedisQueue.from_config(WorkerConfig(redis_host=LOOPBACK, redis_port=redis_srv.port, workload=workload))
    queue.enqueue_many((f"i{n:03d}", f"i{n:03d}") for n in range(ITEMS))
    with black_hole() as cloudwatch:
        env = {**TEST_CREDENTIALS, **redis_srv.env, "AWS_ENDPOINT_URL_CLOUDWATCH": cloudwatch.url,
               "QCAP_WORKLOAD": workload, "CONCURRENCY": "4", "HANDLER_SECONDS": "0.1",
               "VISIBILITY_TIMEOUT_SECONDS": "5", "METRIC_PERIOD_SECONDS": "1", "PUBLISH_METRICS": "true",
               "STOP_TIMEOUT_SECONDS": "5"}
        started = time.monotonic()
        workers = [WorkerProcess(tmp_path, env, name=f"w{i}") for i in range(2)]
        first_line_seconds = None
        deadline = started + 90
        while time.monotonic() < deadline and (first_line_seconds is None or queue.stats().depth > 0):
            if first_line_seconds is None and any('"service": "cloudwatch"' in w.out.read_text() for w in workers):
                first_line_seconds = time.monotonic() - started
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        exits = [w.terminate() for w in workers]
        accepted = cloudwatch.accepted
    counts = done_counts(*(w.log for w in workers))
    duplicates = sum(n - 1 for n in counts.values())
    stats = queue.stats()
    lines = [x for w in workers for x in w.lines() if x.get("service") == "cloudwatch"]
    print(f"\nCloudWatch black hole, 2 Redis workers, 5 s lease: processed {len(counts)}, duplicates {duplicates}, "
          f"lost {ITEMS - len(counts)}, dead-lettered {stats.dead}, first CloudWatch line after "
          f"{first_line_seconds:.1f} s, {len(lines)} CloudWatch lines in {elapsed:.0f} s, {accepted} connections "
          f"held, exits {max(exits):.2f} s")
    assert accepted >= 2  # both workers did try to publish
    assert len(counts) == ITEMS and duplicates == 0 and stats.dead == 0 and stats.depth == 0
    assert first_line_seconds is not None and first_line_seconds < 10
    per_worker = 2 + elapsed / limits.WORKER_FAULT_LOG_INTERVAL_SECONDS
    assert len(lines) <= 2 * per_worker
    assert all("Traceback" not in w.stderr() for w in workers)
    assert max(exits) < 5


def test_the_workers_own_metrics_published_to_moto_read_back_as_sent():
    """One PutMetricData with the histogram, the receive statistic set and the count, read back by the
    statistics `qcap doctor --learn` asks for."""
    from datetime import datetime, timedelta, timezone

    import boto3
    from moto import mock_aws

    from capacity import contract
    from worker.processing_stats import ProcessingStats, bucket_of

    cfg = WorkerConfig(stack="shop", workload="orders", metric_namespace=contract.WORKER_NAMESPACE)
    stats = ProcessingStats()
    times = [0.5] * 60 + [1.0] * 38 + [4.0] * 2
    for seconds in times:
        stats.handled(seconds, succeeded=True)
    stats.received(0.02, 10)
    stats.received(0.03, 10)
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
        publisher = MetricsPublisher(None, cloudwatch, cfg, processing=stats)
        publisher.publish()
        dims = [{"Name": "Stack", "Value": "shop"}, {"Name": "Workload", "Value": "orders"}]
        now = datetime.now(timezone.utc)

        def read(metric):
            answer = cloudwatch.get_metric_statistics(
                Namespace=contract.WORKER_NAMESPACE, MetricName=metric, Dimensions=dims,
                StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5), Period=600,
                Statistics=["SampleCount", "Sum", "Minimum", "Maximum"])
            (point,) = answer["Datapoints"]
            return point

        processing = read(contract.WORKER_PROCESSING_METRIC)
        receive = read(contract.WORKER_RECEIVE_METRIC)
        processed = read(contract.WORKER_PROCESSED_METRIC)
    assert publisher.published == 1
    assert processing["SampleCount"] == 100
    assert processing["Sum"] == pytest.approx(sum(bucket_of(t) for t in times))
    assert processing["Sum"] / 100 == pytest.approx(sum(times) / 100, rel=0.02)
    assert (processing["Minimum"], processing["Maximum"]) == (bucket_of(0.5), bucket_of(4.0))
    assert (receive["SampleCount"], receive["Sum"]) == (2, pytest.approx(0.05))
    assert processed["Sum"] == 100


def test_periods_still_queued_when_the_worker_stops_go_out_with_the_last_call_or_are_counted_dropped():
    cfg = WorkerConfig(stack="shop", workload="orders", metric_period_seconds=0)
    publisher = MetricsPublisher(None, StalledCloudWatch(), cfg, queue_max=5)
    period = [{"MetricName": "MessagesProcessed", "Value": 1.0}]
    for _ in range(2):
        publisher._pending.put_nowait(period)
    batch = publisher._last_batch()
    assert batch == period * 2 and publisher.dropped == 0  # the queued two (an SQS publisher without stats adds none)
    big = [{"MetricName": "MessagesProcessed", "Value": 1.0}] * limits.CLOUDWATCH_PUT_METRIC_MAX_ITEMS
    publisher._pending.put_nowait(big)
    publisher._pending.put_nowait(period)
    batch = publisher._last_batch()
    assert publisher.dropped == 1 and batch[0] == period[0] and len(batch) <= limits.CLOUDWATCH_PUT_METRIC_MAX_ITEMS
