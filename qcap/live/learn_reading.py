"""`qcap doctor --learn`'s reading: a queue's and its workers' CloudWatch history as a capacity.learning.History.

Reads by hour for the whole window (one-hour datapoints are kept 455 days) and by minute for the
part CloudWatch still keeps at one minute (15 days), in chunks of MINUTE_CHUNK_HOURS; the arithmetic
is capacity/learning.py's, pure. SQS queues give NumberOfMessagesSent (and Deleted, to say whether
the fleet kept up); a Redis queue has no
arrivals metric, so its workers' MessagesProcessed stands in (equal to arrivals while they keep up).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from capacity import contract, limits
from capacity.learning import History, WorkerStats
from capacity.plan import WorkloadPlan
from qcap.live.aws import Aws
from qcap.live.doctor import queue_name

MINUTE_CHUNK_HOURS = 24  # 1,440 datapoints a query, far under GetMetricData's 100,800
P99_STAT = "p99"


def learn_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """[start, end): `days` days ending at the last whole hour CloudWatch has published."""
    end = (now - timedelta(seconds=limits.CLOUDWATCH_METRIC_DELAY_SECONDS)).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


def _query(query_id: str, namespace: str, metric: str, dimensions: dict[str, str], period: int, stat: str) -> dict:
    return {"Id": query_id, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": metric,
                   "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
        "Period": period, "Stat": stat}}


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def read_series(cloudwatch: Any, queries: list[dict], start: datetime, end: datetime) -> dict[str, dict[float, float]]:
    """{query id: {period start epoch: value}} over [start, end), following NextToken; None values dropped."""
    found: dict[str, dict[float, float]] = {q["Id"]: {} for q in queries}
    token = None
    while True:
        kwargs = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end, "ScanBy": "TimestampAscending"}
        if token:
            kwargs["NextToken"] = token
        answer = cloudwatch.get_metric_data(**kwargs)
        for result in answer.get("MetricDataResults", []):
            series = found.setdefault(result["Id"], {})
            for stamp, value in zip(result.get("Timestamps", []), result.get("Values", [])):
                epoch = _epoch(stamp)
                if value is not None and start.timestamp() <= epoch < end.timestamp():
                    series[epoch] = float(value)
        token = answer.get("NextToken")
        if not token:
            return found


def arrivals_source(stack: str, plan: WorkloadPlan) -> tuple[str, str, dict[str, str]]:
    """Namespace, metric and dimensions of the queue's arrivals count."""
    if plan.broker == contract.REDIS:
        return contract.worker_namespace(plan.broker), contract.WORKER_PROCESSED_METRIC, worker_dimensions(stack, plan)
    return contract.SQS_NAMESPACE, contract.SQS_SENT_METRIC, {contract.SQS_QUEUE_DIMENSION: queue_name(stack, plan)}


def worker_dimensions(stack: str, plan: WorkloadPlan) -> dict[str, str]:
    return {contract.REDIS_STACK_DIMENSION: stack, contract.REDIS_WORKLOAD_DIMENSION: plan.name}


def _window_value(cloudwatch: Any, query: dict, start: datetime, end: datetime) -> float | None:
    """One statistic over the whole window (one period), or None when CloudWatch returns none."""
    values = read_series(cloudwatch, [query], start, end)[query["Id"]]
    return sum(values.values()) if values else None


def read_worker(cloudwatch: Any, stack: str, plan: WorkloadPlan, start: datetime, end: datetime) -> WorkerStats | None:
    """The workers' statistic sets over the window, in the namespace the components give their broker
    (qcap/Redis, qcap/Worker for SQS); None when they published no ProcessingTime."""
    dims, ns = worker_dimensions(stack, plan), contract.worker_namespace(plan.broker)
    period = int((end - start).total_seconds())

    def stat(qid: str, metric: str, statistic: str) -> float | None:
        return _window_value(cloudwatch, _query(qid, ns, metric, dims, period, statistic), start, end)

    samples = stat("samples", contract.WORKER_PROCESSING_METRIC, "SampleCount")
    if not samples:
        return None
    try:
        p99 = stat("p99", contract.WORKER_PROCESSING_METRIC, P99_STAT)
    except Exception:  # noqa: BLE001 - an endpoint without percentiles (moto): said, not guessed
        p99 = None
    return WorkerStats(
        processed=stat("processed", contract.WORKER_PROCESSED_METRIC, "Sum") or 0.0,
        processing_samples=samples,
        processing_sum_seconds=stat("sum", contract.WORKER_PROCESSING_METRIC, "Sum") or 0.0,
        processing_p99_seconds=p99,
        receive_sum_seconds=stat("receive", contract.WORKER_RECEIVE_METRIC, "Sum"),
    )


def read_history(aws: Aws, stack: str, plan: WorkloadPlan, start: datetime, end: datetime,
                 now: datetime | None = None) -> History:
    """Hours over the window, minutes over what CloudWatch keeps at one minute, the oldest age, the workers."""
    cloudwatch = aws.cloudwatch
    namespace, metric, dims = arrivals_source(stack, plan)
    queries = [_query("sent", namespace, metric, dims, limits.SECONDS_PER_HOUR, "Sum")]
    if plan.broker != contract.REDIS:
        queries.append(_query("deleted", namespace, contract.SQS_DELETED_METRIC, dims, limits.SECONDS_PER_HOUR, "Sum"))
    by_hour = read_series(cloudwatch, queries, start, end)
    hours = by_hour["sent"]
    now = now or datetime.now(timezone.utc)
    minute_from = max(start, now - timedelta(seconds=limits.CLOUDWATCH_ONE_MINUTE_RETENTION_SECONDS))
    minutes: dict[float, float] = {}
    chunk_start = minute_from
    while chunk_start < end:
        chunk_end = min(end, chunk_start + timedelta(hours=MINUTE_CHUNK_HOURS))
        query = _query("sent", namespace, metric, dims, limits.SQS_METRIC_PERIOD_SECONDS, "Sum")
        minutes.update(read_series(cloudwatch, [query], chunk_start, chunk_end)["sent"])
        chunk_start = chunk_end
    oldest = None
    if plan.broker != contract.REDIS:
        period = int((end - start).total_seconds())
        oldest = read_series(cloudwatch, [_query("age", contract.SQS_NAMESPACE, contract.SQS_AGE_METRIC,
                                                 dims, period, "Maximum")], start, end)["age"]
        oldest = max(oldest.values()) if oldest else None
    return History(start.timestamp(), end.timestamp(), hours, minutes, oldest,
                   read_worker(cloudwatch, stack, plan, start, end), hour_deleted=by_hour.get("deleted", {}))
