"""Documented SQS rules of the contract, over each queue's attributes however the program sets them.

A queue's attributes come from its CreateQueue and from every SetQueueAttributes on its URL (the
separate QueuePolicy, RedrivePolicy and RedriveAllowPolicy resources), so a redrive set apart
from the queue is checked exactly as one set on it: maxReceiveCount, a DLQ of the same kind
that outlives its source, and a DLQ whose redrive-allow policy admits the source queue.
"""

from __future__ import annotations

import json
from typing import Any

from capacity import limits
from qcap.offline.contract_base import Checker, check_range, fmt
from qcap.offline.contract_calls import ApiCall

# SQS CreateQueue: a FIFO queue's name ends in ".fifo"; a standard queue's does not.
SQS_FIFO_SUFFIX = limits.SQS_FIFO_QUEUE_SUFFIX
# SQS SetQueueAttributes FifoThroughputLimit: "perMessageGroupId is allowed only when the value for
# DeduplicationScope is messageGroup"; DeduplicationScope defaults to queue.
PER_MESSAGE_GROUP = "perMessageGroupId"
MESSAGE_GROUP_SCOPE = "messageGroup"
DEFAULT_DEDUPLICATION_SCOPE = "queue"
# SQS RedriveAllowPolicy redrivePermission: allowAll (the default), denyAll, or byQueue with sourceQueueArns.
ALLOW_ALL, DENY_ALL, BY_QUEUE = "allowAll", "denyAll", "byQueue"

SRC_SQS = "SQS API reference, SetQueueAttributes"
SRC_SQS_DLQ = "SQS developer guide, dead-letter queues"
SRC_REDRIVE_ALLOW = "SQS API reference, SetQueueAttributes RedriveAllowPolicy"


def queue_url(arn: str) -> str | None:
    """The URL SQS gives the queue of an ARN (how SetQueueAttributes names it), or None for no SQS ARN."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"]:
        return None
    return f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}"


def _number(attributes: dict[str, Any], key: str) -> float | None:
    return float(attributes[key]) if attributes.get(key) is not None else None


def _json(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(str(text))
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


class QueueAttributes:
    """Each queue's attributes once every call has run: CreateQueue's, overlaid by SetQueueAttributes on its URL."""

    def __init__(self, calls: list[ApiCall]):
        self.creates = {call.arn: call for call in calls if call.operation == "CreateQueue"}
        self.arn_by_url = {queue_url(arn): arn for arn in self.creates if queue_url(arn)}
        self.attributes = {arn: dict(call.params.get("Attributes") or {}) for arn, call in self.creates.items()}
        for call in calls:
            arn = self.target(call)
            if call.operation == "SetQueueAttributes" and arn in self.attributes:
                self.attributes[arn].update({k: v for k, v in (call.params.get("Attributes") or {}).items()
                                             if v is not None})

    def target(self, call: ApiCall) -> str | None:
        """The ARN of the queue a call creates or sets attributes on, when the queue is in the stack."""
        if call.operation == "CreateQueue":
            return call.arn
        return self.arn_by_url.get(call.params.get("QueueUrl"))


def check_queue(c: Checker, call: ApiCall, attributes: dict[str, Any]) -> None:
    """Ranges, the FIFO suffix and the FIFO high-throughput pair of one created queue."""
    where = call.source
    ranges = (("MessageRetentionPeriod", limits.SQS_MIN_RETENTION_SECONDS, limits.SQS_MAX_RETENTION_SECONDS),
              ("VisibilityTimeout", 0, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS),
              ("MaximumMessageSize", limits.SQS_MIN_MAX_MESSAGE_BYTES, limits.SQS_MAX_MESSAGE_BYTES),
              ("ReceiveMessageWaitTimeSeconds", 0, limits.SQS_MAX_RECEIVE_WAIT_SECONDS),
              ("DelaySeconds", 0, limits.SQS_MAX_DELAY_SECONDS))
    own = call.params.get("Attributes") or {}
    for key, low, high in ranges:
        check_range(c, where, f"Attributes.{key}", _number(own, key), low, high, SRC_SQS)
    fifo = attributes.get("FifoQueue") == "true"
    name = call.params.get("QueueName", "")
    c.check(name.endswith(SQS_FIFO_SUFFIX) == fifo, where, "QueueName", "'.fifo' exactly when FifoQueue is true",
            "SQS API reference, CreateQueue", f"{name!r} with FifoQueue {str(fifo).lower()}")
    if attributes.get("FifoThroughputLimit") == PER_MESSAGE_GROUP:
        scope = attributes.get("DeduplicationScope") or DEFAULT_DEDUPLICATION_SCOPE
        c.check(scope == MESSAGE_GROUP_SCOPE, where, "Attributes.FifoThroughputLimit",
                f"{PER_MESSAGE_GROUP} only with DeduplicationScope {MESSAGE_GROUP_SCOPE}", SRC_SQS,
                f"FifoThroughputLimit {PER_MESSAGE_GROUP} with DeduplicationScope {scope}: SQS refuses the pair")


def check_redrive(c: Checker, call: ApiCall, source_arn: str | None, source: dict[str, Any], queues: QueueAttributes,
                  text: Any) -> None:
    """A redrive policy (on the queue or set apart from it) against its DLQ, when the DLQ is in the stack."""
    where = call.source
    redrive = _json(text)
    if redrive is None:
        c.check(False, where, "Attributes.RedrivePolicy", "a JSON object", SRC_SQS_DLQ, f"{text!r} is not JSON")
        return
    check_range(c, where, "Attributes.RedrivePolicy.maxReceiveCount", redrive.get("maxReceiveCount"),
                limits.SQS_MIN_MAX_RECEIVE_COUNT, limits.SQS_MAX_MAX_RECEIVE_COUNT, SRC_SQS_DLQ)
    dlq_arn = str(redrive.get("deadLetterTargetArn", ""))
    if dlq_arn not in queues.creates:
        return
    dlq_call, dlq = queues.creates[dlq_arn], queues.attributes[dlq_arn]
    fifo, dlq_fifo = source.get("FifoQueue") == "true", dlq.get("FifoQueue") == "true"
    c.check(dlq_fifo == fifo, where, "Attributes.RedrivePolicy.deadLetterTargetArn",
            "a FIFO queue's DLQ is FIFO, a standard queue's is standard", SRC_SQS_DLQ,
            f"{'FIFO' if fifo else 'standard'} queue with {'FIFO' if dlq_fifo else 'standard'} DLQ {dlq_call.resource}")
    check_redrive_allowed(c, call, source_arn, dlq_call, dlq)
    if fifo and dlq_fifo:
        return  # SQS resets a FIFO message's enqueue time when it is dead-lettered: equal retention is safe
    source_retention = _number(source, "MessageRetentionPeriod") or limits.SQS_DEFAULT_RETENTION_SECONDS
    dlq_retention = _number(dlq, "MessageRetentionPeriod") or limits.SQS_DEFAULT_RETENTION_SECONDS
    c.check(dlq_retention > source_retention, where, "Attributes.MessageRetentionPeriod",
            "the DLQ keeps messages longer than its source", SRC_SQS_DLQ + ", message retention",
            f"DLQ {fmt(dlq_retention)} s <= source {fmt(source_retention)} s: a dead letter keeps its enqueue time")


def check_redrive_allowed(c: Checker, call: ApiCall, source_arn: str | None, dlq_call: ApiCall,
                          dlq: dict[str, Any]) -> None:
    """The DLQ's redrive-allow policy must admit the source queue: not denyAll, and byQueue naming it."""
    allow = _json(dlq.get("RedriveAllowPolicy")) if dlq.get("RedriveAllowPolicy") else {}
    if allow is None:
        return  # not JSON: the DLQ's own SetQueueAttributes is refused, and named there by the API layer
    permission = allow.get("redrivePermission", ALLOW_ALL)
    sources = allow.get("sourceQueueArns") or []
    sources = [sources] if isinstance(sources, str) else list(sources)
    admitted = permission == ALLOW_ALL or (permission == BY_QUEUE and source_arn in sources)
    if permission == DENY_ALL:
        why = "denies every source queue (denyAll)"
    elif sources:
        why = f"admits only {', '.join(map(str, sources))} (byQueue)"
    else:
        why = "admits no source queue (byQueue with no sourceQueueArns)"
    c.check(admitted, call.source, "Attributes.RedrivePolicy.deadLetterTargetArn",
            "a DLQ whose RedriveAllowPolicy admits this source queue", SRC_REDRIVE_ALLOW,
            f"DLQ {dlq_call.resource}'s redrive-allow policy {why}; {source_arn or 'this queue'} is not admitted")


def check_queues(c: Checker, calls: list[ApiCall]) -> None:
    """Every created queue, and every redrive policy whether on its queue or set apart by URL."""
    queues = QueueAttributes(calls)
    for arn, call in queues.creates.items():
        check_queue(c, call, queues.attributes[arn])
    for call in calls:
        if call.operation not in ("CreateQueue", "SetQueueAttributes"):
            continue
        text = (call.params.get("Attributes") or {}).get("RedrivePolicy")
        if text is None:
            continue
        source_arn = queues.target(call)
        source = queues.attributes.get(source_arn or "", call.params.get("Attributes") or {})
        check_redrive(c, call, source_arn, source, queues, text)
