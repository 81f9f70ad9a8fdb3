"""`qcap redrive`: reading the DLQ, the default pace, asking, and starting StartMessageMoveTask.

moto (5.2) does not implement StartMessageMoveTask; the tests that start a redrive answer that
one call the way SQS documents it and check what qcap sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import typer
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from typer.testing import CliRunner

from capacity.plan import plan
from capacity.profile import load_profile
from qcap.live import aws as qcap_aws
from qcap.commands import redrive as redrive_cmd
from qcap.live import redrive

REGION = "eu-west-1"
PROFILE = """\
environment: prod
workloads:
  - name: events
    broker: sqs
    traffic: {messages_per_day: 600000, peak_to_average: 1.0, message_bytes: 2048, backlog_messages: 2800000}
    consumer: {processing_seconds: 2.0, concurrency_per_task: 1, image: consumer:latest}
    objective: {max_age_seconds: 300, drain_backlog_within_hours: 336}
"""


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """qcap (test app with the redrive command only)."""

    redrive_cmd.register(app)
    return app


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "seed.yaml"
    path.write_text(PROFILE)
    (tmp_path / f"Pulumi.seed.yaml").write_text(f"config:\n  aws:region: {REGION}\n")
    with mock_aws():
        yield path


def create_queues(dlq_messages: int) -> tuple[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="qcap-seed-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName="qcap-seed-events", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i in range(dlq_messages):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"failed {i}")
    return queue_arn, dlq_arn


@pytest.fixture
def move_task(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Answer StartMessageMoveTask as SQS documents it (moto lacks it) and record the request."""
    requests: list[dict] = []

    def answer(params, **_):
        requests.append(json.loads(params["body"]))  # the serialized request SQS would receive
        return AWSResponse("https://sqs", 200, {}, None), {"TaskHandle": "task-handle-1"}

    def session(region):
        s = boto3.Session(region_name=region)
        s.events.register("before-call.sqs.StartMessageMoveTask", answer)
        return s

    monkeypatch.setattr(qcap_aws, "new_session", session)
    return requests


def test_find_redrive_reads_both_arns_and_the_dlq_depth(stack):
    queue_arn, dlq_arn = create_queues(dlq_messages=3)
    w = plan(load_profile(stack)).workloads[0]
    target = redrive.find_redrive(boto3.client("sqs", region_name=REGION), "seed", w)
    assert (target.queue_arn, target.dlq_arn, target.dlq_visible) == (queue_arn, dlq_arn, 3)


def test_default_rate_is_the_fleets_spare_throughput(stack):
    w = plan(load_profile(stack)).workloads[0]
    # max_capacity x 0.495 msg/s (2 s + a 20 ms receive) - 6.944 arriving, floored
    expected = int(w.max_capacity * w.per_task_messages_per_second - 600_000 / 86_400)
    rate = redrive.default_rate(w)
    assert rate.per_second == expected
    assert f"floor({w.max_capacity} tasks x 0.495 msg/s - 6.94 arriving)" in rate.reason


def test_rate_outside_startmessagemovetask_limits_is_rejected():
    with pytest.raises(ValueError, match=r"--rate 501 is out of range; allowed: 1-500"):
        redrive.check_rate(501)


def test_start_redrive_says_plainly_when_the_endpoint_lacks_startmessagemovetask(stack):
    create_queues(dlq_messages=1)
    sqs = boto3.client("sqs", region_name=REGION)
    w = plan(load_profile(stack)).workloads[0]
    target = redrive.find_redrive(sqs, "seed", w)
    with pytest.raises(qcap_aws.AwsError, match="does not implement StartMessageMoveTask"):
        redrive.start_redrive(sqs, target, 10)


def test_redrive_shows_the_depth_and_starts_the_move_with_the_rate_when_confirmed(stack, move_task):
    queue_arn, dlq_arn = create_queues(dlq_messages=4)
    result = CliRunner().invoke(cli(), ["redrive", str(stack), "--workload", "events", "--rate", "2"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "qcap-seed-events-dlq holds 4 messages (0 in flight)" in result.stdout
    assert "at 2 msg/s from --rate: about 2 s" in result.stdout
    assert "started: task task-handle-1" in result.stdout
    assert move_task == [{"SourceArn": dlq_arn, "DestinationArn": queue_arn, "MaxNumberOfMessagesPerSecond": 2}]


def test_redrive_does_nothing_when_declined(stack, move_task):
    create_queues(dlq_messages=2)
    result = CliRunner().invoke(cli(), ["redrive", str(stack), "--workload", "events"], input="n\n")
    assert result.exit_code == 1
    assert "not started" in result.stdout
    assert move_task == []


def test_redrive_with_yes_does_not_ask(stack, move_task):
    create_queues(dlq_messages=2)
    result = CliRunner().invoke(cli(), ["redrive", str(stack), "--workload", "events", "--yes"])
    assert result.exit_code == 0
    assert "Start the redrive?" not in result.stdout
    assert len(move_task) == 1


def test_redrive_has_nothing_to_move_when_the_dlq_is_empty(stack, move_task):
    create_queues(dlq_messages=0)
    result = CliRunner().invoke(cli(), ["redrive", str(stack), "--workload", "events", "--yes"])
    assert result.exit_code == 0
    assert "nothing to move" in result.stdout
    assert move_task == []


def test_redrive_exits_2_naming_the_allowed_workloads_when_the_workload_is_unknown(stack):
    result = CliRunner().invoke(cli(), ["redrive", str(stack), "--workload", "orders", "--yes"])
    assert result.exit_code == 2
    assert "--workload 'orders' is not in this stack; allowed: events" in result.stderr


def test_redrive_exits_2_when_the_queues_are_not_deployed(stack):
    result = CliRunner().invoke(cli(), ["redrive", str(stack), "--workload", "events", "--yes"])
    assert result.exit_code == 2
    assert "queue qcap-seed-events does not exist" in result.stderr


def test_an_html_500_from_the_endpoint_says_it_does_not_implement_start_message_move_task():
    """moto 5.2 answers StartMessageMoveTask with an HTML 500 page; the user sees one line, as docs/doctor.md says."""
    from botocore.exceptions import ClientError

    class HtmlSqs:
        def start_message_move_task(self, **_):
            raise ClientError(
                {"Error": {"Code": "500", "Message": "<!doctype html>\n<html lang=en>\n<title>500</title>\n"},
                 "ResponseMetadata": {"HTTPStatusCode": 500, "HTTPHeaders": {"content-type": "text/html"}}},
                "StartMessageMoveTask",
            )

    target = redrive.RedriveTarget("q", "arn:aws:sqs:eu-west-1:1:q", "q-dlq", "arn:aws:sqs:eu-west-1:1:q-dlq", 5, 0)
    with pytest.raises(qcap_aws.AwsError) as caught:
        redrive.start_redrive(HtmlSqs(), target, 10)
    assert str(caught.value) == (
        "this endpoint does not implement StartMessageMoveTask (it answered HTTP 500 with a web page; moto does not "
        "implement it, as of moto 5.2): run the redrive against SQS itself or LocalStack"
    )
