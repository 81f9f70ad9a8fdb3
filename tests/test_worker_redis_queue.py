"""The Redis queue and worker against a real redis-server on a loopback port (seed 001's queue)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from servers import subprocess_env
from worker_handlers import read_log
from worker_running import Running, wait_until

from worker.config import WorkerConfig
from worker.engine import Message
from worker.redis_queue import QueueStats, RedisQueue, metric_data, redis_worker

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def config(redis_srv, **changes) -> WorkerConfig:
    settings = dict(redis_host="127.0.0.1", redis_port=redis_srv.port, workload=f"w{uuid.uuid4().hex[:8]}",
                    stack="unit", publish_metrics=False, redis_pool_size=4, stop_timeout_seconds=10)
    settings.update(changes)
    return WorkerConfig(**settings)


class RecordingCloudWatch:
    """Records put_metric_data calls (the metric contract is asserted, not CloudWatch itself)."""

    def __init__(self):
        self.calls = []

    def put_metric_data(self, **kwargs):
        self.calls.append(kwargs)


def test_two_workers_process_50000_items_exactly_once(redis_srv):
    cfg = config(redis_srv, concurrency=16, receive_batch=50)
    queue = RedisQueue.from_config(cfg)
    total = 50_000
    started = time.monotonic()
    assert queue.enqueue_many((str(i), f"point-{i}") for i in range(total)) == total
    enqueued = time.monotonic() - started
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def handle(message: Message) -> None:
        with lock:
            seen[message.id] += 1
        assert message.body == f"point-{message.id}"

    first, second = redis_worker(handle, cfg), redis_worker(handle, cfg)
    with Running(first), Running(second):
        assert wait_until(lambda: sum(seen.values()) >= total, timeout=60, step=0.05)
        assert wait_until(lambda: queue.stats().depth == 0, timeout=5)
    elapsed = time.monotonic() - started
    assert len(seen) == total and set(seen.values()) == {1}
    assert first.counters.processed + second.counters.processed == total
    assert first.counters.processed > 0 and second.counters.processed > 0
    assert queue.stats() == QueueStats(due=0, leased=0, dead=0, oldest_age_seconds=0.0)
    assert queue.client.hlen(queue.items_key) == 0 and queue.client.hlen(queue.attempts_key) == 0
    print(f"\n50,000 Redis items: enqueued in {enqueued:.2f} s, all processed once in {elapsed:.1f} s")


def test_enqueue_keeps_an_item_once_when_its_id_is_queued_twice(redis_srv):
    queue = RedisQueue.from_config(config(redis_srv))
    assert queue.enqueue_many([("a", "1"), ("b", "2")]) == 2
    assert queue.enqueue_many([("a", "changed"), ("c", "3")]) == 1
    assert [(i, p) for i, p, _ in queue.claim(10, 30)] == [("a", "1"), ("b", "2"), ("c", "3")]


def test_claim_leases_each_item_to_one_caller_when_many_claim_at_once(redis_srv):
    queue = RedisQueue.from_config(config(redis_srv))
    queue.enqueue_many((str(i), "x") for i in range(2000))
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer() -> None:
        while True:
            got = queue.claim(7, 30)
            if not got:
                return
            with lock:
                claimed.extend(i for i, _, _ in got)

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(claimed) == 2000 and len(set(claimed)) == 2000
    assert queue.stats().due == 0 and queue.stats().leased == 2000


def test_failing_items_are_retried_with_backoff_then_dead_lettered_after_the_budget(redis_srv):
    cfg = config(redis_srv, concurrency=4, max_receive_count=3, retry_backoff_seconds=0.5)
    queue = RedisQueue.from_config(cfg)
    queue.enqueue_many((f"m{i}", f"payload-{i}") for i in range(30))
    bad = {"m4", "m20"}
    attempts: dict[str, list[float]] = {}
    lock = threading.Lock()

    def handle(message: Message) -> None:
        with lock:
            attempts.setdefault(message.id, []).append(time.monotonic())
        if message.id in bad:
            raise ValueError(f"foreign key missing for {message.id}")

    engine = redis_worker(handle, cfg)
    with Running(engine):
        assert wait_until(lambda: queue.stats().dead == 2, timeout=15)
    dead = sorted(queue.dead_letters(), key=lambda d: d["id"])
    assert [(d["id"], d["payload"], d["attempts"]) for d in dead] == [("m20", "payload-20", 3), ("m4", "payload-4", 3)]
    assert "foreign key missing" in dead[0]["error"]
    assert {i: len(t) for i, t in attempts.items() if i in bad} == {"m4": 3, "m20": 3}
    assert all(len(attempts[f"m{i}"]) == 1 for i in range(30) if f"m{i}" not in bad)
    for i in bad:  # backoff 1 s after the first failure (ceil of 0.5), 1 s after the second
        first, second, third = attempts[i]
        assert second - first >= 0.9 and third - second >= 0.9
    c = engine.counters
    assert (c.processed, c.failed, c.retried, c.dead_lettered) == (28, 6, 4, 2)
    assert queue.stats().depth == 0


def test_reaper_returns_items_whose_lease_expired_and_dead_letters_them_after_the_budget(redis_srv):
    queue = RedisQueue.from_config(config(redis_srv, max_receive_count=2))
    queue.enqueue_many([("crashed", "p")])
    assert queue.claim(1, 0.2) == [("crashed", "p", 1)]  # a worker claims it and dies
    assert queue.reap() == (0, 0)
    time.sleep(0.3)
    assert queue.reap() == (1, 0)
    assert queue.claim(1, 0.2) == [("crashed", "p", 2)]
    time.sleep(0.3)
    assert queue.reap() == (0, 1)
    assert [(d["id"], d["error"]) for d in queue.dead_letters()] == [("crashed", "lease expired")]


def test_extend_keeps_a_lease_that_would_have_expired(redis_srv):
    queue = RedisQueue.from_config(config(redis_srv))
    queue.enqueue_many([("long", "p")])
    queue.claim(1, 0.3)
    time.sleep(0.2)
    assert queue.extend(["long"], 5) == 1
    time.sleep(0.2)
    assert queue.reap() == (0, 0)
    assert queue.ack(["long"]) == 1 and queue.extend(["long"], 5) == 0


def test_stats_count_due_and_leased_items_and_the_age_of_the_oldest_due_one(redis_srv):
    queue = RedisQueue.from_config(config(redis_srv))
    enqueued = time.monotonic()
    queue.enqueue_many([("a", "1"), ("b", "2"), ("c", "3")])
    queue.enqueue_many([("later", "4")], delay_seconds=60)
    time.sleep(0.3)
    queue.claim(1, 30)
    stats = queue.stats()
    waited = time.monotonic() - enqueued
    assert (stats.due, stats.leased, stats.dead, stats.depth) == (3, 1, 0, 4)
    # Seconds, not milliseconds: at least the 0.3 s slept, at most the time since the first enqueue.
    assert 0.25 <= stats.oldest_age_seconds <= waited + 0.05


def test_metrics_are_the_three_the_alarms_read_with_stack_and_workload_dimensions():
    data = metric_data(QueueStats(due=7, leased=3, dead=2, oldest_age_seconds=12.5), "prod", "points")
    dims = [{"Name": "Stack", "Value": "prod"}, {"Name": "Workload", "Value": "points"}]
    assert data == [
        {"MetricName": "QueueDepth", "Value": 10, "Unit": "Count", "Dimensions": dims},
        {"MetricName": "OldestMessageAgeSeconds", "Value": 12.5, "Unit": "Seconds", "Dimensions": dims},
        {"MetricName": "DeadLetterDepth", "Value": 2, "Unit": "Count", "Dimensions": dims},
    ]


def test_worker_publishes_queue_metrics_once_per_period(redis_srv):
    cfg = config(redis_srv, publish_metrics=True, metric_period_seconds=1, workload="points")
    cfg = cfg.with_changes(redis_queue_key=f"qcap:{{points-{uuid.uuid4().hex[:6]}}}")
    queue = RedisQueue.from_config(cfg)
    queue.enqueue_many([("x", "1"), ("y", "2")], delay_seconds=600)
    cloudwatch = RecordingCloudWatch()
    engine = redis_worker(lambda m: None, cfg, cloudwatch=cloudwatch)
    started = time.monotonic()
    with Running(engine):
        assert wait_until(lambda: len(cloudwatch.calls) >= 2, timeout=30)
        calls = len(cloudwatch.calls)
        ran = time.monotonic() - started  # read after the count, so it covers every call counted
    # At most once per 1 s period (one at start, one a period after...) however slowly the machine ran.
    assert 2 <= calls <= ran / cfg.metric_period_seconds + 1
    call = cloudwatch.calls[0]
    assert call["Namespace"] == "qcap/Redis"
    values = {d["MetricName"]: d["Value"] for d in call["MetricData"]}
    # The queue's three and the worker's own count (nothing handled yet: no processing or receive datum).
    assert values == {"QueueDepth": 2, "OldestMessageAgeSeconds": 0.0, "DeadLetterDepth": 0, "MessagesProcessed": 0.0}
    assert call["MetricData"][0]["Dimensions"] == [{"Name": "Stack", "Value": "unit"},
                                                    {"Name": "Workload", "Value": "points"}]


def test_redis_worker_releases_unfinished_items_on_sigterm(redis_srv, tmp_path):
    cfg = config(redis_srv)
    queue = RedisQueue.from_config(cfg)
    queue.enqueue_many((f"i{n:02d}", f"i{n:02d}") for n in range(20))
    log = tmp_path / "handled.log"
    env = subprocess_env(redis_srv.env, {
        "QCAP_WORKLOAD": cfg.workload, "QCAP_STACK": "unit", "CONCURRENCY": "3", "HANDLER_SECONDS": "60",
        "STOP_TIMEOUT_SECONDS": "3", "PUBLISH_METRICS": "false", "HANDLER_LOG": str(log),
        "PYTHONPATH": f"{TESTS}:{REPO}",
    })
    process = subprocess.Popen([sys.executable, "-m", "worker", "worker_handlers:record"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_until(lambda: len(read_log(log)[0]) == 3, timeout=20)
    assert (queue.stats().due, queue.stats().leased) == (17, 3)
    process.terminate()
    # The handlers sleep 60 s: exiting at all before this guard shows it released them at its stop
    # timeout instead of waiting (how soon is the machine's speed, not the worker's behaviour).
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0
    stats = queue.stats()
    assert (stats.due, stats.leased, stats.dead) == (20, 0, 0)
    released = [i for i, _, attempts in queue.claim(20, 30) if attempts == 1]
    assert len(released) == 20  # a released claim does not spend an attempt
    lines = [json.loads(x) for x in process.stdout.read().splitlines() if x.startswith("{")]
    assert lines[-1]["totals"]["released"] == 3


def test_redis_worker_never_loses_the_lease_of_a_handler_slower_than_half_of_it(redis_srv):
    cfg = config(redis_srv, concurrency=2, visibility_timeout_seconds=2)
    queue = RedisQueue.from_config(cfg)
    queue.enqueue_many([("slow-1", "a"), ("slow-2", "b")])
    calls: Counter[str] = Counter()

    def handle(message: Message) -> None:
        calls[message.id] += 1
        time.sleep(5)  # 2.5 x the lease

    engine = redis_worker(handle, cfg)
    stolen = []
    with Running(engine):
        assert wait_until(lambda: len(calls) == 2, timeout=5)
        deadline = time.monotonic() + 5.5
        while time.monotonic() < deadline:  # another worker's claims and reaps meanwhile
            queue.reap()
            stolen += queue.claim(10, 30)
            time.sleep(0.1)
        assert wait_until(lambda: engine.counters.processed == 2, timeout=5)
    assert stolen == []
    assert dict(calls) == {"slow-1": 1, "slow-2": 1}
    # Holding a 2 s lease for 5 s takes at least 2 extensions each (one more per 2 s held); the
    # worker extends every ~1 s, but how many times that fits in 5 s is the machine's speed.
    assert engine.counters.extended >= 2 * 2
    assert queue.stats().depth == 0
