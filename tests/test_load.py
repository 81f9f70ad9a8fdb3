"""The load generator's pieces: pacing, percentiles, message ids, batching, and a run against moto."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from qcap.live import load

RUN = "qcap-load-0123456789ab"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_batches_by_size_over_rate_when_called_back_to_back():
    clock = FakeClock()
    limiter = load.RateLimiter(100, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire(10) for _ in range(4)]
    # 10 messages at 100/s take 0.1 s each: the first goes at once, then 0.1 s apart.
    assert waits == pytest.approx([0.0, 0.1, 0.1, 0.1])
    assert clock.now == pytest.approx(100.3)


def test_rate_limiter_does_not_wait_when_callers_are_slower_than_the_rate():
    clock = FakeClock()
    limiter = load.RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.acquire(10)
    clock.now += 5  # the caller took 5 s, longer than the 1 s the rate asks for
    assert limiter.acquire(10) == 0.0
    assert clock.slept == []


def test_rate_limiter_never_waits_when_unlimited():
    clock = FakeClock()
    limiter = load.RateLimiter(None, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire(10) for _ in range(3)] == [0.0, 0.0, 0.0]


def test_rate_limiter_rejects_a_rate_of_zero():
    with pytest.raises(ValueError, match="rate_per_second must be > 0, got 0"):
        load.RateLimiter(0)


def test_percentile_takes_the_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert (load.percentile(values, 50), load.percentile(values, 95), load.percentile(values, 99)) == (50, 95, 99)
    assert load.percentile([7.0], 99) == 7.0
    assert load.percentile([], 50) == 0.0


def test_message_body_carries_its_id_and_has_the_requested_size():
    body = load.message_body(RUN, 42, 100)
    assert len(body.encode()) == 100
    assert load.id_of(body, RUN) == f"{RUN}:0000000042"
    assert load.id_of(body, "qcap-load-someoneelse") is None


def test_entries_per_batch_is_ten_unless_the_one_mib_batch_limit_binds():
    assert load.entries_per_batch(256) == 10
    assert load.entries_per_batch(200_000) == 5  # 1,048,576 // 200,000
    assert load.entries_per_batch(1_048_576) == 1


def test_batches_cover_every_message_once_with_fifo_fields_when_fifo():
    batches = list(load.batches(RUN, 23, 64, fifo=True, groups=4))
    assert [len(b) for b in batches] == [10, 10, 3]
    ids = [load.id_of(e["MessageBody"], RUN) for b in batches for e in b]
    assert len(set(ids)) == 23
    assert batches[2][0]["MessageGroupId"] == f"{RUN}-0"  # message 20 % 4 groups
    assert batches[0][1]["MessageDeduplicationId"] == f"{RUN}-0000000001"


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name="eu-west-1")


def test_run_sends_and_drains_every_message_when_draining(sqs):
    url = sqs.create_queue(QueueName="load")["QueueUrl"]
    sent, drained = load.run(sqs, url, RUN, 250, 128, rate_per_second=None, concurrency=4, drain=True,
                             drain_timeout_seconds=30)
    assert (sent.sent, sent.failed, sent.calls) == (250, 0, 25)
    assert len(sent.latencies_ms) == 25
    assert drained is not None
    assert (drained.expected, len(drained.received_ids), drained.lost, drained.timed_out) == (250, 250, 0, False)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
        "ApproximateNumberOfMessages"] == "0"


def test_run_leaves_other_messages_in_the_queue_when_draining(sqs):
    url = sqs.create_queue(QueueName="shared")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="somebody else's order")
    _, drained = load.run(sqs, url, RUN, 30, 128, rate_per_second=None, concurrency=2, drain=True,
                          drain_timeout_seconds=30)
    assert drained is not None and drained.lost == 0
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in left] == ["somebody else's order"]


def test_run_reports_lost_messages_when_something_else_consumes_them(sqs):
    url = sqs.create_queue(QueueName="thief")["QueueUrl"]
    stolen: list[str] = []

    def steal_first_receive(parsed, **_):
        # a competing consumer takes the first batch this drain receives
        if not stolen and parsed.get("Messages"):
            stolen.extend(m["Body"] for m in parsed["Messages"])
            parsed["Messages"] = []

    sqs.meta.events.register("after-call.sqs.ReceiveMessage", steal_first_receive)
    sent, drained = load.run(sqs, url, RUN, 20, 64, rate_per_second=None, concurrency=1, drain=True,
                             drain_timeout_seconds=2)
    assert drained is not None
    assert sent.sent == 20
    assert drained.lost == len(stolen) > 0
    assert drained.timed_out is True
    assert drained.missing_ids == {load.id_of(b, RUN) for b in stolen}


def test_run_counts_failed_entries_as_errors_not_as_sent(sqs):
    url = sqs.create_queue(QueueName="failing")["QueueUrl"]

    def fail_batches(request, **_):
        entries = json.loads(request.body)["Entries"]
        body = {"Successful": [], "Failed": [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try again"} for e in entries]}
        response = AWSResponse(request.url, 200, {}, None)
        response._content = json.dumps(body).encode()
        return response

    sqs.meta.events.register_first("before-send.sqs.SendMessageBatch", fail_batches)
    sent, drained = load.run(sqs, url, RUN, 15, 64, rate_per_second=None, concurrency=2)
    assert (sent.sent, sent.failed, dict(sent.errors)) == (0, 15, {"InternalError": 15})
    assert drained is None


def test_run_holds_senders_while_max_outstanding_messages_wait_when_closed_loop(sqs):
    url = sqs.create_queue(QueueName="closed")["QueueUrl"]
    observer = boto3.client("sqs", region_name="eu-west-1")
    depths: list[int] = []

    def record_depth(**_):
        attributes = observer.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        depths.append(int(attributes["ApproximateNumberOfMessages"]) +
                      int(attributes["ApproximateNumberOfMessagesNotVisible"]))

    sqs.meta.events.register("before-call.sqs.SendMessageBatch", record_depth)
    sent, drained = load.run(sqs, url, RUN, 200, 64, rate_per_second=None, concurrency=1, drain=True,
                             drain_timeout_seconds=30, max_outstanding=10)
    assert drained is not None and (sent.sent, drained.lost) == (200, 0)
    # a batch goes out only while fewer than 10 sent messages are still in the queue
    assert len(depths) == 20 and max(depths) < 10
