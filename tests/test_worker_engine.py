"""The engine's own rules, over an in-memory broker: batch log lines, FIFO order after a failure."""

from __future__ import annotations

import json
import logging
import threading
import time

from worker.config import WorkerConfig
from worker.engine import Engine, Message


class ListBroker:
    """Hands out prepared batches, records what the engine does with each token."""

    name = "memory"

    def __init__(self, batches: list[list[Message]]):
        self.batches = [list(b) for b in batches]
        self.completed: list[str] = []
        self.failed: list[str] = []
        self.released: list[str] = []
        self.lock = threading.Lock()

    def fetch(self, count, wait_seconds):
        with self.lock:
            if not self.batches:
                time.sleep(0.01)
                return []
            batch = self.batches.pop(0)
            assert len(batch) <= count
            return [(m, m.id) for m in batch]

    def complete(self, tokens):
        self.completed += tokens

    def fail(self, message, token, error):
        self.failed.append(token)
        return "retried"

    def release(self, tokens):
        self.released += tokens

    def extend(self, tokens):
        return None

    def housekeep(self):
        return None


def run_until(engine: Engine, predicate, timeout: float = 5.0) -> None:
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.stop()
    thread.join(10)


def test_engine_logs_one_structured_line_per_batch_with_its_outcomes(caplog):
    broker = ListBroker([[Message("a", "ok"), Message("b", "bad"), Message("c", "ok")], [Message("d", "ok")]])

    def handle(message):
        if message.body == "bad":
            raise RuntimeError("no")

    engine = Engine(broker, handle, WorkerConfig(concurrency=4, receive_batch=3))
    with caplog.at_level(logging.INFO, logger="qcap.worker"):
        run_until(engine, lambda: engine.counters.batches == 2)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith('{"event": "batch"')]
    assert sorted((x["batch"], x["messages"], x.get("processed", 0), x.get("failed", 0), x.get("retried", 0))
                  for x in lines) == [(1, 3, 2, 1, 1), (2, 1, 1, 0, 0)]
    # Two batches can finish on two threads and log in either order: the one that emptied the hand says 0.
    assert min(x["in_hand"] for x in lines) == 0
    assert {x["workload"] for x in lines} == {"worker"}
    assert (engine.counters.processed, engine.counters.failed, engine.counters.retried) == (3, 1, 1)


def test_engine_gives_back_the_rest_of_a_fifo_group_behind_a_failed_message():
    group = [Message(f"g{i}", str(i), group_id="g") for i in range(4)]
    broker = ListBroker([group])
    seen: list[str] = []

    def handle(message):
        seen.append(message.id)
        if message.id == "g1":
            raise RuntimeError("downstream refused")

    engine = Engine(broker, handle, WorkerConfig(concurrency=4, receive_batch=4))
    run_until(engine, lambda: len(broker.released) == 2)
    assert seen == ["g0", "g1"]
    assert (broker.completed, broker.failed, broker.released) == (["g0"], ["g1"], ["g2", "g3"])
