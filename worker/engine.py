"""The broker-independent part of a worker: slots, handler threads, ordering, heartbeat, shutdown.

Concurrency is threads: `CONCURRENCY` daemon threads run the handler (a plain function of
one `Message`), so blocking I/O in a handler is fine and CPU-bound handlers should run
several processes instead. Receivers reserve free slots before they receive, so a worker
never holds more messages than it has slots: in flight means being processed, which is what
the backlog-per-task metric assumes.

A `Broker` (SQS or Redis) supplies fetch, complete, fail, release and extend; the engine
calls them and never blocks a handler on broker bookkeeping it can do later.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from worker.config import WorkerConfig
from worker.protection import TaskProtection

log = logging.getLogger("qcap.worker")

# Housekeeping tick: deletes are flushed and the heartbeat checked this often (seconds).
TICK_SECONDS = 0.05
HEARTBEAT_CHECK_SECONDS = 0.5


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

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Broker(Protocol):
    name: str

    def fetch(self, count: int, wait_seconds: int) -> list[tuple[Message, Any]]: ...
    def complete(self, tokens: list[Any]) -> None: ...
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


class Engine:
    """Runs a handler over a broker with the plan's concurrency until stopped."""

    def __init__(self, broker: Broker, handler: Handler, config: WorkerConfig,
                 protection: TaskProtection | None = None, receivers: int = 1):
        self.broker = broker
        self.handler = handler
        self.config = config
        self.protection = protection or TaskProtection(None)
        self.counters = Counters()
        self._receivers = max(1, receivers)
        self._slots = Slots(config.concurrency)
        self._lock = threading.Lock()
        self._held: set[Held] = set()
        self._groups: dict[str, deque[Held]] = {}
        self._work: queue.Queue[Held | None] = queue.Queue()
        self._completed: list[Held] = []
        self._stopping = threading.Event()
        self._batch_number = 0
        self._threads: list[threading.Thread] = []
        self._receiver_threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._shutdown_done = threading.Event()

    # --- lifecycle -------------------------------------------------------------------

    def stop(self) -> None:
        """Stop receiving; `run` then finishes or releases what is held and returns. Signal-safe."""
        self._stopping.set()

    @property
    def errors(self) -> list[BaseException]:
        """Failures of the worker's own loops (not handler failures): non-empty means exit non-zero."""
        return list(self._errors)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> Counters:
        """Block until `stop()` (SIGTERM in the CLI), then shut down within the stop timeout."""
        started = time.monotonic()
        self.protection.start()
        for index in range(self.config.concurrency):
            self._spawn(self._handler_loop, f"handler-{index}", self._threads)
        for index in range(self._receivers):
            self._spawn(self._receive_loop, f"receiver-{index}", self._receiver_threads)
        housekeeper = self._spawn(self._housekeep_loop, "housekeeper", [])
        log.info(json.dumps({"event": "start", "broker": self.broker.name, "workload": self.config.workload,
                             "concurrency": self.config.concurrency, "receive_batch": self.config.receive_batch,
                             "receivers": self._receivers}))
        while not self._stopping.wait(0.2):
            pass
        stop_at = time.monotonic()
        self._shutdown(stop_at)
        housekeeper.join(timeout=1.0)
        self.protection.stop()
        log.info(json.dumps({"event": "stop", "broker": self.broker.name, "workload": self.config.workload,
                             "seconds_to_stop": round(time.monotonic() - stop_at, 3),
                             "uptime_seconds": round(time.monotonic() - started, 3),
                             "totals": self.counters.as_dict()}))
        return self.counters

    def _spawn(self, target: Callable[[], None], name: str, into: list[threading.Thread]) -> threading.Thread:
        thread = threading.Thread(target=self._guard(target), name=f"qcap-worker-{name}", daemon=True)
        thread.start()
        into.append(thread)
        return thread

    def _guard(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - a dead loop must stop the worker, not hang it
                log.exception("worker loop %s failed; stopping", threading.current_thread().name)
                self._errors.append(exc)
                self._stopping.set()

        return run

    # --- receiving -------------------------------------------------------------------

    def _receive_loop(self) -> None:
        while not self._stopping.is_set():
            count = self._slots.reserve(self.config.receive_batch, timeout=0.2)
            if count == 0:
                continue
            if self._stopping.is_set():
                self._slots.release(count)
                return
            try:
                fetched = self.broker.fetch(count, self.config.poll_wait_seconds)
            except Exception:  # noqa: BLE001 - botocore already retried; log, pause, poll again
                self._slots.release(count)
                log.exception("receive failed; polling again in 1 s")
                self._stopping.wait(1.0)
                continue
            self._slots.release(count - len(fetched))
            if fetched:
                self._accept(fetched)

    def _accept(self, fetched: list[tuple[Message, Any]]) -> None:
        now = time.monotonic()
        with self._lock:
            self._batch_number += 1
            batch = Batch(self._batch_number, len(fetched), now, remaining=len(fetched))
            helds = [Held(message, token, batch, now) for message, token in fetched]
            self._held.update(helds)
            self.counters.received += len(helds)
            stopping = self._stopping.is_set()
        self.protection.busy(True)
        if stopping:  # received while shutting down: give it straight back
            self._release(helds, "shutdown")
            return
        for held in helds:
            self._dispatch(held)

    def _dispatch(self, held: Held) -> None:
        """Run now, or after the messages of its FIFO group received before it."""
        group = held.message.group_id
        if group is not None:
            with self._lock:
                waiting = self._groups.setdefault(group, deque())
                waiting.append(held)
                if len(waiting) > 1:
                    return
        self._work.put(held)

    # --- handling --------------------------------------------------------------------

    def _handler_loop(self) -> None:
        while True:
            held = self._work.get()
            if held is None:
                return
            with self._lock:
                if held.state != "waiting":
                    continue
                held.state = "running"
            try:
                self.handler(held.message)
            except Exception as exc:  # noqa: BLE001 - any handler failure retries the message
                self._on_failure(held, exc)
            else:
                self._on_success(held)

    def _on_success(self, held: Held) -> None:
        with self._lock:
            if held.state != "running":  # released at the shutdown deadline: someone else may have it
                return
            held.state = "done"
            self._completed.append(held)
            self.counters.processed += 1
        self._settle(held, "processed")

    def _on_failure(self, held: Held, error: BaseException) -> None:
        with self._lock:
            if held.state != "running":
                return
            held.state = "done"
            self.counters.failed += 1
        log.warning(json.dumps({"event": "handler_failed", "message_id": held.message.id,
                                "receive_count": held.message.receive_count, "error": repr(error)[:500]}))
        try:
            outcome = self.broker.fail(held.message, held.token, error)
        except Exception:  # noqa: BLE001 - the message comes back when its visibility or lease runs out
            log.exception("could not return failed message %s; it reappears after its timeout", held.message.id)
            outcome = "retried"
        with self._lock:
            if outcome == "dead_lettered":
                self.counters.dead_lettered += 1
            else:
                self.counters.retried += 1
        # Keep FIFO order: later messages of the group go back behind the failed one.
        followers = self._mark_released([h for h in self._group_of(held) if h is not held])
        self._settle(held, "failed", outcome)
        self._give_back(followers, "fifo order")

    def _group_of(self, held: Held) -> list[Held]:
        group = held.message.group_id
        if group is None:
            return []
        with self._lock:
            return list(self._groups.get(group, ()))

    def _settle(self, held: Held, *outcomes: str) -> None:
        """A message is finished with: free its slot, start its group's next, log its batch when complete."""
        next_in_group = None
        with self._lock:
            self._held.discard(held)
            group = held.message.group_id
            if group is not None and group in self._groups:
                waiting = self._groups[group]
                if waiting and waiting[0] is held:
                    waiting.popleft()
                else:
                    try:
                        waiting.remove(held)
                    except ValueError:
                        pass
                while waiting and waiting[0].state != "waiting":
                    waiting.popleft()
                if waiting:
                    next_in_group = waiting[0]
                else:
                    del self._groups[group]
            batch = held.batch
            for outcome in outcomes:
                batch.outcomes[outcome] = batch.outcomes.get(outcome, 0) + 1
            batch.remaining -= 1
            finished = batch.remaining == 0
            if finished:
                self.counters.batches += 1
            in_hand = len(self._held)
            idle = in_hand == 0
        self._slots.release(1)
        if next_in_group is not None and not self._stopping.is_set():
            self._work.put(next_in_group)
        if finished:
            self._log_batch(batch, in_hand)
        if idle:
            self.protection.busy(False)

    def _log_batch(self, batch: Batch, in_hand: int) -> None:
        log.info(json.dumps({
            "event": "batch", "broker": self.broker.name, "stack": self.config.stack,
            "workload": self.config.workload, "batch": batch.number, "messages": batch.size,
            "seconds": round(time.monotonic() - batch.started, 3), **batch.outcomes,
            "in_hand": in_hand, "totals": self.counters.as_dict(),
        }, sort_keys=False))

    # --- housekeeping: deletes, heartbeat, broker chores -------------------------------

    def _housekeep_loop(self) -> None:
        last_heartbeat = time.monotonic()
        while True:
            stopping = self._stopping.wait(TICK_SECONDS)
            self._flush_completed()
            now = time.monotonic()
            if now - last_heartbeat >= HEARTBEAT_CHECK_SECONDS:
                last_heartbeat = now
                self._heartbeat(now)
                try:
                    self.broker.housekeep()
                except Exception:  # noqa: BLE001 - reaping and metrics are retried on the next tick
                    log.exception("broker housekeeping failed; retrying")
            if stopping and self._shutdown_done.is_set():
                self._flush_completed()
                return

    def _flush_completed(self) -> None:
        with self._lock:
            completed, self._completed = self._completed, []
        if completed:
            try:
                self.broker.complete([h.token for h in completed])
            except Exception:  # noqa: BLE001 - undeleted messages come back and are processed again
                log.exception("could not delete %d finished messages; they will be delivered again", len(completed))

    def _heartbeat(self, now: float) -> None:
        """Extend every held message whose visibility (or lease) is half gone."""
        with self._lock:
            due = [h for h in self._held if h.state in ("waiting", "running")
                   and now - h.visible_set_at >= self.config.heartbeat_after_seconds]
            for h in due:
                h.visible_set_at = now
        if due:
            try:
                self.broker.extend([h.token for h in due])
            except Exception:  # noqa: BLE001 - tried again on the next check
                log.exception("visibility heartbeat failed for %d messages", len(due))
                with self._lock:
                    for h in due:
                        h.visible_set_at = 0.0
                return
            with self._lock:
                self.counters.extended += len(due)

    # --- shutdown --------------------------------------------------------------------

    def _mark_released(self, helds: list[Held]) -> list[Held]:
        """Take messages out of play (a handler thread skips them) and return those that were in play."""
        with self._lock:
            mine = [h for h in helds if h.state in ("waiting", "running")]
            for h in mine:
                h.state = "released"
            self.counters.released += len(mine)
        return mine

    def _release(self, helds: list[Held], reason: str) -> None:
        self._give_back(self._mark_released(helds), reason)

    def _give_back(self, mine: list[Held], reason: str) -> None:
        """Make marked messages visible again at once, then settle them."""
        if not mine:
            return
        try:
            self.broker.release([h.token for h in mine])
        except Exception:  # noqa: BLE001 - they reappear when their visibility or lease runs out
            log.exception("could not release %d messages (%s); they reappear after their timeout", len(mine), reason)
        for h in mine:
            self._settle(h, "released")

    def _shutdown(self, stop_at: float) -> None:
        self._slots.close()
        with self._lock:
            waiting = [h for h in self._held if h.state == "waiting"]
        self._release(waiting, "shutdown")
        deadline = stop_at + self.config.drain_seconds
        while time.monotonic() < deadline:
            with self._lock:
                running = [h for h in self._held if h.state == "running"]
            if not running:
                break
            time.sleep(TICK_SECONDS / 2)
        with self._lock:
            unfinished = [h for h in self._held if h.state in ("waiting", "running")]
        self._release(unfinished, "stop timeout")
        # A poll in progress returns within the (capped) wait; what it brings is released in _accept.
        poll_deadline = stop_at + max(self.config.poll_wait_seconds + 1.0, self.config.drain_seconds)
        for thread in self._receiver_threads:
            thread.join(timeout=max(0.0, poll_deadline - time.monotonic()))
        for _ in self._threads:
            self._work.put(None)
        self._shutdown_done.set()
        self._flush_completed()
