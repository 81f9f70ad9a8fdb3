"""doctor's arithmetic and verdicts as pure functions, plus reading CloudWatch history from moto."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import doctor
from qcap.live.aws import Aws

START, END = 0.0, 3600.0


def flat(per_minute: float, minutes: int = 60) -> doctor.Series:
    return tuple((START + 60 * m, per_minute) for m in range(minutes))


def test_series_rate_is_the_sum_over_the_window_length():
    assert doctor.series_rate_per_second(flat(450), START, END) == pytest.approx(7.5)
    assert doctor.series_rate_per_second((), START, END) == 0.0


def test_trend_is_rising_when_the_second_half_exceeds_the_first_by_more_than_the_tolerance():
    series = tuple((START + 60 * m, 100.0 if m < 30 else 120.0) for m in range(60))
    t = doctor.trend(series, START, END)
    assert (t.first_half_per_second, t.second_half_per_second, t.direction) == (
        pytest.approx(100 / 60), pytest.approx(2.0), "rising")
    assert doctor.trend(flat(100), START, END).direction == "steady"
    falling = tuple((START + 60 * m, 100.0 if m < 30 else 50.0) for m in range(60))
    assert doctor.trend(falling, START, END).direction == "falling"


def test_drain_eta_is_backlog_over_net_outflow_and_never_when_inflow_keeps_up():
    # seed 004 with 15 tasks: 2,800,000 / (7.5 - 6.9444) = 5,040,000 s
    assert doctor.drain_eta_seconds(2_800_000, 600_000 / 86_400, 7.5) == pytest.approx(5_040_000)
    assert math.isinf(doctor.drain_eta_seconds(2_800_000, 6.94, 2.0))
    assert math.isinf(doctor.drain_eta_seconds(10, 5.0, 5.0))
    assert doctor.drain_eta_seconds(0, 5.0, 1.0) == 0.0


def test_clear_time_is_the_eta_when_draining_littles_law_when_steady_and_never_when_growing():
    assert doctor.clear_seconds(100, 1.0, 2.0) == pytest.approx(100)  # 100 / (2 - 1)
    assert doctor.clear_seconds(100, 10.0, 9.5) == pytest.approx(100 / 9.5)  # within 10%: steady
    assert math.isinf(doctor.clear_seconds(100, 10.0, 8.0))


def test_messages_at_risk_are_none_when_the_oldest_plus_the_clear_time_fit_retention():
    assert doctor.messages_at_risk(1000, oldest_age_seconds=3600, clear_in_seconds=7200, retention_seconds=345_600) == 0


def test_messages_at_risk_are_the_share_older_than_retention_minus_clear_time():
    # older than 345,600 - 172,800 = 172,800 s; ages spread to 259,200: 100,000 x 86,400 / 259,200
    assert doctor.messages_at_risk(100_000, 259_200, 172_800, 345_600) == 33_334


def test_messages_at_risk_are_all_of_them_when_the_backlog_never_clears_or_outlasts_retention():
    assert doctor.messages_at_risk(500, 60, math.inf, 345_600) == 500
    assert doctor.messages_at_risk(2_800_000, 86_400, 5_040_000, 1_123_200) == 2_800_000


def test_tasks_needed_for_seed_004_are_18_to_keep_up_and_20_to_clear_before_expiry():
    t = doctor.tasks_needed(600_000 / 86_400, 2_800_000, 86_400, 1_123_200, 300, 0.5)
    # keep up: ceil(6.9444 / (0.5 x 0.8)) = 18; drain: ceil((6.9444 + 2,800,000 / 1,036,800) / 0.5) = 20
    assert (t.keep_up, t.drain, t.drain_budget_seconds, t.needed) == (18, 20, 1_036_800, 20)


def test_tasks_needed_drain_budget_is_never_shorter_than_the_objective():
    t = doctor.tasks_needed(0.0, 600, oldest_age_seconds=400_000, retention_seconds=345_600, max_age_seconds=300,
                            per_task_messages_per_second=1.0)
    assert (t.drain_budget_seconds, t.drain) == (300, 2)  # ceil(600 / 300 / 1)


def test_tasks_needed_are_zero_for_an_idle_empty_queue():
    assert doctor.tasks_needed(0.0, 0, 0, 345_600, 900, 20).needed == 0


def test_dlq_growth_is_now_minus_the_window_start():
    assert doctor.dlq_growth(((0.0, 10.0), (60.0, 25.0)), now=40).growth == 30
    assert doctor.dlq_growth((), now=7).growth == 0


PROFILE = {
    "environment": "dev",
    "workloads": [{
        "name": "orders", "broker": "sqs",
        "traffic": {"messages_per_day": 86_400, "peak_to_average": 2, "message_bytes": 1000},
        "consumer": {"processing_seconds": 1.0, "concurrency_per_task": 2, "image": "x"},
        "objective": {"max_age_seconds": 600},
    }],
}


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


def facts(w, **changes) -> doctor.WorkloadFacts:
    queue = doctor.QueueFacts(
        url="https://sqs/q", name="qcap-s-orders", arn="arn:aws:sqs:eu-west-1:1:qcap-s-orders",
        visible=changes.pop("visible", 0), in_flight=0, delayed=0,
        retention_seconds=changes.pop("retention_seconds", w.retention_seconds),
        visibility_timeout_seconds=changes.pop("visibility_timeout_seconds", w.visibility_timeout_seconds),
        max_message_bytes=w.max_message_bytes, dlq_arn="arn:aws:sqs:eu-west-1:1:qcap-s-orders-dlq",
        max_receive_count=w.max_receive_count,
    )
    history = doctor.History(START, END, sent=flat(60), deleted=flat(60), oldest_age=((START, 5.0),))
    return doctor.WorkloadFacts(
        "orders", queue.name, queue, "qcap-s-orders-dlq", 0, history,
        doctor.ServiceFacts("qcap-s", "orders", True, running=1, desired=1),
        doctor.ScalingFacts("service/qcap-s/orders", True, w.min_capacity, w.max_capacity, "p",
                            w.target_backlog_per_task),
    )


def test_diagnose_is_all_ok_when_live_matches_the_plan(orders):
    d = doctor.diagnose(orders, facts(orders))
    assert d.level == "ok"
    assert {c.name for c in d.checks} >= {"flow", "age of oldest", "drain", "expiry risk", "service", "tasks needed",
                                           "dead-letter queue", "drift: retention_seconds", "drift: min_capacity"}


def test_diagnose_marks_drift_critical_only_on_the_unsafe_side(orders):
    shorter = doctor.diagnose(orders, facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds - 1))
    longer = doctor.diagnose(orders, facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds + 60))
    levels = [{c.name: c.level for c in d.checks}["drift: visibility_timeout_seconds"] for d in (shorter, longer)]
    assert levels == ["critical", "warn"]


def test_diagnose_reports_only_the_missing_queue_when_there_is_none(orders):
    missing = doctor.WorkloadFacts("orders", "qcap-s-orders", None, None, None, doctor.History(START, END), None, None)
    d = doctor.diagnose(orders, missing)
    assert [(c.name, c.level) for c in d.checks] == [("queue", "critical")]
    assert d.computed is None


def test_metric_window_ends_on_a_whole_minute_one_metric_delay_before_now():
    now = datetime(2026, 1, 5, 12, 30, 45, tzinfo=timezone.utc)
    start, end = doctor.metric_window(now, 60)
    assert (start, end) == (datetime(2026, 1, 5, 11, 29, tzinfo=timezone.utc),
                            datetime(2026, 1, 5, 12, 29, tzinfo=timezone.utc))


def test_queue_and_cluster_names_follow_the_contract(orders):
    assert doctor.queue_name("shop", orders) == "qcap-shop-orders"
    fifo = orders.model_copy(update={"broker": "sqs-fifo"})
    assert doctor.queue_name("shop", fifo) == "qcap-shop-orders.fifo"
    assert doctor.cluster_and_name("shop", None) == ("qcap-shop", "qcap-shop")
    arn = "arn:aws:ecs:eu-west-1:1:cluster/platform"
    assert doctor.cluster_and_name("shop", arn) == (arn, "platform")


def test_read_history_gets_sqs_metrics_that_moto_stores_from_put_metric_data(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    now = datetime.now(timezone.utc).replace(second=30, microsecond=0)
    start, end = doctor.metric_window(now, 10)
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        cw = session.client("cloudwatch")
        for m in range(10):
            at = start + timedelta(minutes=m)
            cw.put_metric_data(Namespace="AWS/SQS", MetricData=[
                {"MetricName": "NumberOfMessagesSent", "Timestamp": at, "Value": 60.0 + m,
                 "Dimensions": [{"Name": "QueueName", "Value": "q"}]},
                {"MetricName": "ApproximateAgeOfOldestMessage", "Timestamp": at, "Value": 5.0 * m,
                 "Dimensions": [{"Name": "QueueName", "Value": "q"}]},
                {"MetricName": "NumberOfMessagesSent", "Timestamp": at, "Value": 999.0,
                 "Dimensions": [{"Name": "QueueName", "Value": "other"}]},
            ])
        history = doctor.read_history(Aws(session, "test"), doctor._Calls(), "q", None, start, end)
    assert [v for _, v in history.sent] == [60.0 + m for m in range(10)]
    assert doctor.latest(history.oldest_age) == 45.0
    assert history.deleted == ()
    # (60 + ... + 69) / 600 s = 645 / 600
    assert doctor.flow(history).inflow_per_second == pytest.approx(645 / 600)
