"""qcap.live.learn_reading: which series --learn reads, over which window (the reading itself: test_commands_learning)."""

from __future__ import annotations

from datetime import datetime, timezone

from capacity import contract
from qcap.commands.doctor import MAX_LEARN_DAYS
from qcap.live.learn_reading import arrivals_source, learn_window
from tests.conftest import REDIS_WORKLOAD, SQS_WORKLOAD, plan_workload


def test_the_window_is_whole_days_ending_at_the_last_published_hour():
    start, end = learn_window(datetime(2026, 11, 16, 5, 0, 30, tzinfo=timezone.utc), 14)
    assert end == datetime(2026, 11, 16, 4, 0, tzinfo=timezone.utc)  # 04:59:30 less the metric delay: hour 04
    assert (end - start).days == 14


def test_at_most_what_cloudwatch_keeps_at_one_hour_can_be_asked_for():
    assert MAX_LEARN_DAYS == 455


def test_an_sqs_queue_is_read_by_its_sent_count_and_a_redis_queue_by_what_its_workers_processed():
    namespace, metric, dims = arrivals_source("shop", plan_workload(SQS_WORKLOAD))
    assert (namespace, metric, dims) == (contract.SQS_NAMESPACE, contract.SQS_SENT_METRIC,
                                         {contract.SQS_QUEUE_DIMENSION: "qcap-shop-events"})
    namespace, metric, dims = arrivals_source("shop", plan_workload(REDIS_WORKLOAD))
    assert (namespace, metric, dims) == (contract.REDIS_NAMESPACE, contract.WORKER_PROCESSED_METRIC,
                                         {"Stack": "shop", "Workload": "points"})
