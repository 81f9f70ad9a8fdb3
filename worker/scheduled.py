"""A scheduled run's budget: at most BATCH_LIMIT messages, no receive after RUN_DEADLINE_SECONDS, then exit.

EventBridge Scheduler starts one task per interval whether or not the last one is still
running, so a scheduled worker must end by itself: when it has received its batch and
settled it, when a long poll comes back empty with nothing in hand (the queue is empty),
or at its deadline (then the shutdown finishes or releases what it holds, within the stop
timeout). A service worker (neither variable set) never ends by itself.

Messages are counted when a receive is *asked* for, slots included: a receiver takes its
share of the budget before it polls and gives back what the poll did not bring, so
parallel polls can never receive more than the limit between them.
"""

from __future__ import annotations

import math
import threading

BATCH_LIMIT = "batch_limit"
QUEUE_EMPTY = "queue_empty"
DEADLINE = "deadline"


class RunBudget:
    """What is left of one run: messages to receive and time to receive them in (monotonic seconds)."""

    def __init__(self, batch_limit: int | None, deadline_seconds: float | None):
        self.batch_limit = batch_limit
        self.deadline_seconds = deadline_seconds
        self.taken = 0  # received, or asked for by a poll still in flight
        self._polls = 0
        self._deadline: float | None = None
        self._lock = threading.Lock()

    @property
    def scheduled(self) -> bool:
        """Whether this worker is a scheduled run (it ends by itself) rather than a service."""
        return self.batch_limit is not None or self.deadline_seconds is not None

    def start(self, now: float) -> None:
        if self.deadline_seconds is not None:
            self._deadline = now + self.deadline_seconds

    def past_deadline(self, now: float) -> bool:
        return self._deadline is not None and now >= self._deadline

    def take(self, slots: int) -> int:
        """How many of `slots` the next poll may ask for (0: the batch is spent); counted until `returned`."""
        with self._lock:
            allowed = slots if self.batch_limit is None else max(0, min(slots, self.batch_limit - self.taken))
            if allowed:
                self.taken += allowed
                self._polls += 1
            return allowed

    def poll_wait(self, wait_seconds: int, now: float) -> int:
        """The long-poll wait, cut so a poll does not outlast the deadline."""
        if self._deadline is None:
            return wait_seconds
        return max(0, min(wait_seconds, math.floor(self._deadline - now)))

    def returned(self, asked: int, got: int, full_wait: bool, idle: bool) -> str | None:
        """A poll asked for `asked` and got `got`; why the run ends now (None: it goes on).

        `full_wait`: the poll waited its whole configured wait (so empty means empty);
        `idle`: the worker holds no message.
        """
        with self._lock:
            self.taken -= asked - got
            self._polls -= 1
            if not self.scheduled or not idle or self._polls:
                return None
            if self.spent_locked():
                return BATCH_LIMIT
            return QUEUE_EMPTY if got == 0 and full_wait else None

    def spent(self) -> bool:
        """The whole batch is received and no poll is out: once nothing is held the run is over."""
        with self._lock:
            return self.spent_locked() and not self._polls

    def spent_locked(self) -> bool:
        return self.batch_limit is not None and self.taken >= self.batch_limit

    def as_dict(self) -> dict[str, object]:
        return {"batch_limit": self.batch_limit, "run_deadline_seconds": self.deadline_seconds}
