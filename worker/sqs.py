"""An SQS consumer that keeps the plan's promises.

Long polling (`RECEIVE_WAIT_SECONDS`, capped at half the stop timeout so a poll in
progress at SIGTERM ends in time); never more messages than free slots; `CONCURRENCY`
handler threads; deletes in batches of 10; a failed message is made invisible for a
backoff (2 s doubling per receive, to 5 minutes) and after `MAX_RECEIVE_COUNT` receives the
queue's redrive policy moves it to the DLQ; a message held past half its visibility
timeout is extended; FIFO message groups run one message at a time, in order.
Two clients (worker/aws.py): long polls on one, and on the other the calls that must land
while a message is still leased, with timeouts and tries (botocore's standard retry mode,
never a loop of our own) that fit what the heartbeat leaves of the visibility timeout.
"""

from __future__ import annotations

import math
from typing import Any

from capacity import limits
from worker.aws import cloudwatch_client, endpoint_of, sqs_clients
from worker.calls import CallWatch, FaultLog
from worker.config import WorkerConfig
from worker.engine import Engine, Handler, Message
from worker.metrics import MetricsPublisher, PublishesMetrics
from worker.processing_stats import ProcessingStats
from worker.protection import TaskProtection

SYSTEM_ATTRIBUTES = ["ApproximateReceiveCount", "MessageGroupId", "SentTimestamp"]


def chunks(items: list[Any], size: int = limits.SQS_MAX_BATCH_ENTRIES) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class SqsBroker(PublishesMetrics):
    """ReceiveMessage / DeleteMessageBatch / ChangeMessageVisibilityBatch on one queue."""

    name = "sqs"
    long_polls = True  # a receive may take its whole wait before it answers

    def __init__(self, sqs: Any, config: WorkerConfig, lease_sqs: Any | None = None):
        if not config.queue_url:
            raise ValueError("SqsBroker needs QUEUE_URL")
        self.sqs = sqs
        self.lease_sqs = lease_sqs or sqs
        self.config = config
        self.url = config.queue_url
        self.endpoint = endpoint_of(sqs) or self.url
        self.metrics: MetricsPublisher | None = None

    def probe(self) -> None:
        """One short call at start, so an endpoint that does not answer is reported within seconds."""
        self.lease_sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"])

    def fetch(self, count: int, wait_seconds: int) -> list[tuple[Message, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(count, limits.SQS_MAX_RECEIVE_BATCH),
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.config.visibility_timeout_seconds,
            MessageSystemAttributeNames=SYSTEM_ATTRIBUTES,
            MessageAttributeNames=["All"],
        )
        fetched = []
        for raw in answer.get("Messages", []):
            attributes = raw.get("Attributes", {})
            message = Message(
                id=raw["MessageId"],
                body=raw.get("Body", ""),
                receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
                group_id=attributes.get("MessageGroupId"),
                attributes={**attributes, "MessageAttributes": raw.get("MessageAttributes", {})},
            )
            fetched.append((message, raw["ReceiptHandle"]))
        return fetched

    def _batch(self, operation: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        failed: list[dict[str, Any]] = []
        call = getattr(self.lease_sqs, operation)
        for chunk in chunks(entries):
            answer = call(QueueUrl=self.url, Entries=chunk)
            failed.extend(answer.get("Failed", []))
        return failed

    def complete(self, tokens: list[Any]) -> list[Any]:
        """Delete; returns the receipt handles SQS refused (a stale handle: the message comes back)."""
        entries = [{"Id": str(i), "ReceiptHandle": t} for i, t in enumerate(tokens)]
        failed = self._batch("delete_message_batch", entries)
        return [tokens[int(f["Id"])] for f in failed]

    def _visibility(self, tokens: list[Any], seconds: int) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": t, "VisibilityTimeout": seconds} for i, t in enumerate(tokens)]
        failed = self._batch("change_message_visibility_batch", entries)
        if failed:
            raise RuntimeError(f"ChangeMessageVisibilityBatch failed for {len(failed)} entries: {failed[:3]}")

    def fail(self, message: Message, token: Any, error: BaseException) -> str:
        """Back off, or (budget spent) make it visible at once so the redrive policy moves it."""
        if message.receive_count >= self.config.max_receive_count:
            self._visibility([token], 0)
            return "dead_lettered"
        self._visibility([token], self.config.backoff_seconds(message.receive_count))
        return "retried"

    def release(self, tokens: list[Any]) -> None:
        self._visibility(tokens, 0)

    def extend(self, tokens: list[Any]) -> None:
        self._visibility(tokens, self.config.visibility_timeout_seconds)

    def housekeep(self) -> None:
        """Queue the worker's own metrics when a period has passed (sent on their own thread), if it publishes."""
        if self.metrics is not None:
            self.metrics.maybe_publish()


def receivers_for(config: WorkerConfig) -> int:
    """Parallel long polls: enough to fill the slots one receive batch each, at most 4."""
    batch = min(config.receive_batch, limits.SQS_MAX_RECEIVE_BATCH)
    if config.receivers:
        return config.receivers
    return max(1, min(limits.WORKER_MAX_RECEIVERS, math.ceil(config.concurrency / batch)))


def sqs_worker(handler: Handler, config: WorkerConfig, sqs: Any | None = None,
               protection: TaskProtection | None = None, cloudwatch: Any | None = None) -> Engine:
    """A ready-to-run SQS worker: `sqs_worker(handle, WorkerConfig.from_env()).run()`.

    `sqs` (a test's client) replaces both of the worker's own clients. With METRIC_NAMESPACE set (the
    components set it) and PUBLISH_METRICS on, it publishes its own metrics (worker/metrics.py) there, through
    `cloudwatch` or else a client of its own with the metrics' timeouts and tries (worker/aws.py), on a
    thread of its own: a CloudWatch that never answers delays only the metrics.
    """
    receive, lease = (sqs, sqs) if sqs is not None else sqs_clients(config)
    broker = SqsBroker(receive, config, lease)
    watch = CallWatch(FaultLog())
    stats = ProcessingStats()
    if config.publish_namespace is not None:
        broker.metrics = MetricsPublisher(None, cloudwatch or cloudwatch_client(config), config, watch,
                                          processing=stats)
    protection = protection or TaskProtection(config.ecs_agent_uri, config.protection_idle_seconds,
                                              faults=watch.faults)
    fetch_batch = min(config.receive_batch, limits.SQS_MAX_RECEIVE_BATCH)
    return Engine(broker, handler, config.with_changes(receive_batch=fetch_batch), protection,
                  receivers=receivers_for(config), watch=watch, stats=stats)
