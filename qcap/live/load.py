"""A bounded load generator for one SQS queue: its pure parts (pacing, ids, batches, send outcomes, reports).

Every message carries its run's id and index, so what arrived is counted by id, never by
what was hoped: a send whose answer never came (a read timeout after the request went out)
may have landed, so it is counted as uncertain and not sent again on a standard queue (a
second copy would land too); FIFO queues resend it, their deduplication ids make that
idempotent. The threads that send and drain are in qcap/live/load_run.py.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from capacity import limits

ID_SEPARATOR = ":"
INDEX_DIGITS = 10
# Drain: short long-polls so an empty queue is noticed quickly, a visibility timeout long enough
# to delete what was received, and a bound on how long to wait for stragglers after the last send.
DRAIN_WAIT_SECONDS = 1
DRAIN_VISIBILITY_TIMEOUT_SECONDS = 60
DEFAULT_DRAIN_TIMEOUT_SECONDS = 300
# A send that SQS refused (throttled, an entry failed on its side) or that never reached it is
# tried this often in all, with a backoff of 0.1 s doubling between tries. Our choice.
SEND_ATTEMPTS = 4
SEND_BACKOFF_SECONDS = 0.1
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


# --- what a send's failure means -------------------------------------------------------

SendOutcome = Literal["retry", "uncertain", "failed"]


def send_outcome(exc: Exception, fifo: bool) -> SendOutcome:
    """`retry` when the batch cannot have landed (throttled, not connected) or resending is idempotent
    (FIFO); `uncertain` when it may have landed (no answer after the request went out, a 5xx);
    `failed` when SQS refused it for good (a 4xx that is not throttling)."""
    from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

    from qcap.live.aws import is_throttling

    if isinstance(exc, ClientError):
        if is_throttling(exc):
            return "retry"
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if status >= 500:
            return "retry" if fifo else "uncertain"
        return "failed"
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return "retry"
    return "retry" if fifo else "uncertain"


# --- reports --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueCounts:
    """ApproximateNumberOfMessages, ...NotVisible and ...Delayed of a queue."""

    visible: int
    in_flight: int
    delayed: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight + self.delayed

    def describe(self) -> str:
        return f"{self.visible:,} visible, {self.in_flight:,} in flight, {self.delayed:,} delayed"

    @staticmethod
    def from_attributes(attributes: dict[str, str]) -> QueueCounts:
        return QueueCounts(int(attributes.get("ApproximateNumberOfMessages", 0)),
                           int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                           int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)))


@dataclass
class SendReport:
    """What the send phase did: messages SQS acknowledged, those whose fate is unknown, errors by code."""

    requested: int
    sent_ids: set[str] = field(default_factory=set)
    # Sent, and no answer came: they may or may not be in the queue (never sent twice).
    uncertain_ids: set[str] = field(default_factory=set)
    calls: int = 0
    retries: int = 0
    not_attempted: int = 0  # left unsent when the run's deadline came
    elapsed_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return len(self.sent_ids)

    @property
    def uncertain(self) -> int:
        return len(self.uncertain_ids)

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
            "uncertain": self.uncertain,
            "failed": self.failed,
            "not_attempted": self.not_attempted,
            "calls": self.calls,
            "retries": self.retries,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "messages_per_second": round(self.messages_per_second, 1),
            "latency_ms": {f"p{p}": round(self.latency_ms(p), 2) for p in (50, 95, 99)},
            "errors": dict(self.errors),
        }


@dataclass
class DrainReport:
    """What the drain found: this run's messages back by id, duplicates, the sent ids never seen."""

    expected: int
    received_ids: set[str] = field(default_factory=set)
    # Received and deleted: only these have left the queue (SQS still counts a received,
    # undeleted message as in flight), so the closed loop counts them as back.
    returned_ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    foreign: int = 0  # messages this run did not send, received (and released at once): draining stopped
    deleted: int = 0
    elapsed_seconds: float = 0.0
    timed_out: bool = False
    errors: Counter[str] = field(default_factory=Counter)
    missing_ids: set[str] = field(default_factory=set)  # acknowledged by SQS, never received
    uncertain_arrived: int = 0  # sends without an answer whose message did arrive
    uncertain_missing: int = 0  # sends without an answer whose message never came

    @property
    def lost(self) -> int:
        return len(self.missing_ids)

    @property
    def none_lost(self) -> bool:
        """Every message SQS acknowledged came back, and the drain was not cut short."""
        return self.lost == 0 and not self.timed_out and self.foreign == 0

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
            "uncertain_arrived": self.uncertain_arrived,
            "uncertain_missing": self.uncertain_missing,
            "none_lost": self.none_lost,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "messages_per_second": round(self.messages_per_second, 1),
            "timed_out": self.timed_out,
            "errors": dict(self.errors),
        }


def boto_errors() -> tuple[type[Exception], ...]:
    """The errors an SQS call raises. Imported on first use: `qcap` reads this module's defaults when it starts."""
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


def error_code_of(exc: Exception) -> str:
    """The AWS error code of a failed call, else the exception's type name."""
    from botocore.exceptions import ClientError

    from qcap.live.aws import error_code

    if isinstance(exc, ClientError):
        return error_code(exc) or "ClientError"
    return type(exc).__name__
