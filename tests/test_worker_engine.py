"""The engine's own rules over an in-memory broker (batch log lines, FIFO order), and kill -9 mid-batch on real servers."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest

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


# --- kill -9 mid-batch, against real servers ------------------------------------------


def killed_then_replaced(tmp_path, env: dict[str, str], total: int,
                         empty) -> tuple[dict[str, int], set[str], set[str], float]:
    """Run a worker, SIGKILL it mid-batch, start another; (done counts, bodies in hand at the kill, bodies the
    second worker finished, seconds to empty)."""
    import signal

    from worker_handlers import read_log
    from worker_running import WorkerProcess, done_counts, wait_until

    first = WorkerProcess(tmp_path, env, name="first")

    def mid_batch() -> bool:
        started, done = read_log(first.log)
        return len(done) >= 8 and len(started) - len(done) == 4  # four handlers running

    assert wait_until(mid_batch, timeout=30, step=0.01)
    first.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    first.process.wait(10)
    started, done = read_log(first.log)
    in_hand = set(started) - set(done)
    second = WorkerProcess(tmp_path, env, name="second")
    try:
        assert wait_until(lambda: len(done_counts(first.log, second.log)) == total and empty(), timeout=60, step=0.1)
        seconds = time.monotonic() - killed_at
        assert second.terminate() < 5
    finally:
        second.kill()
    return done_counts(first.log, second.log), in_hand, set(done_counts(second.log)), seconds


@pytest.mark.slow
def test_sqs_messages_held_by_a_killed_worker_come_back_after_their_visibility_timeout(moto, tmp_path):
    from test_worker_sqs import depth, make_queue, send

    sqs = moto.client()
    url, _ = make_queue(sqs, "kill-9", visibility=3)
    bodies = [f"m{i:02d}" for i in range(40)]
    send(sqs, url, bodies)
    env = {**moto.env, "QUEUE_URL": url, "RECEIVERS": "1", "RECEIVE_WAIT_SECONDS": "1", "CONCURRENCY": "4",
           "HANDLER_SECONDS": "0.5", "VISIBILITY_TIMEOUT_SECONDS": "3", "STOP_TIMEOUT_SECONDS": "5"}
    counts, in_hand, by_second, seconds = killed_then_replaced(tmp_path, env, len(bodies),
                                                               lambda: depth(sqs, url) == (0, 0))
    duplicates = sum(n - 1 for n in counts.values())
    print(f"\nSQS kill -9 mid-batch: processed {len(counts)}, duplicates {duplicates} ({len(in_hand)} in hand), "
          f"lost {len(bodies) - len(counts)}, queue empty {seconds:.1f} s after the kill")
    assert sorted(counts) == bodies
    assert in_hand and in_hand <= by_second  # what the killed worker held came back and the second one did it
    assert duplicates <= 2 * 4  # what it held: 4 running, and up to 4 finished but not yet deleted


@pytest.mark.slow
def test_redis_items_leased_by_a_killed_worker_come_back_when_the_lease_ends(redis_srv, tmp_path):
    import uuid

    from worker.redis_queue import RedisQueue

    workload = f"k9{uuid.uuid4().hex[:6]}"
    queue = RedisQueue.from_config(WorkerConfig(redis_host="127.0.0.1", redis_port=redis_srv.port, workload=workload))
    bodies = [f"i{n:02d}" for n in range(40)]
    queue.enqueue_many((b, b) for b in bodies)
    env = {**redis_srv.env, "QCAP_WORKLOAD": workload, "CONCURRENCY": "4", "RECEIVE_BATCH": "4",
           "HANDLER_SECONDS": "0.5", "VISIBILITY_TIMEOUT_SECONDS": "3", "PUBLISH_METRICS": "false",
           "STOP_TIMEOUT_SECONDS": "5"}
    counts, in_hand, by_second, seconds = killed_then_replaced(tmp_path, env, len(bodies),
                                                               lambda: queue.stats().depth == 0)
    duplicates = sum(n - 1 for n in counts.values())
    print(f"\nRedis kill -9 mid-batch: processed {len(counts)}, duplicates {duplicates} ({len(in_hand)} in hand), "
          f"lost {len(bodies) - len(counts)}, queue empty {seconds:.1f} s after the kill")
    assert sorted(counts) == bodies and queue.stats().dead == 0
    assert in_hand and in_hand <= by_second  # the lease ended and the second worker took them
    assert duplicates <= 2 * 4
