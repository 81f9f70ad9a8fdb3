"""One worker process's throughput against the plan's per-task rate, on a moto server and on a real redis-server.

Run: .venv/bin/python benchmarks/bench_worker.py [--brokers sqs,redis] [--concurrency 1,8,32] [--seconds 0.05,0.5]
Needs redis-server on PATH (apt-get install -y redis-server). Prints a table; asserts nothing.

For each cell the handler sleeps t seconds; the queue is kept full (Redis: preloaded; SQS: a
closed-loop producer keeps 2c + 20 messages outstanding, because moto's SendMessage scans the
queue); after a warm-up the completions in a fixed window give the measured rate. It is
compared with c / t and with the planner's per-task rate (capacity/plan/receiving.py):
c / (t + o), o the receive overhead computed from the receive latencies this run measured
(the worker's own receive or claim calls: their mean, and the mean remaining time of one
found in progress, E[L^2] / 2E[L]), at most receivers x batch / latency. The SQS worker polls with one
receiver here (moto's ReceiveMessage is not atomic between concurrent polls), so its latency
is moto's, a few ms on loopback growing with load, where real SQS averages about 20 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from servers import moto_server, redis_server  # noqa: E402

from capacity.plan.receiving import overhead_seconds  # noqa: E402
from worker.config import WorkerConfig  # noqa: E402
from worker.redis_queue import RedisQueue, redis_worker  # noqa: E402
from worker.sqs import sqs_worker  # noqa: E402

WARMUP_SECONDS = 1.0
RECEIVE_BATCH = 10  # both brokers' workers here receive (claim) at most 10 at a time
# Window length per handler time: long enough for ~10 rounds of c messages at t = 0.5 s.
WINDOW_SECONDS = {0.05: 4.0, 0.5: 6.0}
DEFAULT_WINDOW_SECONDS = 5.0


class Meter:
    """Counts completions; `window` counts those inside [start, start + seconds]."""

    def __init__(self) -> None:
        self.done = 0
        self.lock = threading.Lock()

    def handler(self, seconds: float):
        def handle(message) -> None:
            time.sleep(seconds)
            with self.lock:
                self.done += 1

        return handle

    def window(self, seconds: float) -> float:
        time.sleep(WARMUP_SECONDS)
        with self.lock:
            first = self.done
        started = time.monotonic()
        time.sleep(seconds)
        with self.lock:
            last = self.done
        return (last - first) / (time.monotonic() - started)


class TimedFetch:
    """Wraps a broker's fetch to record how long each receive (or claim) call takes."""

    def __init__(self, fetch):
        self.fetch = fetch
        self.seconds: list[float] = []

    def __call__(self, count: int, wait_seconds: int):
        started = time.monotonic()
        try:
            return self.fetch(count, wait_seconds)
        finally:
            self.seconds.append(time.monotonic() - started)

    def moments(self) -> tuple[float, float]:
        """(mean latency, mean residual E[L^2] / 2E[L]) of the calls after the warm-up's."""
        recent = self.seconds[len(self.seconds) // 4:]
        if not recent:
            return 0.0, 0.0
        mean = sum(recent) / len(recent)
        return mean, sum(s * s for s in recent) / len(recent) / (2 * mean)


def run_engine(engine, meter: Meter, seconds: float, window: float) -> tuple[float, tuple[float, float]]:
    """(completions per second in the window, (mean receive latency, mean residual) in seconds)."""
    timed = TimedFetch(engine.broker.fetch)
    engine.broker.fetch = timed
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    try:
        return meter.window(window), timed.moments()
    finally:
        engine.stop()
        thread.join(30)


def bench_sqs(moto, c: int, t: float, window: float, receivers: int = 1) -> tuple[float, tuple[float, float]]:
    sqs = moto.client()
    url = sqs.create_queue(QueueName=f"bench-{c}-{str(t).replace('.', '_')}")["QueueUrl"]
    meter = Meter()
    stop = threading.Event()

    def produce() -> None:
        sent = 0
        while not stop.is_set():
            if sent - meter.done >= 2 * c + 20:
                time.sleep(0.002)
                continue
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(sent + i)}
                                                          for i in range(10)])
            sent += 10

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    config = WorkerConfig(queue_url=url, region="us-east-1", concurrency=c, receive_wait_seconds=1,
                          receivers=receivers, receive_batch=RECEIVE_BATCH)
    try:
        return run_engine(sqs_worker(meter.handler(t), config, sqs=moto.client()), meter, t, window)
    finally:
        stop.set()
        producer.join(10)


def bench_redis(server, c: int, t: float, window: float) -> tuple[float, tuple[float, float]]:
    config = WorkerConfig(redis_host="127.0.0.1", redis_port=server.port, workload=f"bench-{c}-{t}",
                          concurrency=c, receive_batch=RECEIVE_BATCH, publish_metrics=False, redis_pool_size=4)
    queue = RedisQueue.from_config(config)
    needed = int((window + WARMUP_SECONDS + 2) * c / t * 1.5) + 100
    queue.enqueue_many((str(i), "x") for i in range(needed))
    meter = Meter()
    return run_engine(redis_worker(meter.handler(t), config), meter, t, window)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", default="sqs,redis")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", default="0.05,0.5")
    parser.add_argument("--receivers", type=int, default=1,
                        help="SQS parallel polls (moto may then hand one message to two polls)")
    args = parser.parse_args()
    brokers = args.brokers.split(",")
    cells = [(c, t) for t in map(float, args.seconds.split(",")) for c in map(int, args.concurrency.split(","))]
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    rows = []
    for broker in brokers:
        context = moto_server() if broker == "sqs" else redis_server()
        with context as server:
            for c, t in cells:
                window = WINDOW_SECONDS.get(t, DEFAULT_WINDOW_SECONDS)
                if broker == "sqs":
                    rate, (latency, residual) = bench_sqs(server, c, t, window, args.receivers)
                else:
                    rate, (latency, residual) = bench_redis(server, c, t, window)
                receivers = args.receivers if broker == "sqs" else 1
                overhead = overhead_seconds(c, latency, t, receivers, residual)
                # The planner's rate: c / (t + o), at most what the receivers hand out (batch 10 per receive).
                planned = min(c / (t + overhead), receivers * RECEIVE_BATCH / latency) if latency else c / (t + overhead)
                row = (c, t, "sqs (moto)" if broker == "sqs" else "redis", rate, c / t, latency,
                       c / rate - t, overhead, planned)
                rows.append(row)
                print(f"  {row[2]:<11} c={c:<3} t={t:<5} {rate:8.1f} msg/s  (c/t {c / t:g}, "
                      f"receive {latency * 1000:.1f} ms)", flush=True)
    print()
    print(f"{'c':>3} {'t (s)':>6} {'broker':<11} {'measured/s':>10} {'c/t':>6} {'ratio':>6} {'recv ms':>8} "
          f"{'o meas ms':>9} {'o plan ms':>9} {'plan/s':>8} {'ratio':>6}")
    for c, t, broker, rate, naive, latency, measured_o, planned_o, planned in rows:
        print(f"{c:>3} {t:>6g} {broker:<11} {rate:>10.1f} {naive:>6g} {rate / naive:>6.2f} {latency * 1000:>8.1f} "
              f"{measured_o * 1000:>9.1f} {planned_o * 1000:>9.1f} {planned:>8.1f} {rate / planned:>6.2f}")
    print("\nratio: measured / c/t, then measured / the planner's rate: c / (t + o) with o from the measured receive "
          "latencies, at most receivers x 10 / latency")
    return 0

if __name__ == "__main__":
    sys.exit(main())
