"""The engine's background work: acknowledgements, the lease heartbeat, broker chores, shutdown.

Each loop has a thread of its own, so a slow call in one (a CloudWatch publish, a reap, an
acknowledgement) never delays another; an acknowledgement that fails is kept and retried,
and its lease still extended, for WORKER_ACK_RETRY_SECONDS. `Upkeep` is mixed into `Engine`
and works on its state (worker/engine.py).
"""

from __future__ import annotations

import json
import logging
import time

from capacity import limits
from worker.shutdown import ShutdownPlan, in_background, join_until

log = logging.getLogger("qcap.worker")

# Acknowledgements are flushed this often (seconds), at most ACK_CHUNK per call.
TICK_SECONDS = 0.05
ACK_CHUNK = 500
# A long poll in progress at SIGTERM is waited for until its wait is over and this much more.
POLL_RETURN_SECONDS = 1.0


class Upkeep:
    """Background loops and the shutdown of an `Engine` (which supplies the attributes used here)."""

    def _ack_loop(self) -> None:
        while True:
            final = self._housekeeping_stop.wait(TICK_SECONDS)
            if final:
                while self._unacked and self._flush_acks():
                    pass
                return
            if not self._flush_acks():
                self._housekeeping_stop.wait(limits.WORKER_HEARTBEAT_CHECK_SECONDS)

    def _flush_acks(self) -> bool:
        """Acknowledge what is done; False when the call failed (the acks stay pending)."""
        with self._lock:
            batch = list(self._unacked)[:ACK_CHUNK]
        if not batch:
            return True
        try:
            refused = self._call("acknowledge", self.broker.complete, [h.token for h in batch]) or []
        except Exception:  # noqa: BLE001 - kept and retried; the fault log has said why
            self._abandon_stale_acks(time.monotonic())
            return False
        with self._lock:
            for h in batch:
                self._unacked.pop(h, None)
        if refused:
            log.warning(json.dumps({"event": "acknowledge_refused", "messages": len(refused),
                                    "after": "they are delivered again"}))
        return True

    def _abandon_stale_acks(self, now: float) -> None:
        with self._lock:
            stale = [h for h in self._unacked if now - h.done_at > limits.WORKER_ACK_RETRY_SECONDS]
            for h in stale:
                self._unacked.pop(h, None)
            self.counters.acks_abandoned += len(stale)
        if stale:
            log.warning(json.dumps({"event": "acknowledge_abandoned", "messages": len(stale),
                                    "after_seconds": limits.WORKER_ACK_RETRY_SECONDS,
                                    "after": "they are delivered again"}))

    def _heartbeat_loop(self) -> None:
        while not self._housekeeping_stop.wait(limits.WORKER_HEARTBEAT_CHECK_SECONDS):
            self._heartbeat(time.monotonic())

    def _heartbeat(self, now: float) -> None:
        """Extend every held or unacknowledged message whose visibility (or lease) is half gone."""
        with self._lock:
            candidates = [h for h in self._held if h.state in ("waiting", "running")] + list(self._unacked)
            due = [h for h in candidates if now - h.visible_set_at >= self.config.heartbeat_after_seconds]
            for h in due:
                h.visible_set_at = now
        if not due:
            return
        try:
            self._call("extend", self.broker.extend, [h.token for h in due])
        except Exception:  # noqa: BLE001 - tried again on the next check
            with self._lock:
                for h in due:
                    h.visible_set_at = 0.0
            return
        with self._lock:
            self.counters.extended += len(due)

    def _chores_loop(self) -> None:
        probe = getattr(self.broker, "probe", None)
        if probe is not None:
            try:
                self._call("probe", probe)
            except Exception:  # noqa: BLE001 - logged by the fault log; receiving tells the rest
                pass
        while not self._housekeeping_stop.wait(limits.WORKER_HEARTBEAT_CHECK_SECONDS):
            try:
                self._call("housekeep", self.broker.housekeep)
            except Exception:  # noqa: BLE001 - reaping and metrics are retried on the next tick
                pass

    def _shutdown(self, stop_at: float) -> list[str]:
        """Release what waits, wait for handlers until the budget, then tear down by the deadline.

        Returns the teardown steps cut off at their deadline (their messages come back after
        the visibility timeout or lease).
        """
        plan = ShutdownPlan(stop_at, self.config.stop_timeout_seconds, self.config.drain_seconds)
        self._slots.close()
        waiting = self._take_waiting()  # marked at once: a handler that picks one up after this skips it
        steps = [in_background(lambda: self._give_back(waiting, "shutdown"), "release-waiting")] if waiting else []
        while time.monotonic() < plan.handlers_until:
            with self._lock:
                running = any(h.state == "running" for h in self._held)
            if not running:
                break
            time.sleep(TICK_SECONDS / 2)
        with self._lock:
            unfinished = [h for h in self._held if h.state in ("waiting", "running")]
        marked = self._mark_released(unfinished)
        steps.append(in_background(lambda: self.protection.stop(plan.teardown_until), "unprotect"))
        if marked:
            steps.append(in_background(lambda: self._give_back(marked, "stop timeout"), "release-unfinished"))
        self._housekeeping_stop.set()  # the acker flushes what is done, once more, and returns
        stop = getattr(self.broker, "stop", None)
        if stop is not None:
            stop()
        cut_off = join_until(steps + ([self._acker] if self._acker else []), plan.teardown_until)
        wait_metrics = getattr(self.broker, "wait_metrics_sent", None)
        if wait_metrics is not None:  # sent beside the steps above; lost (not a step cut off) if CloudWatch hangs
            wait_metrics(plan.teardown_until)
        # A poll in progress returns within its (capped) wait and releases what it brought.
        polls_until = min(plan.teardown_until, stop_at + self.config.poll_wait_seconds + POLL_RETURN_SECONDS)
        cut_off += join_until(self._receiver_threads, polls_until)
        for _ in self._threads:
            self._work.put(None)
        return cut_off
