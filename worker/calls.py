"""How long a worker's broker and AWS calls may take, and how it says that they fail or hang.

A call that never answers must neither hold a message past its lease nor flood the log:
`fit_timing` sizes connect and read timeouts and tries so that a call's worst case fits a
budget (half the lease, what the heartbeat leaves); `FaultLog` turns failures into one JSON
line at once and then one per interval with a count; `CallWatch` notices a call that is
still waiting after it should have answered, before the timeouts run out.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from capacity import limits

log = logging.getLogger("qcap.worker.calls")

ERROR_CHARS = 300


@dataclass(frozen=True)
class CallTiming:
    """Seconds to connect and to wait for an answer, and tries in all (the first included)."""

    connect_seconds: float
    read_seconds: float
    attempts: int
    backoff: Callable[[int], float]  # the most a client sleeps before try i + 1 (i >= 1)

    @property
    def worst_seconds(self) -> float:
        """The longest one call can take: every try times out, every backoff is the longest."""
        tries = self.attempts * (self.connect_seconds + self.read_seconds)
        return tries + sum(self.backoff(i) for i in range(1, self.attempts))


def botocore_backoff(attempt: int) -> float:
    """botocore's standard mode before try attempt + 1: rand x min(2^(attempt-1), 20) s (throttling)."""
    return min(2.0 ** (attempt - 1), limits.WORKER_AWS_MAX_BACKOFF_SECONDS)


def redis_backoff(attempt: int) -> float:
    """redis-py's ExponentialBackoff(cap, base).compute(failures) = min(cap, base x 2^failures)."""
    return min(limits.WORKER_REDIS_BACKOFF_CAP_SECONDS, limits.WORKER_REDIS_BACKOFF_BASE_SECONDS * 2 ** attempt)


def fit_timing(budget_seconds: float | None, attempts: int, backoff: Callable[[int], float],
               min_try_seconds: float, connect_seconds: float = limits.WORKER_CALL_CONNECT_TIMEOUT_SECONDS,
               read_seconds: float = limits.WORKER_CALL_READ_TIMEOUT_SECONDS) -> CallTiming:
    """The most tries, then the longest waits, whose worst case fits `budget_seconds` (None: no limit).

    Tries are dropped until the full waits fit or the waits of the remaining tries can shrink
    to fit (a try in all never below `min_try_seconds`, one try at least).
    """
    full = CallTiming(connect_seconds, read_seconds, attempts, backoff)
    if budget_seconds is None or full.worst_seconds <= budget_seconds:
        return full
    per_try = connect_seconds + read_seconds
    for tries in range(attempts, 0, -1):
        room = (budget_seconds - sum(backoff(i) for i in range(1, tries))) / tries
        if room >= per_try:
            return CallTiming(connect_seconds, read_seconds, tries, backoff)
        if room >= min_try_seconds or tries == 1:
            share = max(room, min_try_seconds) / per_try
            return CallTiming(connect_seconds * share, read_seconds * share, tries, backoff)
    raise AssertionError("unreachable: one try always fits")


def lease_call_budget_seconds(lease_seconds: float) -> float:
    """What a call made for a leased message may take: what is left of the lease when the heartbeat extends it."""
    left = lease_seconds * (1 - limits.WORKER_HEARTBEAT_FRACTION) - limits.WORKER_HEARTBEAT_CHECK_SECONDS
    return max(0.0, left)


def describe(error: BaseException) -> str:
    """An exception as one short line: its type and message, whitespace collapsed."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 3] + "..."


class FaultLog:
    """One warning line when a call to an endpoint starts failing, then one per interval, then one on recovery.

    A call reported hanging first still gets its first error said when it comes.
    """

    def __init__(self, interval_seconds: float = limits.WORKER_FAULT_LOG_INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic, logger: logging.Logger = log):
        self.interval_seconds = interval_seconds
        self.clock = clock
        self.logger = logger
        self.lines = 0
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], dict] = {}  # (service, operation) -> failing since, counts

    def failed(self, service: str, operation: str, endpoint: str, error: BaseException | str,
               event: str = "call_failed", count: bool = True) -> bool:
        """Count a failure; log it when it is the first, or the interval has passed. True when logged."""
        now = self.clock()
        text = error if isinstance(error, str) else describe(error)
        with self._lock:
            state = self._open.setdefault((service, operation),
                                          {"since": now, "failures": 0, "last_logged": None, "error_logged": False})
            state["failures"] += int(count)
            first_error = count and not state["error_logged"]  # a hang said first does not hide the error
            due = first_error or state["last_logged"] is None or now - state["last_logged"] >= self.interval_seconds
            if due:
                state["last_logged"] = now
                state["error_logged"] = state["error_logged"] or count
                self.lines += 1
                failures, since = state["failures"], state["since"]
        if due:
            self.logger.warning(json.dumps({
                "event": event, "service": service, "operation": operation, "endpoint": endpoint,
                "error": text, "failures": failures, "failing_seconds": round(now - since, 1),
                "next_report_seconds": self.interval_seconds,
            }))
        return due

    def succeeded(self, service: str, operation: str, endpoint: str) -> None:
        """A call answered again: say so once if its failures were reported."""
        with self._lock:
            state = self._open.pop((service, operation), None)
        if state is not None and state["last_logged"] is not None:
            self.logger.warning(json.dumps({
                "event": "call_recovered", "service": service, "operation": operation, "endpoint": endpoint,
                "failures": state["failures"], "failing_seconds": round(self.clock() - state["since"], 1),
            }))


@dataclass
class _Call:
    service: str
    operation: str
    endpoint: str
    started: float
    expected_seconds: float
    reported: bool = False


class CallWatch:
    """Calls in progress; `check` reports, once each, those waiting past their expected time plus a margin."""

    def __init__(self, faults: FaultLog, hang_seconds: float = limits.WORKER_CALL_HANG_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.faults = faults
        self.hang_seconds = hang_seconds
        self.clock = clock
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._calls: dict[int, _Call] = {}

    @contextmanager
    def call(self, service: str, operation: str, endpoint: str, expected_seconds: float = 0.0) -> Iterator[None]:
        """Time one call; its failure goes to the fault log, its success closes an open fault."""
        key = next(self._ids)
        with self._lock:
            self._calls[key] = _Call(service, operation, endpoint, self.clock(), expected_seconds)
        try:
            yield
        except Exception as exc:
            self.faults.failed(service, operation, endpoint, exc)
            raise
        else:
            self.faults.succeeded(service, operation, endpoint)
        finally:
            with self._lock:
                self._calls.pop(key, None)

    def check(self) -> int:
        """Report calls that should have answered by now; returns how many are hanging."""
        now = self.clock()
        with self._lock:
            late = [c for c in self._calls.values() if now - c.started > c.expected_seconds + self.hang_seconds]
            fresh = [c for c in late if not c.reported]
            for c in fresh:
                c.reported = True
        for c in fresh:
            waits = f" (its long poll waits {c.expected_seconds:g} s)" if c.expected_seconds else ""
            self.faults.failed(c.service, c.operation, c.endpoint, f"no answer after {now - c.started:.1f} s{waits}",
                               event="call_hanging", count=False)
        return len(late)
