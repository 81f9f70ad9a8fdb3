"""`qcap load`'s sending and draining threads against a moto server on 127.0.0.1, some through a slow proxy.

Every test counts what is in the queue afterwards with a client of its own: what arrived, by id
or by the queue's count, never what the run hoped.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from fault_servers import TcpProxy

from qcap.live import load, load_run
from qcap.live.aws import Timeouts, client_config

pytestmark = pytest.mark.slow
RUN = "qcap-load-0123456789ab"


def client(url: str, read_seconds: float = 4, attempts: int = 4):
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=client_config(Timeouts(connect_seconds=2, read_seconds=read_seconds,
                                                      max_attempts=attempts)))


def new_queue(sqs, prefix: str) -> str:
    return sqs.create_queue(QueueName=f"{prefix}-{uuid.uuid4().hex[:8]}")["QueueUrl"]


def held(sqs, url: str) -> int:
    return load_run.queue_counts(sqs, url).total


def test_run_sends_and_drains_every_message_when_draining(moto):
    sqs = client(moto.url)
    url = new_queue(sqs, "load")
    sent, drained = load_run.run(sqs, url, RUN, 250, 128, rate_per_second=None, concurrency=2, drain=True,
                                 drain_timeout_seconds=60)
    assert (sent.sent, sent.uncertain, sent.failed, sent.calls) == (250, 0, 0, 25)
    assert drained is not None and drained.none_lost
    assert (drained.expected, len(drained.received_ids), drained.lost) == (250, 250, 0)
    assert held(sqs, url) == 0


def test_a_send_without_an_answer_is_counted_uncertain_and_never_lands_twice(moto):
    """Every third connection answers 1.5 s late, past a 1 s read timeout; its request has already landed."""
    direct = client(moto.url)
    url = new_queue(direct, "slow")
    with TcpProxy(int(moto.url.rsplit(":", 1)[1]), delay_seconds=1.5, slow=lambda i: i % 3 == 2) as proxy:
        sender = client(f"http://127.0.0.1:{proxy.port}", read_seconds=1, attempts=1)
        sent, _ = load_run.run(direct, url, RUN, 300, 64, rate_per_second=None, concurrency=2, send_sqs=sender)
    landed = held(direct, url)
    print(f"\nslow endpoint, no drain: acknowledged {sent.sent}, uncertain {sent.uncertain}, failed {sent.failed}; "
          f"the queue holds {landed} of 300 ({proxy.delayed} answers delayed)")
    assert sent.uncertain > 0 and sent.failed == 0
    assert sent.sent + sent.uncertain == 300
    assert landed == 300  # each landed once: an uncertain batch is not sent again


def test_the_drain_timeout_bounds_the_whole_run_when_a_competing_consumer_takes_messages(moto):
    sqs = client(moto.url)
    url = new_queue(sqs, "stolen")
    stop = threading.Event()
    taken: list[str] = []

    def competitor() -> None:
        thief = client(moto.url)
        while not stop.is_set():
            for m in thief.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                taken.append(m["Body"])
                thief.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    thread = threading.Thread(target=competitor, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        sent, drained = load_run.run(sqs, url, RUN, 200, 64, rate_per_second=None, concurrency=2, drain=True,
                                     drain_timeout_seconds=10, max_outstanding=20)
    finally:
        elapsed = time.monotonic() - started
        stop.set()
        thread.join(5)
    print(f"\ndrain timeout 10 s with a competing consumer: {elapsed:.1f} s, sent {sent.sent}, "
          f"not attempted {sent.not_attempted}, received {len(drained.received_ids)}, lost {drained.lost}")
    assert elapsed < 10 + 4
    assert drained.lost > 0 and not drained.none_lost and drained.timed_out
    assert drained.missing_ids <= {load.id_of(b, RUN) for b in taken}


def test_the_drain_gives_back_a_message_it_did_not_send_and_stops_draining(moto):
    sqs = client(moto.url)
    url = new_queue(sqs, "shared")

    def someone_else_sends(**_):
        if not getattr(someone_else_sends, "done", False):
            someone_else_sends.done = True
            sqs.send_message(QueueUrl=url, MessageBody="somebody else's order")

    sqs.meta.events.register("after-call.sqs.SendMessageBatch", someone_else_sends)
    sent, drained = load_run.run(sqs, url, RUN, 100, 64, rate_per_second=None, concurrency=1, drain=True,
                                 drain_timeout_seconds=30, max_outstanding=100)
    assert drained.foreign == 1 and not drained.none_lost
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"],
                              WaitTimeSeconds=1)["Messages"]
    mine = [m for m in got if m["Body"] == "somebody else's order"]
    deadline = time.monotonic() + 5
    while not mine and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"],
                                  WaitTimeSeconds=1).get("Messages", [])
        mine = [m for m in got if m["Body"] == "somebody else's order"]
    assert mine and mine[0]["Attributes"]["ApproximateReceiveCount"] == "2"  # the drain's one receive, then ours


def test_failed_entries_are_errors_not_sent_and_are_tried_again_when_sqs_did_not_take_them(moto):
    sqs = client(moto.url)
    url = new_queue(sqs, "failing")
    calls = []

    def fail_first_tries(request, **_):
        calls.append(1)
        if len(calls) > 2:
            return None  # from the third call on, SQS takes them
        entries = json.loads(request.body)["Entries"]
        body = {"Successful": [], "Failed": [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try again"} for e in entries]}
        response = AWSResponse(request.url, 200, {}, None)
        response._content = json.dumps(body).encode()
        return response

    sqs.meta.events.register_first("before-send.sqs.SendMessageBatch", fail_first_tries)
    sent, _ = load_run.run(sqs, url, RUN, 10, 64, rate_per_second=None, concurrency=1)
    assert (sent.sent, sent.failed, sent.retries) == (10, 0, 2)
    assert held(client(moto.url), url) == 10
