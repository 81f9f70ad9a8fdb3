"""Redis faults against real redis-servers: a failover behind a TCP proxy, restarts with and without persistence.

Every test runs a `python -m worker` process on 300 items (4 handlers of 20 ms, claims of
4, a 5 s lease) through 127.0.0.1 only, and counts from the handler log what was
processed, twice, or never. Duplicates are bounded by the work in play when the fault hit:
what the worker held (its 4 handlers plus one claim of 4) and, after a failover, what the
new primary holds as leased (acks written to the old primary after the promotion are lost
with its data, as in any asynchronous failover).
"""

from __future__ import annotations

import tempfile
import time
import uuid

import pytest
import redis
from fault_servers import TcpProxy
from servers import APPEND_ONLY, LOOPBACK, NO_PERSISTENCE, free_port, start_redis, stop_process
from worker_running import WorkerProcess, done_counts, wait_until

from worker.config import WorkerConfig
from worker.redis_client import FailoverRetry, PoolDropper, redis_timing
from worker.redis_queue import RedisQueue

pytestmark = pytest.mark.slow
ITEMS = 300
CONCURRENCY = 4
CLAIM = 4
LEASE_SECONDS = 5
HELD_AT_MOST = CONCURRENCY + CLAIM
BACK_WITHIN_SECONDS = 30


def worker_env(port: int, workload: str) -> dict[str, str]:
    return {"REDIS_HOST": LOOPBACK, "REDIS_PORT": str(port), "QCAP_WORKLOAD": workload,
            "CONCURRENCY": str(CONCURRENCY), "RECEIVE_BATCH": str(CLAIM), "HANDLER_SECONDS": "0.02",
            "VISIBILITY_TIMEOUT_SECONDS": str(LEASE_SECONDS), "STOP_TIMEOUT_SECONDS": "5",
            "PUBLISH_METRICS": "false", "REDIS_POOL_SIZE": "6"}


def queue_on(port: int, workload: str) -> RedisQueue:
    return RedisQueue.from_config(WorkerConfig(redis_host=LOOPBACK, redis_port=port, workload=workload,
                                               visibility_timeout_seconds=LEASE_SECONDS))


def first_done_after(worker: WorkerProcess, count: int, timeout: float) -> float | None:
    """Seconds until the handler log has more than `count` done lines (None: not within timeout)."""
    started = time.monotonic()
    if wait_until(lambda: sum(done_counts(worker.log).values()) > count, timeout=timeout, step=0.05):
        return time.monotonic() - started
    return None


def test_retry_copies_keep_one_shared_pool_dropper():
    import copy

    dropper = PoolDropper()
    retry = FailoverRetry(redis.backoff.NoBackoff(), 2, on_read_only=dropper)
    assert copy.deepcopy(retry).on_read_only is dropper
    assert redis_timing(WorkerConfig(visibility_timeout_seconds=5)).worst_seconds <= 2.0


def test_worker_processes_again_within_30_s_after_a_failover_and_loses_nothing(tmp_path):
    workload = f"fo{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as dir_a, tempfile.TemporaryDirectory() as dir_b:
        a = start_redis(free_port(), dir_a)
        b = start_redis(free_port(), dir_b, extra=("--replicaof", LOOPBACK, str(a.port)))
        worker = None
        try:
            assert wait_until(lambda: b.client().info("replication")["master_link_status"] == "up", timeout=10)
            queue_on(a.port, workload).enqueue_many((f"i{n:03d}", f"i{n:03d}") for n in range(ITEMS))
            assert a.client().wait(1, 2000) == 1  # B has every item before anything moves
            with TcpProxy(a.port) as proxy:
                worker = WorkerProcess(tmp_path, worker_env(proxy.port, workload))
                assert wait_until(lambda: sum(done_counts(worker.log).values()) >= 100, timeout=30)
                connections_before = proxy.accepted
                b.client().replicaof("NO", "ONE")  # promote B ...
                a.client().replicaof(LOOPBACK, str(b.port))  # ... A follows it: its open connections are read-only
                proxy.flip(b.port)  # new connections reach B, as after the DNS change
                done_at_flip = sum(done_counts(worker.log).values())
                # What B holds as leased is the work in play: acks that reached A after B's promotion are lost
                # with A's data, so those items come back when their lease ends.
                leased_at_flip = b.client().zcard(f"qcap:{{{workload}}}:leases")
                back_after = first_done_after(worker, done_at_flip + HELD_AT_MOST, BACK_WITHIN_SECONDS)
                queue_b = queue_on(b.port, workload)
                assert wait_until(lambda: queue_b.stats().depth == 0, timeout=60, step=0.2)
                seconds = worker.terminate()
                assert proxy.accepted > connections_before  # it reconnected
        finally:
            if worker is not None:
                worker.kill()
            stop_process(a.process)
            stop_process(b.process)
    counts = done_counts(worker.log)
    duplicates = sum(n - 1 for n in counts.values())
    lost = ITEMS - len(counts)
    failures = [x for x in worker.lines() if x.get("event") in ("call_failed", "call_hanging")]
    print(f"\nfailover: processed {len(counts)}, duplicates {duplicates} ({leased_at_flip} leased on B at the flip), "
          f"lost {lost}, processing again {back_after:.1f} s after the flip, {len(failures)} fault lines, "
          f"exit {seconds:.2f} s")
    assert back_after is not None and back_after < BACK_WITHIN_SECONDS
    assert lost == 0 and duplicates <= leased_at_flip + HELD_AT_MOST
    assert "Traceback" not in worker.stderr() and len(failures) <= 10
    assert [x["event"] for x in worker.lines() if x.get("event") == "redis_read_only"] == ["redis_read_only"]
    assert worker.process.returncode == 0


@pytest.mark.parametrize("persistent", [True, False], ids=["append-only", "no-persistence"])
def test_worker_rides_out_a_redis_restart(tmp_path, persistent):
    """With an append-only file nothing is lost; without persistence the server itself loses what it held.

    What the worker guarantees either way: it reconnects on its own, processes every item
    enqueued after the restart, processes none of the first batch more than once beyond
    what it held, and exits cleanly.
    """
    workload = f"rs{uuid.uuid4().hex[:6]}"
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = start_redis(port, directory, APPEND_ONLY if persistent else NO_PERSISTENCE)
        worker = None
        try:
            queue_on(port, workload).enqueue_many((f"i{n:03d}", f"i{n:03d}") for n in range(ITEMS))
            worker = WorkerProcess(tmp_path, worker_env(port, workload))
            assert wait_until(lambda: sum(done_counts(worker.log).values()) >= 100, timeout=30)
            stop_process(server.process)  # SIGTERM: redis-server flushes the append-only file and exits
            done_at_stop = sum(done_counts(worker.log).values())
            time.sleep(2)
            server = start_redis(port, directory, APPEND_ONLY if persistent else NO_PERSISTENCE)
            queue = queue_on(port, workload)
            left_by_server = queue.stats().depth
            queue.enqueue_many((f"late{n:02d}", f"late{n:02d}") for n in range(50))
            back_after = first_done_after(worker, done_at_stop + HELD_AT_MOST, BACK_WITHIN_SECONDS)
            assert wait_until(lambda: queue.stats().depth == 0, timeout=60, step=0.2)
            seconds = worker.terminate()
        finally:
            if worker is not None:
                worker.kill()
            stop_process(server.process)
    counts = done_counts(worker.log)
    first = {k: n for k, n in counts.items() if k.startswith("i")}
    late = {k: n for k, n in counts.items() if k.startswith("late")}
    duplicates = sum(n - 1 for n in counts.values())
    lost_by_server = ITEMS - len(first)
    print(f"\nrestart ({'append-only' if persistent else 'no persistence'}): processed {len(counts)}, duplicates "
          f"{duplicates}, {lost_by_server} of the first {ITEMS} never processed (the server kept {left_by_server}), "
          f"processing again {back_after:.1f} s after the restart, exit {seconds:.2f} s")
    assert back_after is not None and back_after < BACK_WITHIN_SECONDS
    assert len(late) == 50  # everything enqueued after the restart is processed
    assert duplicates <= HELD_AT_MOST
    if persistent:
        assert lost_by_server == 0
    else:
        assert left_by_server == 0  # the server came back empty: the worker cannot process what it no longer has
        assert lost_by_server <= ITEMS - done_at_stop
    assert "Traceback" not in worker.stderr()
    assert worker.process.returncode == 0
