"""`qcap load`'s threads: send N numbered messages, optionally drain them, within one deadline.

Sends are SendMessageBatch calls of up to 10 from a pool of threads, paced by a shared rate
limiter, on a client without botocore's retries: a batch is tried again only when it cannot
have landed (or, FIFO, when resending is idempotent), so nothing lands twice unseen (see
`send_outcome`). Draining receives and deletes this run's messages alongside the sends, as a
consumer would; the first message that is not this run's is released at once and draining
stops (receiving others' messages spends their receives). With a drain, the drain timeout
bounds the whole run: sends, drain and the calls still in flight, which are abandoned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from capacity import limits
from qcap.live.load import (
    DEFAULT_DRAIN_TIMEOUT_SECONDS,
    DRAIN_VISIBILITY_TIMEOUT_SECONDS,
    DRAIN_WAIT_SECONDS,
    SEND_ATTEMPTS,
    SEND_BACKOFF_SECONDS,
    DrainReport,
    QueueCounts,
    RateLimiter,
    SendReport,
    batches,
    boto_errors,
    error_code_of,
    id_of,
    send_outcome,
)

# After the deadline, threads with a call in flight get this long before the report is made without them.
ABANDON_AFTER_SECONDS = 2.0
COUNT_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed"]


def queue_counts(sqs: Any, queue_url: str) -> QueueCounts:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=COUNT_ATTRIBUTES)["Attributes"]
    return QueueCounts.from_attributes(attributes)


@dataclass
class _Shared:
    """State the sending and draining threads share, under one lock."""

    send: SendReport
    drain: DrainReport | None
    fifo: bool
    deadline: float | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    sending_done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    max_outstanding: int | None = None
    outstanding_waits: int = 0
    empty_after_sends: bool = False

    def __post_init__(self) -> None:
        self.drained = threading.Condition(self.lock)

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def outstanding(self) -> int:
        """Messages sent and not yet received and deleted (only meaningful while draining)."""
        assert self.drain is not None
        return len(self.send.sent_ids) - len(self.drain.returned_ids)

    def wait_for_room(self) -> None:
        """Closed loop: hold the senders while max_outstanding messages wait in the queue."""
        if self.drain is None or self.max_outstanding is None:
            return
        with self.drained:
            if self.outstanding() >= self.max_outstanding:
                self.outstanding_waits += 1
                self.drained.wait_for(lambda: self.outstanding() < self.max_outstanding or self.stop.is_set(),
                                      timeout=self.remaining())

    def all_back(self) -> bool:
        """Every acknowledged id received; sends without an answer waited for until the queue looked empty."""
        assert self.drain is not None
        if not self.sending_done.is_set() or not self.send.sent_ids <= self.drain.received_ids:
            return False
        return self.send.uncertain_ids <= self.drain.received_ids or self.empty_after_sends


def run(
    sqs: Any,
    queue_url: str,
    run_id: str,
    messages: int,
    size_bytes: int,
    *,
    rate_per_second: float | None,
    concurrency: int,
    fifo: bool = False,
    drain: bool = False,
    drain_timeout_seconds: float = DEFAULT_DRAIN_TIMEOUT_SECONDS,
    drain_concurrency: int | None = None,
    max_outstanding: int | None = None,
    send_sqs: Any | None = None,
    on_sent: Callable[[int], None] = lambda n: None,
    on_drained: Callable[[int], None] = lambda n: None,
) -> tuple[SendReport, DrainReport | None]:
    """Send `messages` numbered messages; with `drain`, receive and delete them alongside, all within the timeout.

    `send_sqs` is the client for SendMessageBatch, best without botocore's retries (the
    command's is); `sqs` receives, deletes and reads. With `max_outstanding` the load is a
    closed loop: senders wait while that many messages are in the queue.
    """
    started = time.monotonic()
    shared = _Shared(SendReport(requested=messages), DrainReport(expected=0) if drain else None, fifo,
                     started + drain_timeout_seconds if drain else None, max_outstanding=max_outstanding)
    limiter = RateLimiter(rate_per_second)
    source = batches(run_id, messages, size_bytes, fifo, groups=max(1, concurrency))
    senders = [threading.Thread(target=_send_worker, args=(send_sqs or sqs, queue_url, run_id, source, limiter,
                                                           shared, on_sent), name=f"qcap-load-send-{i}", daemon=True)
               for i in range(concurrency)]
    drainers = [threading.Thread(target=_drain_worker, args=(sqs, queue_url, run_id, shared, on_drained),
                                 name=f"qcap-load-drain-{i}", daemon=True)
                for i in range((drain_concurrency or concurrency) if drain else 0)]
    for t in senders + drainers:
        t.start()
    for t in senders:
        t.join(shared.remaining())
    shared.send.elapsed_seconds = time.monotonic() - started
    shared.sending_done.set()
    for t in drainers:
        t.join(shared.remaining())
    shared.stop.set()
    with shared.drained:
        shared.drained.notify_all()
    for t in senders + drainers:  # a call still in flight at the deadline is abandoned
        t.join(ABANDON_AFTER_SECONDS if shared.deadline is not None else None)
    with shared.lock:
        send = _snapshot_send(shared.send)
        return send, (_finish_drain(shared.drain, send, started) if shared.drain is not None else None)


def _snapshot_send(report: SendReport) -> SendReport:
    return SendReport(report.requested, set(report.sent_ids), set(report.uncertain_ids), report.calls,
                      report.retries, report.not_attempted, report.elapsed_seconds, list(report.latencies_ms),
                      report.errors.copy())


def _finish_drain(drain: DrainReport, send: SendReport, started: float) -> DrainReport:
    received = set(drain.received_ids)
    missing = send.sent_ids - received
    return DrainReport(
        expected=send.sent, received_ids=received, returned_ids=set(drain.returned_ids), duplicates=drain.duplicates,
        foreign=drain.foreign, deleted=drain.deleted, elapsed_seconds=time.monotonic() - started,
        timed_out=bool(missing) and drain.foreign == 0, errors=drain.errors.copy(), missing_ids=missing,
        uncertain_arrived=len(send.uncertain_ids & received), uncertain_missing=len(send.uncertain_ids - received),
    )


def _send_worker(sqs: Any, queue_url: str, run_id: str, source: Iterator[list[dict[str, str]]],
                 limiter: RateLimiter, shared: _Shared, on_sent: Callable[[int], None]) -> None:
    while True:
        with shared.lock:
            entries = next(source, None)
            if entries is not None and (shared.out_of_time() or shared.stop.is_set()):
                shared.send.not_attempted += len(entries)
                continue
        if entries is None:
            return
        shared.wait_for_room()
        limiter.acquire(len(entries))
        if shared.out_of_time() or shared.stop.is_set():
            with shared.lock:
                shared.send.not_attempted += len(entries)
            continue
        _send_batch(sqs, queue_url, run_id, entries, shared)
        on_sent(len(entries))


def _send_batch(sqs: Any, queue_url: str, run_id: str, entries: list[dict[str, str]], shared: _Shared) -> None:
    """One batch: tried again only while it cannot have landed twice; its ids end sent, uncertain or failed."""
    report = shared.send
    ids = {e["Id"]: id_of(e["MessageBody"], run_id) for e in entries}
    pending, last_code = entries, "Failed"
    for attempt in range(SEND_ATTEMPTS):
        if attempt:
            time.sleep(min(SEND_BACKOFF_SECONDS * 2 ** (attempt - 1), shared.remaining() or 0.0)
                       if shared.deadline is not None else SEND_BACKOFF_SECONDS * 2 ** (attempt - 1))
            if shared.out_of_time():
                break
        began = time.perf_counter()
        try:
            response = sqs.send_message_batch(QueueUrl=queue_url, Entries=pending)
        except boto_errors() as exc:  # classified: retried, uncertain or failed
            outcome, last_code = send_outcome(exc, shared.fifo), error_code_of(exc)
            with shared.lock:
                report.calls += 1
                if outcome == "uncertain":
                    report.uncertain_ids.update(ids[e["Id"]] for e in pending)
                elif outcome == "failed":
                    report.errors[last_code] += len(pending)
                else:
                    report.retries += 1
            if outcome != "retry":
                return
            continue
        retry = []
        with shared.lock:
            report.calls += 1
            report.latencies_ms.append((time.perf_counter() - began) * 1000)
            for ok in response.get("Successful", []):
                report.sent_ids.add(ids[ok["Id"]])
                report.uncertain_ids.discard(ids[ok["Id"]])
            by_id = {e["Id"]: e for e in pending}
            for failure in response.get("Failed", []):
                last_code = failure.get("Code", "Failed")
                if failure.get("SenderFault"):
                    report.errors[last_code] += 1
                else:  # SQS says it did not take this entry: safe to send again
                    retry.append(by_id[failure["Id"]])
            if retry:
                report.retries += 1
        if not retry:
            return
        pending = retry
    with shared.lock:
        for e in pending:
            if ids[e["Id"]] not in report.uncertain_ids:
                report.errors[last_code] += 1


def _drain_worker(sqs: Any, queue_url: str, run_id: str, shared: _Shared, on_drained: Callable[[int], None]) -> None:
    report = shared.drain
    assert report is not None
    while not shared.stop.is_set() and not shared.out_of_time():
        with shared.lock:
            if shared.all_back():
                return
        try:
            response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=limits.SQS_MAX_RECEIVE_BATCH,
                                           WaitTimeSeconds=DRAIN_WAIT_SECONDS,
                                           VisibilityTimeout=DRAIN_VISIBILITY_TIMEOUT_SECONDS)
        except boto_errors() as exc:  # counted; the next poll tries again
            with shared.lock:
                report.errors[error_code_of(exc)] += 1
            continue
        received = response.get("Messages", [])
        ours, our_ids, others, fresh = [], [], [], 0
        with shared.lock:
            if not received and shared.sending_done.is_set() and shared.send.sent_ids <= report.received_ids:
                shared.empty_after_sends = True
            for m in received:
                mid = id_of(m.get("Body", ""), run_id)
                if mid is None:
                    others.append(m)
                    continue
                if mid in report.received_ids:
                    report.duplicates += 1
                else:
                    report.received_ids.add(mid)
                    fresh += 1
                ours.append({"Id": str(len(ours)), "ReceiptHandle": m["ReceiptHandle"]})
                our_ids.append(mid)
            report.foreign += len(others)
        if others:  # someone else sends to this queue: give theirs back and touch no more of them
            _release(sqs, queue_url, others, report, shared.lock)
            shared.stop.set()
        if ours:
            _delete(sqs, queue_url, ours, report, shared.lock)
            with shared.lock:
                report.returned_ids.update(our_ids)
        if fresh:
            with shared.drained:
                shared.drained.notify_all()
            on_drained(fresh)


def _delete(sqs: Any, queue_url: str, entries: list[dict[str, str]], report: DrainReport, lock: threading.Lock) -> None:
    try:
        response = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    except boto_errors() as exc:  # counted
        with lock:
            report.errors[error_code_of(exc)] += len(entries)
        return
    with lock:
        report.deleted += len(response.get("Successful", []))
        for failure in response.get("Failed", []):
            report.errors[failure.get("Code", "DeleteFailed")] += 1


def _release(sqs: Any, queue_url: str, messages: list[dict[str, Any]], report: DrainReport, lock: threading.Lock) -> None:
    """Make someone else's messages visible again at once: the drain deletes only its own."""
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
               for i, m in enumerate(messages)]
    try:
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    except boto_errors() as exc:  # counted; they come back after the drain's visibility timeout
        with lock:
            report.errors[error_code_of(exc)] += len(entries)
