"""SQS rules over each queue's attributes however they are set: FIFO high throughput, redrive and redrive-allow."""

from __future__ import annotations

import json

from factories import registration
from pulumi.runtime.mocks import MockResourceArgs

from qcap.offline.contract_calls import translate
from qcap.offline.contract_rules import check_rules
from qcap.offline.contract_rules_queues import queue_url
from qcap.offline.mock_provider import QcapMocks

QUEUE = "aws:sqs/queue:Queue"


def resource(type_: str, logical: str, **inputs):
    _, outputs = QcapMocks().new_resource(MockResourceArgs(typ=type_, name=logical, inputs=inputs))
    return registration(type_, logical, inputs, outputs)


def violations(*resources) -> list[tuple[str, str, str]]:
    calls = [call for r in resources for call in translate(r)]
    return [(v.resource, v.field, v.message) for v in check_rules(calls, list(resources)).violations]


def test_a_queue_url_is_read_from_its_arn():
    assert queue_url("arn:aws:sqs:eu-west-1:123456789012:jobs") == "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
    assert queue_url("arn:aws:sns:eu-west-1:123456789012:t") is None


def test_fifo_per_message_group_throughput_needs_message_group_deduplication():
    def fifo(**extra):
        return resource(QUEUE, "q", name="q.fifo", fifoQueue=True, fifoThroughputLimit="perMessageGroupId", **extra)

    refused = "FifoThroughputLimit perMessageGroupId with DeduplicationScope queue: SQS refuses the pair"
    assert violations(fifo(deduplicationScope="queue")) == [("q", "Attributes.FifoThroughputLimit", refused)]
    assert violations(fifo()) == [("q", "Attributes.FifoThroughputLimit", refused)]
    assert violations(fifo(deduplicationScope="messageGroup")) == []


def dlq_with(allow: dict | None, name: str = "jobs-dlq"):
    extra = {"redriveAllowPolicy": json.dumps(allow)} if allow is not None else {}
    return resource(QUEUE, name, name=name, messageRetentionSeconds=1_209_600.0, **extra)


def source_to(dlq, name: str = "jobs"):
    redrive = json.dumps({"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5})
    return resource(QUEUE, name, name=name, redrivePolicy=redrive)


def test_a_redrive_to_a_dlq_that_denies_all_sources_is_refused():
    dlq = dlq_with({"redrivePermission": "denyAll"})
    ((where, field, message),) = violations(dlq, source_to(dlq))
    assert (where, field) == ("jobs", "Attributes.RedrivePolicy.deadLetterTargetArn")
    assert message.startswith("DLQ jobs-dlq's redrive-allow policy denies every source queue (denyAll)")


def test_a_redrive_to_a_dlq_that_admits_other_queues_only_is_refused_and_one_naming_it_accepted():
    other = "arn:aws:sqs:us-east-1:123456789012:other"
    dlq = dlq_with({"redrivePermission": "byQueue", "sourceQueueArns": [other]})
    ((_, _, message),) = violations(dlq, source_to(dlq))
    assert f"admits only {other} (byQueue)" in message
    source = source_to(dlq)
    admitting = dlq_with({"redrivePermission": "byQueue", "sourceQueueArns": [other, source.outputs["arn"]]})
    assert violations(admitting, source_to(admitting)) == []
    assert violations(dlq_with({"redrivePermission": "allowAll"}), source) == []
    assert violations(dlq_with(None), source) == []


def test_redrive_and_redrive_allow_set_apart_from_their_queues_are_read_as_if_set_on_them():
    dlq, source = dlq_with(None), resource(QUEUE, "jobs", name="jobs")
    redrive = resource("aws:sqs/redrivePolicy:RedrivePolicy", "jobs-redrive", queueUrl=source.outputs["url"],
                       redrivePolicy=json.dumps({"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}))

    def allow(arns: list[str]):
        return resource("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", "dlq-allow", queueUrl=dlq.outputs["url"],
                        redriveAllowPolicy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": arns}))

    ((where, field, message),) = violations(dlq, source, redrive, allow(["arn:aws:sqs:us-east-1:123456789012:x"]))
    assert (where, field) == ("jobs-redrive", "Attributes.RedrivePolicy.deadLetterTargetArn")
    assert message.endswith(f"{source.outputs['arn']} is not admitted")
    assert violations(dlq, source, redrive, allow([source.outputs["arn"]])) == []


def test_a_redrive_set_apart_is_held_to_the_dlq_kind_and_retention_rules_too():
    dlq = resource(QUEUE, "short-dlq", name="short-dlq", messageRetentionSeconds=60.0)
    source = resource(QUEUE, "jobs", name="jobs")
    redrive = resource("aws:sqs/redrivePolicy:RedrivePolicy", "jobs-redrive", queueUrl=source.outputs["url"],
                       redrivePolicy=json.dumps({"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}))
    assert violations(dlq, source, redrive) == [
        ("jobs-redrive", "Attributes.MessageRetentionPeriod",
         "DLQ 60 s <= source 345600 s: a dead letter keeps its enqueue time")]
