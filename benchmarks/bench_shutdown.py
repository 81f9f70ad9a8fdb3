"""What a worker's shutdown costs after it stops waiting for handlers: the measurement behind WORKER_SHUTDOWN_BUDGET_SECONDS.

Run: .venv/bin/python benchmarks/bench_shutdown.py [--runs 5]
Needs redis-server on PATH. Prints a table; asserts nothing.

Each run starts `python -m worker` (4 handlers of 30 s, stop timeout 10 s) against a moto
server or a loopback redis-server, with an ECS agent stub that answers, waits until all four
handlers run, sends SIGTERM and times: teardown = the stop line's seconds_to_stop minus the
time handlers are waited for (release of the 4 unfinished messages, the last acknowledgements
and the protection release, side by side); exit = SIGTERM to process exit minus seconds_to_stop
(the interpreter's own teardown).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from servers import ecs_agent_stub, moto_server, redis_server, subprocess_env  # noqa: E402
from worker_handlers import read_log  # noqa: E402

from worker.config import WorkerConfig  # noqa: E402
from worker.redis_queue import RedisQueue  # noqa: E402

STOP_TIMEOUT_SECONDS = 10
CONCURRENCY = 4


def one_run(broker_env: dict[str, str], agent_uri: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "handled.log"
        env = subprocess_env(broker_env, {
            "CONCURRENCY": str(CONCURRENCY), "HANDLER_SECONDS": "30", "STOP_TIMEOUT_SECONDS": str(STOP_TIMEOUT_SECONDS),
            "RECEIVERS": "1", "RECEIVE_WAIT_SECONDS": "1", "PUBLISH_METRICS": "false", "ECS_AGENT_URI": agent_uri,
            "HANDLER_LOG": str(log), "PYTHONPATH": f"{ROOT / 'tests'}:{ROOT}",
        })
        process = subprocess.Popen([sys.executable, "-m", "worker", "worker_handlers:record"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 30
        while len(read_log(log)[0]) < CONCURRENCY and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        sent = time.monotonic()
        process.terminate()
        process.wait(30)
        total = time.monotonic() - sent
        stop = [json.loads(x) for x in process.stdout.read().splitlines() if x.startswith('{"event": "stop"')][-1]
    drain = WorkerConfig(stop_timeout_seconds=STOP_TIMEOUT_SECONDS).drain_seconds
    return stop["seconds_to_stop"] - drain, total - stop["seconds_to_stop"]


def sqs_env(moto, name: str) -> dict[str, str]:
    sqs = moto.client()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(8)])
    return {**moto.env, "QUEUE_URL": url}


def redis_env(server, workload: str) -> dict[str, str]:
    queue = RedisQueue.from_config(WorkerConfig(redis_host="127.0.0.1", redis_port=server.port, workload=workload))
    queue.enqueue_many((f"i{n}", f"i{n}") for n in range(8))
    return {**server.env, "QCAP_WORKLOAD": workload}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    rows = []
    with moto_server() as moto, redis_server() as server, ecs_agent_stub() as agent:
        for broker in ("sqs", "redis"):
            teardowns, exits = [], []
            for _ in range(runs):
                name = f"bench-stop-{uuid.uuid4().hex[:8]}"
                env = sqs_env(moto, name) if broker == "sqs" else redis_env(server, name)
                teardown, exit_seconds = one_run(env, agent.uri)
                teardowns.append(teardown)
                exits.append(exit_seconds)
            rows.append((broker, teardowns, exits))
    print(f"{'broker':8} {'runs':>4} {'teardown s (min/median/max)':>30} {'exit s (min/median/max)':>26}")
    for broker, teardowns, exits in rows:
        def stats(values: list[float]) -> str:
            ordered = sorted(values)
            return f"{ordered[0]:.3f} / {ordered[len(ordered) // 2]:.3f} / {ordered[-1]:.3f}"

        print(f"{broker:8} {len(teardowns):>4} {stats(teardowns):>30} {stats(exits):>26}")


if __name__ == "__main__":
    main()
