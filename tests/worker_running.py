"""Test support for the worker: run an engine on a thread for the length of a block, and wait for a condition."""

from __future__ import annotations

import threading
import time


class Running:
    """A worker on a thread of this process, stopped (and joined) when the block ends."""

    def __init__(self, engine):
        self.engine = engine
        self.thread = threading.Thread(target=engine.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.engine

    def __exit__(self, *exc):
        self.engine.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()


def wait_until(predicate, timeout: float, step: float = 0.02) -> bool:
    """Whether `predicate` became true within `timeout` seconds, polling every `step`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
