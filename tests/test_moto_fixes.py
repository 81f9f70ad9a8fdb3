"""The moto mends the tests stand on: a delete cannot drop a message sent while it runs."""

from __future__ import annotations

import threading

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message, Queue

import moto_fixes

PAUSE_SECONDS = 1.0
JOIN_SECONDS = 10.0


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("sqs", region_name="eu-west-1")


def counts(sqs, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_send_racing_two_deletes_stays_in_the_queue_and_both_deleted_messages_stay_gone(sqs, monkeypatch):
    # Unmended, delete B pauses mid-rebuild, delete A and a send finish, and B then writes back
    # the list it read: the sent message vanishes and A's comes back. Mended, they wait their turn.
    url = sqs.create_queue(QueueName="race")["QueueUrl"]
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    handles = {m["Body"]: m["ReceiptHandle"]
               for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)["Messages"]}
    release, paused = threading.Event(), threading.Event()
    calls_in_b = []
    original = Message.had_receipt_handle

    def pause_b_mid_rebuild(self, receipt_handle):
        if threading.current_thread().name == "delete-b":
            calls_in_b.append(receipt_handle)
            if len(calls_in_b) == 3:  # after the lookup (a, b), the rebuild's first message
                paused.set()
                release.wait(PAUSE_SECONDS)
        return original(self, receipt_handle)

    monkeypatch.setattr(Message, "had_receipt_handle", pause_b_mid_rebuild)
    delete_b = threading.Thread(target=sqs.delete_message, name="delete-b",
                                kwargs={"QueueUrl": url, "ReceiptHandle": handles["b"]})
    delete_b.start()
    assert paused.wait(JOIN_SECONDS), "moto's delete no longer looks up and rebuilds as this test stages it"
    others = [threading.Thread(target=sqs.delete_message, kwargs={"QueueUrl": url, "ReceiptHandle": handles["a"]}),
              threading.Thread(target=sqs.send_message, kwargs={"QueueUrl": url, "MessageBody": "sent meanwhile"})]
    for thread in others:
        thread.start()
        thread.join(PAUSE_SECONDS / 4)  # unmended, each finishes while B is paused
    release.set()
    for thread in [delete_b, *others]:
        thread.join(JOIN_SECONDS)
    monkeypatch.setattr(Message, "had_receipt_handle", original)
    assert counts(sqs, url) == (1, 0)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["sent meanwhile"]


def test_applying_the_mends_twice_wraps_the_delete_once():
    delete = Queue.delete_message
    moto_fixes.apply()
    assert Queue.delete_message is delete
