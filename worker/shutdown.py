"""The shutdown's clock: when handlers stop being waited for, when teardown must be over.

ECS sends SIGKILL `STOP_TIMEOUT_SECONDS` after SIGTERM. The worker keeps a measured budget
(`WORKER_SHUTDOWN_BUDGET_SECONDS` in capacity/limits.py) at the end of it for teardown:
releasing what is unfinished, the last acknowledgements and the scale-in protection release
run side by side, each cut off at the teardown deadline, and the process then exits with
`WORKER_EXIT_SECONDS` to spare. A call that hangs past its deadline is abandoned on its
daemon thread: its messages come back when their visibility timeout or lease ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from capacity import limits

log = logging.getLogger("qcap.worker")


@dataclass(frozen=True)
class ShutdownPlan:
    """Deadlines (monotonic seconds) of one shutdown that began at `stop_at`.

    `drain_seconds` is WorkerConfig.drain_seconds: the stop timeout less the teardown budget.
    """

    stop_at: float
    stop_timeout_seconds: float
    drain_seconds: float

    @property
    def budget_seconds(self) -> float:
        return self.stop_timeout_seconds - self.drain_seconds

    @property
    def handlers_until(self) -> float:
        """Handlers in progress are waited for until here; what is unfinished then is released."""
        return self.stop_at + self.drain_seconds

    @property
    def teardown_until(self) -> float:
        """Release, last acknowledgements and the protection release end here, done or not."""
        exit_seconds = self.budget_seconds * limits.WORKER_EXIT_SECONDS / limits.WORKER_SHUTDOWN_BUDGET_SECONDS
        return self.stop_at + self.stop_timeout_seconds - exit_seconds

    @property
    def kill_at(self) -> float:
        return self.stop_at + self.stop_timeout_seconds


def in_background(target: Callable[[], None], name: str) -> threading.Thread:
    """Run one teardown step on a daemon thread (logged, never raised: teardown goes on)."""

    def run() -> None:
        try:
            target()
        except Exception:  # noqa: BLE001 - a failed step is logged; the others still run
            log.warning("shutdown step %s failed", name, exc_info=True)

    thread = threading.Thread(target=run, name=f"qcap-worker-{name}", daemon=True)
    thread.start()
    return thread


def join_until(threads: list[threading.Thread], deadline: float) -> list[str]:
    """Wait for each thread until `deadline`; the names of those still running."""
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in threads if t.is_alive()]
