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


class WorkerProcess:
    """`python -m worker worker_handlers:record` in a subprocess, its output in files (a pipe could fill and block it)."""

    def __init__(self, directory, env: dict[str, str], name: str = "worker"):
        import subprocess
        import sys
        from pathlib import Path

        from servers import subprocess_env

        repo = Path(__file__).resolve().parent.parent
        self.log = Path(directory) / f"{name}.handled"
        self.out = Path(directory) / f"{name}.out"
        self.err = Path(directory) / f"{name}.err"
        environment = subprocess_env(env, {"HANDLER_LOG": str(self.log),
                                           "PYTHONPATH": f"{Path(__file__).resolve().parent}:{repo}"})
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "worker", "worker_handlers:record"], cwd=repo,
                                            env=environment, stdout=out, stderr=err, text=True)

    def lines(self) -> list[dict]:
        import json

        return [json.loads(x) for x in self.out.read_text().splitlines() if x.startswith("{")]

    def stderr(self) -> str:
        return self.err.read_text()

    def terminate(self, timeout: float = 15) -> float:
        """SIGTERM; seconds until the process exited."""
        sent = time.monotonic()
        self.process.terminate()
        self.process.wait(timeout)
        return time.monotonic() - sent

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def done_counts(*logs) -> dict[str, int]:
    """How many times each body was processed to the end, over the given handler logs."""
    from collections import Counter

    from worker_handlers import read_log

    counts: Counter[str] = Counter()
    for log in logs:
        counts.update(read_log(log)[1])
    return dict(counts)
