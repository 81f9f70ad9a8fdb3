"""A bounded load generator for one SQS queue: send N uniquely numbered messages, optionally drain them.

Sends are SendMessageBatch calls of up to 10 from a pool of threads, paced by a shared rate
limiter; each call's latency is recorded. Draining receives and deletes only this run's
messages (anything else is released back at once) and checks by id that every message that
was sent came back. Draining runs alongside the sends, as a consumer would, so the queue stays
shallow; after the last send it continues until every id is back or the timeout passes.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from capacity import limits

ID_SEPARATOR = ":"
INDEX_DIGITS = 10
# Drain: short long-polls so an empty queue is noticed quickly, a visibility timeout long enough
# to delete what was received, and a bound on how long to wait for stragglers after the last send.
DRAIN_WAIT_SECONDS = 1
DRAIN_VISIBILITY_TIMEOUT_SECONDS = 60
DEFAULT_DRAIN_TIMEOUT_SECONDS = 300
DEFAULT_MESSAGE_BYTES = 256
DEFAULT_CONCURRENCY = 8
# With --drain, senders wait while this many messages are sent and not yet back: two
# receive batches. Open loop, moto (and a slow consumer) fall behind and the queue deepens
# until the run cannot finish (docs/doctor.md); closed, the rate is what the drain sustains.
DEFAULT_MAX_OUTSTANDING = 2 * limits.SQS_MAX_RECEIVE_BATCH


# --- pacing and statistics (pure) -----------------------------------------------------


class RateLimiter:
    """Paces callers to `rate_per_second` messages across threads: each call is scheduled n / rate after the last."""

    def __init__(
        self,
        rate_per_second: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate_per_second is not None and rate_per_second <= 0:
            raise ValueError(f"rate_per_second must be > 0, got {rate_per_second!r}")
        self.rate_per_second = rate_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start: float | None = None

    def acquire(self, messages: int) -> float:
        """Block until `messages` may be sent; returns the seconds waited."""
        if self.rate_per_second is None:
            return 0.0
        with self._lock:
            now = self._clock()
            start = now if self._next_start is None else max(now, self._next_start)
            self._next_start = start + messages / self.rate_per_second
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def new_run_id() -> str:
    return f"qcap-load-{uuid.uuid4().hex[:12]}"


def message_id(run_id: str, index: int) -> str:
    return f"{run_id}{ID_SEPARATOR}{index:0{INDEX_DIGITS}d}"


def min_message_bytes(run_id: str) -> int:
    """The smallest body that still carries the message's id (and one separator)."""
    return len(message_id(run_id, 0)) + 1


def message_body(run_id: str, index: int, size_bytes: int) -> str:
    """`<run>:<index>:` padded with x to size_bytes (ASCII, so characters are bytes)."""
    head = message_id(run_id, index) + ID_SEPARATOR
    return head + "x" * max(0, size_bytes - len(head))


def id_of(body: str, run_id: str) -> str | None:
    """The message id in a body this run sent, else None (a message from someone else)."""
    if not body.startswith(run_id + ID_SEPARATOR):
        return None
    return body[: len(run_id) + 1 + INDEX_DIGITS]


def entries_per_batch(size_bytes: int) -> int:
    """Up to 10 entries, as many as fit the 1 MiB batch limit."""
    return max(1, min(limits.SQS_MAX_BATCH_ENTRIES, limits.SQS_MAX_BATCH_BYTES // size_bytes))


def batches(run_id: str, messages: int, size_bytes: int, fifo: bool, groups: int) -> Iterator[list[dict[str, str]]]:
    """SendMessageBatch entry lists for messages 0..messages-1 (FIFO: spread over `groups` message groups)."""
    per = entries_per_batch(size_bytes)
    for first in range(0, messages, per):
        entries = []
        for index in range(first, min(first + per, messages)):
            entry = {"Id": str(index - first), "MessageBody": message_body(run_id, index, size_bytes)}
            if fifo:
                entry["MessageGroupId"] = f"{run_id}-{index % groups}"
                entry["MessageDeduplicationId"] = message_id(run_id, index).replace(ID_SEPARATOR, "-")
            entries.append(entry)
        yield entries


# --- reports --------------------------------------------------------------------------


@dataclass
class SendReport:
    """What the send phase did: messages accepted, errors by code, call latencies."""

    requested: int
    sent_ids: set[str] = field(default_factory=set)
    calls: int = 0
    elapsed_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return len(self.sent_ids)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @property
    def messages_per_second(self) -> float:
        return self.sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def latency_ms(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    def as_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "sent": self.sent,
            "failed": self.failed,
            "calls": self.calls,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "messages_per_second": round(self.messages_per_second, 1),
            "latency_ms": {f"p{p}": round(self.latency_ms(p), 2) for p in (50, 95, 99)},
            "errors": dict(self.errors),
        }


@dataclass
class DrainReport:
    """What the drain phase found: this run's messages back, duplicates, and the ids never seen."""

    expected: int
    received_ids: set[str] = field(default_factory=set)
    # Received and deleted: only these have left the queue (SQS still counts a received,
    # undeleted message as in flight), so the closed loop counts them as back.
    returned_ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    foreign: int = 0
    deleted: int = 0
    elapsed_seconds: float = 0.0
    timed_out: bool = False
    errors: Counter[str] = field(default_factory=Counter)
    missing_ids: set[str] = field(default_factory=set)

    @property
    def lost(self) -> int:
        return len(self.missing_ids)

    @property
    def messages_per_second(self) -> float:
        return len(self.received_ids) / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "received": len(self.received_ids),
            "deleted": self.deleted,
            "duplicates": self.duplicates,
            "foreign_released": self.foreign,
            "lost": self.lost,
            "lost_examples": sorted(self.missing_ids)[:10],
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "messages_per_second": round(self.messages_per_second, 1),
            "timed_out": self.timed_out,
            "errors": dict(self.errors),
        }


def _boto_errors() -> tuple[type[Exception], ...]:
    """The errors an SQS call raises. Imported on first use: `qcap` reads this module's defaults when it starts."""
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


def _code(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    from qcap.live.aws import error_code

    if isinstance(exc, ClientError):
        return error_code(exc) or "ClientError"
    return type(exc).__name__


# --- sending and draining (boto3) ------------------------------------------------------


@dataclass
class _Shared:
    """State the sending and draining threads share, under one lock."""

    send: SendReport
    drain: DrainReport | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    sending_done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    max_outstanding: int | None = None
    outstanding_waits: int = 0

    def __post_init__(self) -> None:
        self.drained = threading.Condition(self.lock)

    def outstanding(self) -> int:
        """Messages sent and not yet received and deleted (only meaningful while draining)."""
        assert self.drain is not None
        return len(self.send.sent_ids) - len(self.drain.returned_ids)

    def wait_for_room(self, timeout_seconds: float) -> None:
        """Closed loop: hold the senders while max_outstanding messages wait in the queue."""
        if self.drain is None or self.max_outstanding is None:
            return
        with self.drained:
            if self.outstanding() >= self.max_outstanding:
                self.outstanding_waits += 1
                self.drained.wait_for(lambda: self.outstanding() < self.max_outstanding, timeout=timeout_seconds)

    def all_back(self) -> bool:
        assert self.drain is not None
        return self.sending_done.is_set() and self.send.sent_ids <= self.drain.received_ids


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
    on_sent: Callable[[int], None] = lambda n: None,
    on_drained: Callable[[int], None] = lambda n: None,
) -> tuple[SendReport, DrainReport | None]:
    """Send `messages` numbered messages; with `drain`, receive and delete them alongside, as a consumer would.

    Draining runs while sending (so the queue stays shallow, as in production) and, after the last
    send, until every id that was sent has come back or `drain_timeout_seconds` pass. With
    `max_outstanding` the load is a closed loop: senders wait while that many messages are in the
    queue, so the rate is what the queue and the drain sustain.
    """
    shared = _Shared(
        SendReport(requested=messages), DrainReport(expected=0) if drain else None, max_outstanding=max_outstanding
    )
    limiter = RateLimiter(rate_per_second)
    source = batches(run_id, messages, size_bytes, fifo, groups=max(1, concurrency))
    senders = [
        threading.Thread(target=_send_worker,
                         args=(sqs, queue_url, run_id, source, limiter, shared, on_sent, drain_timeout_seconds),
                         name=f"qcap-load-send-{i}", daemon=True)
        for i in range(concurrency)
    ]
    drainers = [
        threading.Thread(target=_drain_worker, args=(sqs, queue_url, run_id, shared, on_drained),
                         name=f"qcap-load-drain-{i}", daemon=True)
        for i in range((drain_concurrency or concurrency) if drain else 0)
    ]
    started = time.perf_counter()
    for t in senders + drainers:
        t.start()
    for t in senders:
        t.join()
    shared.send.elapsed_seconds = time.perf_counter() - started
    shared.sending_done.set()
    if shared.drain is not None:
        deadline = time.monotonic() + drain_timeout_seconds
        for t in drainers:
            t.join(max(0.0, deadline - time.monotonic()))
        shared.stop.set()
        for t in drainers:
            t.join()
        with shared.lock:
            shared.drain.expected = shared.send.sent
            shared.drain.missing_ids = shared.send.sent_ids - shared.drain.received_ids
            shared.drain.timed_out = bool(shared.drain.missing_ids)
            shared.drain.elapsed_seconds = time.perf_counter() - started
    return shared.send, shared.drain


def _send_worker(sqs: Any, queue_url: str, run_id: str, source: Iterator[list[dict[str, str]]],
                 limiter: RateLimiter, shared: _Shared, on_sent: Callable[[int], None],
                 room_timeout_seconds: float) -> None:
    report = shared.send
    while True:
        with shared.lock:
            entries = next(source, None)
        if entries is None:
            return
        shared.wait_for_room(room_timeout_seconds)
        limiter.acquire(len(entries))
        started = time.perf_counter()
        try:
            response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except _boto_errors() as exc:
            with shared.lock:
                report.calls += 1
                report.errors[_code(exc)] += len(entries)
            on_sent(len(entries))
            continue
        latency_ms = (time.perf_counter() - started) * 1000
        bodies = {e["Id"]: e["MessageBody"] for e in entries}
        ok = {id_of(bodies[s["Id"]], run_id) for s in response.get("Successful", [])}
        with shared.lock:
            report.calls += 1
            report.latencies_ms.append(latency_ms)
            report.sent_ids.update(i for i in ok if i is not None)
            for failure in response.get("Failed", []):
                report.errors[failure.get("Code", "Failed")] += 1
        on_sent(len(entries))


def _drain_worker(sqs: Any, queue_url: str, run_id: str, shared: _Shared, on_drained: Callable[[int], None]) -> None:
    report = shared.drain
    assert report is not None
    while not shared.stop.is_set():
        with shared.lock:
            if shared.all_back():
                return
        try:
            response = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=limits.SQS_MAX_RECEIVE_BATCH,
                WaitTimeSeconds=DRAIN_WAIT_SECONDS,
                VisibilityTimeout=DRAIN_VISIBILITY_TIMEOUT_SECONDS,
            )
        except _boto_errors() as exc:
            with shared.lock:
                report.errors[_code(exc)] += 1
            continue
        ours: list[dict[str, str]] = []
        our_ids: list[str] = []
        others: list[dict[str, Any]] = []
        fresh = 0
        with shared.lock:
            for m in response.get("Messages", []):
                mid = id_of(m.get("Body", ""), run_id)
                if mid is None:
                    report.foreign += 1
                    others.append(m)
                    continue
                if mid in report.received_ids:
                    report.duplicates += 1
                else:
                    report.received_ids.add(mid)
                    fresh += 1
                ours.append({"Id": str(len(ours)), "ReceiptHandle": m["ReceiptHandle"]})
                our_ids.append(mid)
        if others:
            _release(sqs, queue_url, others, report, shared.lock)
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
    except _boto_errors() as exc:
        with lock:
            report.errors[_code(exc)] += len(entries)
        return
    with lock:
        report.deleted += len(response.get("Successful", []))
        for failure in response.get("Failed", []):
            report.errors[failure.get("Code", "DeleteFailed")] += 1


def _release(sqs: Any, queue_url: str, messages: list[dict[str, Any]], report: DrainReport, lock: threading.Lock) -> None:
    """Make someone else's messages visible again at once: the drain deletes only its own."""
    entries = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(messages)
    ]
    try:
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    except _boto_errors() as exc:
        with lock:
            report.errors[_code(exc)] += len(entries)
