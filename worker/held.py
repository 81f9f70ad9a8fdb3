"""What a worker holds: messages, receive batches, counters, the broker protocol and the slots.

Split from worker/engine.py (which re-exports Message and Counters) so the engine module
holds only the loops.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol


@dataclass
class Message:
    """One message as a handler sees it."""

    id: str
    body: str
    receive_count: int = 1
    group_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Message], Any]


@dataclass(eq=False)
class Held:
    """A message this worker holds: received, not yet deleted or released."""

    message: Message
    token: Any  # the broker's handle (SQS receipt handle, Redis item id)
    batch: Batch
    visible_set_at: float
    state: str = "waiting"  # waiting -> running -> done | released
    done_at: float = 0.0  # when the handler returned (its acknowledgement may still be pending)


@dataclass(eq=False)
class Batch:
    """One receive; logged as a structured line once every message in it is settled."""

    number: int
    size: int
    started: float
    remaining: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass
class Counters:
    """Totals since the worker started."""

    received: int = 0
    processed: int = 0
    failed: int = 0
    retried: int = 0
    dead_lettered: int = 0
    released: int = 0
    extended: int = 0
    batches: int = 0
    acks_abandoned: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Broker(Protocol):
    """What the engine needs of a queue. `complete` returns the tokens the broker refused (None: none)."""

    name: str

    def fetch(self, count: int, wait_seconds: int) -> list[tuple[Message, Any]]: ...
    def complete(self, tokens: list[Any]) -> list[Any] | None: ...
    def fail(self, message: Message, token: Any, error: BaseException) -> str: ...
    def release(self, tokens: list[Any]) -> None: ...
    def extend(self, tokens: list[Any]) -> None: ...
    def housekeep(self) -> None: ...


class Slots:
    """A counting semaphore that hands out up to n slots at once and can be closed."""

    def __init__(self, size: int):
        self.size = size
        self._free = size
        self._closed = False
        self._cond = threading.Condition()

    def reserve(self, most: int, timeout: float | None = None) -> int:
        """Wait for at least one free slot; take up to `most`. 0 when closed (or on timeout)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._closed or self._free > 0, timeout):
                return 0
            if self._closed:
                return 0
            taken = min(most, self._free)
            self._free -= taken
            return taken

    def release(self, count: int) -> None:
        if count <= 0:
            return
        with self._cond:
            self._free += count
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def busy(self) -> int:
        with self._cond:
            return self.size - self._free
