"""The doctor's gathering: the CloudWatch window, physical names, and CloudWatch history read from moto."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import doctor, drain
from qcap.live.aws import Aws
from tests.factories import DOCTOR_PROFILE as PROFILE


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


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
    assert drain.latest(history.oldest_age) == 45.0
    assert history.deleted == ()
    # (60 + ... + 69) / 600 s = 645 / 600
    assert drain.flow(history).inflow_per_second == pytest.approx(645 / 600)
