"""The worker's CloudWatch metrics (the Redis queue's and its own), published from a thread of their own.

Metrics (METRIC_NAMESPACE: the components set `qcap/Redis` for Redis, `qcap/Worker` for SQS; dimensions
Stack and Workload; one PutMetricData
every METRIC_PERIOD_SECONDS): QueueDepth = due + leased, OldestMessageAgeSeconds = how long the
earliest due item has been due (0 when none is), DeadLetterDepth = length of the dead list (Redis
only); and what the worker measured (worker/processing_stats.py): ProcessingTime as a histogram
(Values/Counts, so CloudWatch gives mean and p99), ReceiveTime as a statistic set, MessagesProcessed.
The housekeeping thread reads the stats (one Redis script) and queues them with their timestamp; a
publisher thread sends them. A CloudWatch endpoint that is slow or never answers then delays only the metrics, never
an acknowledgement, a lease extension or the reaper; beyond WORKER_METRIC_QUEUE_MAX waiting
periods the newest is dropped and counted in a rate-limited warning.
"""

from __future__ import annotations

import json
import logging
import queue as queue_lib
import threading
import time
from datetime import datetime, timezone
from typing import Any

from capacity import contract, limits
from worker.aws import endpoint_of
from worker.calls import CallWatch, FaultLog
from worker.config import WorkerConfig
from worker.processing_stats import PeriodStats, ProcessingStats

log = logging.getLogger("qcap.worker.redis")

DEPTH_METRIC = "QueueDepth"
OLDEST_AGE_METRIC = "OldestMessageAgeSeconds"
DEAD_LETTER_METRIC = "DeadLetterDepth"
POLL_SECONDS = 0.2
# After a stop, how long the worker waits at most for its last period to be sent: a call to a healthy
# CloudWatch takes well under a second; one that hangs is abandoned (its timeouts run out on the daemon thread).
FINAL_PUBLISH_WAIT_SECONDS = 2.0


def metric_data(stats: Any, stack: str, workload: str) -> list[dict[str, Any]]:
    """The three datapoints autoscaling and the alarms read, with the Stack and Workload dimensions."""
    dimensions = _dimensions(stack, workload)
    return [
        {"MetricName": DEPTH_METRIC, "Value": stats.depth, "Unit": "Count", "Dimensions": dimensions},
        {"MetricName": OLDEST_AGE_METRIC, "Value": stats.oldest_age_seconds, "Unit": "Seconds",
         "Dimensions": dimensions},
        {"MetricName": DEAD_LETTER_METRIC, "Value": stats.dead, "Unit": "Count", "Dimensions": dimensions},
    ]


def _dimensions(stack: str, workload: str) -> list[dict[str, str]]:
    return [{"Name": contract.REDIS_STACK_DIMENSION, "Value": stack},
            {"Name": contract.REDIS_WORKLOAD_DIMENSION, "Value": workload}]


def processing_metric_data(period: PeriodStats, stack: str, workload: str) -> list[dict[str, Any]]:
    """The worker's own datums for one period: the processing histogram (in datums of at most 150
    values), the receive statistic set (when a receive brought messages) and the messages processed."""
    dimensions = _dimensions(stack, workload)
    data: list[dict[str, Any]] = []
    values = sorted(period.processing.items())
    for start in range(0, len(values), limits.CLOUDWATCH_MAX_VALUES_PER_DATUM):
        chunk = values[start:start + limits.CLOUDWATCH_MAX_VALUES_PER_DATUM]
        data.append({"MetricName": contract.WORKER_PROCESSING_METRIC, "Unit": "Seconds", "Dimensions": dimensions,
                     "Values": [v for v, _ in chunk], "Counts": [float(c) for _, c in chunk]})
    if period.receives:
        data.append({"MetricName": contract.WORKER_RECEIVE_METRIC, "Unit": "Seconds", "Dimensions": dimensions,
                     "StatisticValues": {"SampleCount": float(period.receives), "Sum": period.receive_sum_seconds,
                                         "Minimum": period.receive_min_seconds,
                                         "Maximum": period.receive_max_seconds}})
    data.append({"MetricName": contract.WORKER_PROCESSED_METRIC, "Unit": "Count", "Dimensions": dimensions,
                 "Value": float(period.processed)})
    return data


class MetricsPublisher:
    """Collects the queue's stats and the worker's own at most once per period (`maybe_publish`) and sends
    them on its own thread. `queue` None: only the worker's own (an SQS worker)."""

    def __init__(self, queue: Any, cloudwatch: Any, config: WorkerConfig, watch: CallWatch | None = None,
                 queue_max: int = limits.WORKER_METRIC_QUEUE_MAX, processing: ProcessingStats | None = None):
        self.queue = queue
        self.processing = processing
        self.cloudwatch = cloudwatch
        self.config = config
        self.watch = watch or CallWatch(FaultLog())
        self.endpoint = endpoint_of(cloudwatch)
        # METRIC_NAMESPACE, else the contract's for the broker: a publisher with a queue is a Redis worker's
        self.namespace = config.metric_namespace or contract.worker_namespace(
            contract.REDIS if queue is not None else contract.SQS)
        self.published = 0
        self.dropped = 0
        self._last = float("-inf")
        self._pending: queue_lib.Queue[list[dict[str, Any]]] = queue_lib.Queue(maxsize=queue_max)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="qcap-worker-metrics", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop sending; the publisher's thread then sends the period in progress, last (what a short
        scheduled run did would otherwise never be published). A call in progress keeps its timeouts."""
        self._stopped.set()

    def wait_sent(self, deadline: float) -> bool:
        """Wait for the last period's call until `deadline` (monotonic) or FINAL_PUBLISH_WAIT_SECONDS; True when
        the thread is done."""
        if self._thread is None:
            return True
        self._thread.join(max(0.0, min(deadline - time.monotonic(), FINAL_PUBLISH_WAIT_SECONDS)))
        return not self._thread.is_alive()

    def maybe_publish(self, now: float | None = None) -> bool:
        """Queue this period's datapoints if a period has passed since the last; True when queued."""
        now = time.monotonic() if now is None else now
        if now - self._last < self.config.metric_period_seconds:
            return False
        self._last = now
        self._enqueue(self.collect())
        return True

    def collect(self) -> list[dict[str, Any]]:
        stack, workload = self.config.stack, self.config.workload
        data = metric_data(self.queue.stats(), stack, workload) if self.queue is not None else []
        if self.processing is not None:
            data += processing_metric_data(self.processing.take(), stack, workload)
        stamp = datetime.now(timezone.utc)
        data = [{**d, "Timestamp": stamp} for d in data]
        assert len(data) <= limits.CLOUDWATCH_PUT_METRIC_MAX_ITEMS
        return data

    def publish(self) -> None:
        """Collect and send now, on the caller's thread (a producer publishing for scale from zero)."""
        self._send(self.collect())

    def _enqueue(self, data: list[dict[str, Any]]) -> None:
        if self._thread is None:  # not started: publish inline (a test, or a caller without the thread)
            self._send(data)
            return
        try:
            self._pending.put_nowait(data)
        except queue_lib.Full:
            self.dropped += 1
            self.watch.faults.failed(
                "cloudwatch", "PutMetricData", self.endpoint,
                f"{self._pending.maxsize} periods wait to be published; dropped {self.dropped} so far",
                event="metrics_dropped")

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                data = self._pending.get(timeout=POLL_SECONDS)
            except queue_lib.Empty:
                continue
            self._try_send(data)
        last = self._last_batch()
        if last:
            self._try_send(last)

    def _last_batch(self) -> list[dict[str, Any]]:
        """What is left when the worker stops: the periods still queued (a CloudWatch stall leaves some) and the
        period in progress, in one call; periods past the call's item limit are counted as dropped, oldest first."""
        periods = []
        while True:
            try:
                periods.append(self._pending.get_nowait())
            except queue_lib.Empty:
                break
        periods.append(self.collect())
        batch: list[dict[str, Any]] = []
        for period in reversed(periods):  # newest first, so the limit drops the oldest
            if len(batch) + len(period) > limits.CLOUDWATCH_PUT_METRIC_MAX_ITEMS:
                self.dropped += 1
                continue
            batch[:0] = period
        return batch

    def _try_send(self, data: list[dict[str, Any]]) -> None:
        try:
            self._send(data)
        except Exception:  # noqa: BLE001 - logged by the call watch; the next period is tried anyway
            log.debug("PutMetricData failed", exc_info=True)

    def _send(self, data: list[dict[str, Any]]) -> None:
        with self.watch.call("cloudwatch", "PutMetricData", self.endpoint):
            self.cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=data)
        self.published += 1
        values = {d["MetricName"]: d["Value"] for d in data if "Value" in d}
        line = {"event": "metrics", "namespace": self.namespace}
        if DEPTH_METRIC in values:
            line.update(depth=values[DEPTH_METRIC], oldest_age_seconds=values[OLDEST_AGE_METRIC],
                        dead_letters=values[DEAD_LETTER_METRIC])
        if contract.WORKER_PROCESSED_METRIC in values:
            line["processed"] = values[contract.WORKER_PROCESSED_METRIC]
        log.info(json.dumps(line))


class PublishesMetrics:
    """A broker's publisher lifecycle, the same for SQS and Redis: started and stopped with the worker,
    and given until a deadline to send its last period on the way out. `metrics` is None when it publishes nothing."""

    metrics: MetricsPublisher | None = None

    def start(self) -> None:
        if self.metrics is not None:
            self.metrics.start()

    def stop(self) -> None:
        if self.metrics is not None:
            self.metrics.stop()

    def wait_metrics_sent(self, deadline: float) -> None:
        """Give the last period's metrics until `deadline` (at most a few seconds) to be sent."""
        if self.metrics is not None:
            self.metrics.wait_sent(deadline)
