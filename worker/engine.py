"""The broker-independent part of a worker: slots, receivers, handler threads, FIFO order, batches.

Concurrency is threads: `CONCURRENCY` daemon threads run the handler (a plain function of
one `Message`), so blocking I/O in a handler is fine and CPU-bound handlers should run
several processes instead. Receivers reserve free slots before they receive, so a worker
never holds more messages than it has slots: in flight means being processed, which is what
the backlog-per-task metric assumes.

A `Broker` (SQS or Redis) supplies fetch, complete, fail, release and extend. Acknowledging,
extending leases, the broker's chores and the shutdown are in worker/upkeep.py, each loop on
a thread of its own. Every broker call goes through a `CallWatch`: a failure or a hang is one
log line, repeated at a bounded rate. A scheduled run (BATCH_LIMIT, RUN_DEADLINE_SECONDS) ends
by itself: its budget is in worker/scheduled.py.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from typing import Any, Callable

from worker.calls import CallWatch, FaultLog
from worker.config import WorkerConfig
from worker.held import Batch, Broker, Counters, Handler, Held, Message, Slots
from worker.processing_stats import ProcessingStats
from worker.protection import TaskProtection
from worker.scheduled import BATCH_LIMIT, DEADLINE, RunBudget
from worker.upkeep import Upkeep

__all__ = ["Batch", "Broker", "Counters", "Engine", "Handler", "Held", "Message", "Slots"]

log = logging.getLogger("qcap.worker")

# After a failed receive the receiver waits this long before polling again.
RECEIVE_PAUSE_SECONDS = 1.0
WATCH_SECONDS = 0.2


class Engine(Upkeep):
    """Runs a handler over a broker with the plan's concurrency until stopped."""

    def __init__(self, broker: Broker, handler: Handler, config: WorkerConfig,
                 protection: TaskProtection | None = None, receivers: int = 1, watch: CallWatch | None = None,
                 stats: ProcessingStats | None = None):
        self.broker = broker
        self.stats = stats or ProcessingStats()  # what the metrics publisher, if any, sends once a period
        self.handler = handler
        self.config = config
        self.watch = watch or CallWatch(FaultLog())
        self.protection = protection or TaskProtection(None, faults=self.watch.faults)
        self.counters = Counters()
        self.endpoint = str(getattr(broker, "endpoint", broker.name))
        self._receivers = max(1, receivers)
        self._slots = Slots(config.concurrency)
        self._lock = threading.Lock()
        self._held: set[Held] = set()
        self._unacked: dict[Held, None] = {}  # done, acknowledgement pending (in order)
        self._groups: dict[str, deque[Held]] = {}
        self._work: queue.Queue[Held | None] = queue.Queue()
        self._stopping = threading.Event()
        self._housekeeping_stop = threading.Event()
        self._batch_number = 0
        self._threads: list[threading.Thread] = []
        self._receiver_threads: list[threading.Thread] = []
        self._acker: threading.Thread | None = None
        self._errors: list[BaseException] = []
        self.run_budget = RunBudget(config.batch_limit, config.run_deadline_seconds)
        self.stop_reason: str | None = None

    # --- lifecycle -------------------------------------------------------------------

    def stop(self, reason: str = "stopped") -> None:
        """Stop receiving; `run` then finishes or releases what is held and returns. Signal-safe.

        `reason` (the first one given wins) goes into the stop line: a signal's name, or why a
        scheduled run ended (batch_limit, queue_empty, deadline).
        """
        if self.stop_reason is None:
            self.stop_reason = reason
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
        self.run_budget.start(started)
        self.protection.start()
        for index in range(self.config.concurrency):
            self._spawn(self._handler_loop, f"handler-{index}", self._threads)
        for index in range(self._receivers):
            self._spawn(self._receive_loop, f"receiver-{index}", self._receiver_threads)
        self._acker = self._spawn(self._ack_loop, "acker", [])
        self._spawn(self._heartbeat_loop, "heartbeat", [])
        self._spawn(self._chores_loop, "chores", [])
        start = getattr(self.broker, "start", None)
        if start is not None:
            start()
        log.info(json.dumps({"event": "start", "broker": self.broker.name, "workload": self.config.workload,
                             "concurrency": self.config.concurrency, "receive_batch": self.config.receive_batch,
                             "receivers": self._receivers, "endpoint": self.endpoint,
                             **(self.run_budget.as_dict() if self.run_budget.scheduled else {})}))
        while not self._stopping.wait(WATCH_SECONDS):
            self.watch.check()
            if self.run_budget.past_deadline(time.monotonic()):
                self.stop(DEADLINE)
        stop_at = time.monotonic()
        unfinished = self._shutdown(stop_at)
        log.info(json.dumps({"event": "stop", "broker": self.broker.name, "workload": self.config.workload,
                             "reason": self.stop_reason, "seconds_to_stop": round(time.monotonic() - stop_at, 3),
                             "stop_timeout_seconds": self.config.stop_timeout_seconds,
                             "teardown_cut_off": unfinished,
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

    def _call(self, operation: str, fn: Callable[..., Any], *args: Any, expected_seconds: float = 0.0) -> Any:
        """One broker call, watched: a failure or a hang is logged (rate-limited) by the fault log."""
        with self.watch.call(self.broker.name, operation, self.endpoint, expected_seconds):
            return fn(*args)

    # --- receiving -------------------------------------------------------------------

    def _receive_loop(self) -> None:
        while not self._stopping.is_set():
            count = self._slots.reserve(self.config.receive_batch, timeout=0.2)
            if count == 0:
                continue
            if self._stopping.is_set():
                self._slots.release(count)
                return
            asked = self.run_budget.take(count)
            self._slots.release(count - asked)
            if asked == 0:  # the run's batch is received: it ends once what is held is settled
                self._stopping.wait(WATCH_SECONDS)
                continue
            wait = self.run_budget.poll_wait(self.config.poll_wait_seconds, time.monotonic())
            expected = wait if getattr(self.broker, "long_polls", False) else 0.0
            try:
                began = time.monotonic()
                fetched = self._call("receive", self.broker.fetch, asked, wait, expected_seconds=expected)
                self.stats.received(time.monotonic() - began, len(fetched))
            except Exception:  # noqa: BLE001 - the client already retried; the fault log has said why
                self._slots.release(asked)
                self.run_budget.returned(asked, 0, full_wait=False, idle=False)
                self._stopping.wait(RECEIVE_PAUSE_SECONDS)
                continue
            self._slots.release(asked - len(fetched))
            if fetched:
                self._accept(fetched)
            with self._lock:
                idle = not self._held
            ending = self.run_budget.returned(asked, len(fetched), wait == self.config.poll_wait_seconds, idle)
            if ending:
                self.stop(ending)

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
            began = time.monotonic()
            try:
                self.handler(held.message)
            except Exception as exc:  # noqa: BLE001 - any handler failure retries the message
                self.stats.handled(time.monotonic() - began, succeeded=False)
                self._on_failure(held, exc)
            else:
                self.stats.handled(time.monotonic() - began, succeeded=True)
                self._on_success(held)

    def _on_success(self, held: Held) -> None:
        with self._lock:
            if held.state != "running":  # released at the shutdown deadline: someone else may have it
                return
            held.state = "done"
            held.done_at = time.monotonic()
            self._unacked[held] = None
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
            outcome = self._call("fail", self.broker.fail, held.message, held.token, error)
        except Exception:  # noqa: BLE001 - the message comes back when its visibility or lease runs out
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
            if self.run_budget.spent():
                self.stop(BATCH_LIMIT)

    def _log_batch(self, batch: Batch, in_hand: int) -> None:
        log.info(json.dumps({
            "event": "batch", "broker": self.broker.name, "stack": self.config.stack,
            "workload": self.config.workload, "batch": batch.number, "messages": batch.size,
            "seconds": round(time.monotonic() - batch.started, 3), **batch.outcomes,
            "in_hand": in_hand, "totals": self.counters.as_dict(),
        }, sort_keys=False))

    # --- shutdown --------------------------------------------------------------------

    def _mark_released(self, helds: list[Held]) -> list[Held]:
        """Take messages out of play (a handler thread skips them) and return those that were in play."""
        with self._lock:
            mine = [h for h in helds if h.state in ("waiting", "running")]
            for h in mine:
                h.state = "released"
            self.counters.released += len(mine)
        return mine

    def _take_waiting(self) -> list[Held]:
        """Take every message not yet started out of play in one step under the lock.

        Marking a snapshot later (as _mark_released does) could catch a message a handler started
        in between and give it back while it runs.
        """
        with self._lock:
            waiting = [h for h in self._held if h.state == "waiting"]
            for h in waiting:
                h.state = "released"
            self.counters.released += len(waiting)
        return waiting

    def _release(self, helds: list[Held], reason: str) -> None:
        self._give_back(self._mark_released(helds), reason)

    def _give_back(self, mine: list[Held], reason: str) -> None:
        """Make marked messages visible again at once, then settle them."""
        if not mine:
            return
        try:
            self._call("release", self.broker.release, [h.token for h in mine])
        except Exception:  # noqa: BLE001 - they reappear when their visibility or lease runs out
            log.warning(json.dumps({"event": "release_failed", "messages": len(mine), "reason": reason,
                                    "after": "their visibility timeout or lease"}))
        for h in mine:
            self._settle(h, "released")
