"""ECS task scale-in protection, held while the worker holds messages.

Scale-in picks any unprotected task and stops it (aws-cdk #20706, #9242: mid-message). The
ECS agent injects `ECS_AGENT_URI`; a PUT to `$ECS_AGENT_URI/task-protection/v1/state` with
`{"ProtectionEnabled": true, "ExpiresInMinutes": m}` protects the task (the task role needs
ecs:UpdateTaskProtection, which the Fargate component grants). The worker protects when it
first holds a message, renews before expiry while busy, and unprotects after it has held
nothing for `PROTECTION_IDLE_SECONDS`, so an idle task can be scaled in and a trickle of
messages does not flap the call. The calls run on their own thread: a slow agent never
delays a handler, and at shutdown the release gets a hard deadline inside the teardown
budget (an agent that hangs costs at most `WORKER_PROTECTION_RELEASE_TIMEOUT_SECONDS`).
Failures are logged through the rate-limited fault log. Without `ECS_AGENT_URI` (a local
run) this does nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

from capacity import limits
from worker.calls import FaultLog

log = logging.getLogger("qcap.worker.protection")

PROTECTION_PATH = "/task-protection/v1/state"
REQUEST_TIMEOUT_SECONDS = 5.0
RETRY_AFTER_FAILURE_SECONDS = 1.0
POLL_SECONDS = 0.05


class TaskProtection:
    """Keeps the task protected while busy. `busy(True/False)` is cheap and thread-safe."""

    def __init__(self, agent_uri: str | None, idle_seconds: float = limits.WORKER_PROTECTION_IDLE_SECONDS,
                 minutes: int = limits.WORKER_PROTECTION_MINUTES, faults: FaultLog | None = None):
        if not limits.ECS_TASK_PROTECTION_MIN_MINUTES <= minutes <= limits.ECS_TASK_PROTECTION_MAX_MINUTES:
            raise ValueError(f"protection minutes {minutes} outside {limits.ECS_TASK_PROTECTION_MIN_MINUTES}-"
                             f"{limits.ECS_TASK_PROTECTION_MAX_MINUTES}")
        self.url = agent_uri.rstrip("/") + PROTECTION_PATH if agent_uri else None
        self.idle_seconds = idle_seconds
        self.minutes = minutes
        self.held = False
        self.calls = 0
        self.failures = 0
        self.faults = faults or FaultLog()
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._busy = False
        self._idle_since = time.monotonic()
        self._held_since = 0.0
        self._retry_at = 0.0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.url is not None

    def busy(self, busy: bool) -> None:
        if not self.enabled:
            return
        with self._cond:
            if busy == self._busy:
                return
            self._busy = busy
            if not busy:
                self._idle_since = time.monotonic()
            self._cond.notify_all()

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="qcap-worker-protection", daemon=True)
            self._thread.start()

    def stop(self, deadline: float | None = None) -> bool:
        """Stop the thread and leave the task unprotected (it is exiting), giving up at `deadline`.

        The release PUT runs on a daemon thread with a timeout that ends by the deadline (at
        most WORKER_PROTECTION_RELEASE_TIMEOUT_SECONDS); a call of the loop still hanging is
        left behind. True when nothing was left to do or the release answered in time.
        """
        if self._thread is None:
            return True
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        now = time.monotonic()
        if deadline is None:
            deadline = now + limits.WORKER_PROTECTION_RELEASE_TIMEOUT_SECONDS
        self._thread.join(timeout=max(0.0, min(deadline - now, POLL_SECONDS * 2)))
        if not (self.held or self._in_flight):
            return True
        timeout = min(limits.WORKER_PROTECTION_RELEASE_TIMEOUT_SECONDS, deadline - time.monotonic())
        if timeout <= 0:
            return False
        release = threading.Thread(target=self._put, args=(False, timeout), name="qcap-worker-unprotect",
                                   daemon=True)
        release.start()
        release.join(max(0.0, deadline - time.monotonic()))
        return not release.is_alive() and not self.held

    def _wanted(self, now: float) -> bool:
        return self._busy or (self.held and now - self._idle_since < self.idle_seconds)

    def _loop(self) -> None:
        renew_after = self.minutes * 60 / 2
        while True:
            with self._cond:
                self._cond.wait(POLL_SECONDS)
                if self._stopped:
                    return
                now = time.monotonic()
                wanted = self._wanted(now)
            if now < self._retry_at:
                continue
            if wanted and (not self.held or now - self._held_since >= renew_after):
                self._put(True)
            elif not wanted and self.held:
                self._put(False)

    def _put(self, enabled: bool, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        body: dict[str, object] = {"ProtectionEnabled": enabled}
        if enabled:
            body["ExpiresInMinutes"] = self.minutes
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), method="PUT",
                                         headers={"Content-Type": "application/json"})
        with self._in_flight_lock:
            self.calls += 1
            self._in_flight += 1
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self._failed(exc)
            return
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1
        if answer.get("failure") or answer.get("error"):
            self._failed(json.dumps(answer)[:300])
            return
        self.held = enabled
        self._held_since = time.monotonic()
        self.faults.succeeded("ecs-agent", "UpdateTaskProtection", self.url)
        log.info(json.dumps({"event": "task_protection", "enabled": enabled,
                             "expires_in_minutes": self.minutes if enabled else None}))

    def _failed(self, why: BaseException | str) -> None:
        self.failures += 1
        self._retry_at = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
        self.faults.failed("ecs-agent", "UpdateTaskProtection", self.url, why)
