"""SIGTERM against real servers: the process exits inside the stop timeout, slow handlers or a hanging ECS agent.

Each test sends SIGTERM to a `python -m worker` process, measures until the process has
exited, and then counts every message: released ones are visible (or due) again at once,
none is lost. The figures are printed for docs/workers.md's faults table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest
from fault_servers import black_hole
from servers import subprocess_env
from test_worker_sqs import REPO, TESTS, depth, drain_bodies, make_queue, run_worker_process, send
from worker_handlers import read_log
from worker_running import wait_until

from capacity import limits
from worker.config import WorkerConfig
from worker.redis_queue import RedisQueue
from worker.shutdown import ShutdownPlan

pytestmark = pytest.mark.slow


def sigterm_and_wait(process: subprocess.Popen, timeout: float) -> float:
    """Seconds from SIGTERM to the process's exit (the promise under test is an exit inside the stop timeout)."""
    sent = time.monotonic()
    process.terminate()
    process.wait(timeout)
    return time.monotonic() - sent


def stop_line(process: subprocess.Popen) -> dict:
    lines = [json.loads(x) for x in process.stdout.read().splitlines() if x.startswith("{")]
    assert lines and lines[-1]["event"] == "stop", lines[-3:]
    return lines[-1]


def test_shutdown_keeps_the_budget_at_the_end_of_the_stop_timeout():
    plan = ShutdownPlan(100.0, 30.0, WorkerConfig(stop_timeout_seconds=30).drain_seconds)
    assert plan.handlers_until == 100 + 30 - limits.WORKER_SHUTDOWN_BUDGET_SECONDS
    assert plan.teardown_until == 100 + 30 - limits.WORKER_EXIT_SECONDS
    short = ShutdownPlan(0.0, 1.0, WorkerConfig(stop_timeout_seconds=1).drain_seconds)
    assert short.budget_seconds == 1.0 * limits.WORKER_SHUTDOWN_MAX_BUDGET_FRACTION
    assert short.handlers_until < short.teardown_until < short.kill_at


def test_sqs_worker_with_5_s_handlers_exits_inside_a_3_s_stop_timeout_and_loses_nothing(moto, tmp_path):
    sqs = moto.client()
    url, _ = make_queue(sqs, f"stop-slow-{uuid.uuid4().hex[:6]}")
    bodies = [f"m{i:02d}" for i in range(12)]
    send(sqs, url, bodies)
    log = tmp_path / "handled.log"
    process = run_worker_process(moto, url, log, CONCURRENCY="4", HANDLER_SECONDS="5", STOP_TIMEOUT_SECONDS="3")
    assert wait_until(lambda: len(read_log(log)[0]) == 4, timeout=20)
    seconds = sigterm_and_wait(process, timeout=10)
    assert process.returncode == 0
    line = stop_line(process)
    print(f"\nSQS, 5 s handlers, stop timeout 3 s: exited after {seconds:.2f} s "
          f"(engine stopped in {line['seconds_to_stop']} s)")
    assert seconds < 3.0
    assert depth(sqs, url) == (12, 0)  # 4 released at once, 8 never received
    assert sorted(drain_bodies(sqs, url)) == bodies  # none lost
    assert line["totals"]["released"] == 4 and line["teardown_cut_off"] == []


def test_redis_worker_with_5_s_handlers_exits_inside_a_3_s_stop_timeout_and_loses_nothing(redis_srv, tmp_path):
    workload = f"stop{uuid.uuid4().hex[:6]}"
    queue = RedisQueue.from_config(WorkerConfig(redis_host="127.0.0.1", redis_port=redis_srv.port, workload=workload))
    queue.enqueue_many((f"i{n:02d}", f"i{n:02d}") for n in range(12))
    log = tmp_path / "handled.log"
    env = subprocess_env(redis_srv.env, {
        "QCAP_WORKLOAD": workload, "CONCURRENCY": "4", "HANDLER_SECONDS": "5", "STOP_TIMEOUT_SECONDS": "3",
        "PUBLISH_METRICS": "false", "HANDLER_LOG": str(log), "PYTHONPATH": f"{TESTS}:{REPO}",
    })
    process = subprocess.Popen([sys.executable, "-m", "worker", "worker_handlers:record"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_until(lambda: len(read_log(log)[0]) == 4, timeout=20)
    seconds = sigterm_and_wait(process, timeout=10)
    assert process.returncode == 0
    line = stop_line(process)
    print(f"\nRedis, 5 s handlers, stop timeout 3 s: exited after {seconds:.2f} s "
          f"(engine stopped in {line['seconds_to_stop']} s)")
    assert seconds < 3.0
    stats = queue.stats()
    assert (stats.due, stats.leased, stats.dead) == (12, 0, 0)


def test_sqs_worker_exits_inside_a_5_s_stop_timeout_when_the_ecs_agent_hangs_while_the_task_is_protected(
        moto, ecs_agent, tmp_path):
    sqs = moto.client()
    url, _ = make_queue(sqs, f"stop-agent-{uuid.uuid4().hex[:6]}")
    bodies = [f"m{i:02d}" for i in range(8)]
    send(sqs, url, bodies)
    log = tmp_path / "handled.log"
    process = run_worker_process(moto, url, log, CONCURRENCY="4", HANDLER_SECONDS="30", STOP_TIMEOUT_SECONDS="5",
                                 ECS_AGENT_URI=ecs_agent.uri)
    assert wait_until(lambda: ecs_agent.protected and len(read_log(log)[0]) == 4, timeout=20)
    ecs_agent.hang.set()  # the release PUT at shutdown never answers
    seconds = sigterm_and_wait(process, timeout=15)
    assert process.returncode == 0
    line = stop_line(process)
    print(f"\nSQS, ECS agent hanging while protected, stop timeout 5 s: exited after {seconds:.2f} s "
          f"(engine stopped in {line['seconds_to_stop']} s, {ecs_agent.hung_calls} agent calls hung)")
    assert ecs_agent.hung_calls >= 1
    assert seconds < 5.0
    assert depth(sqs, url) == (8, 0)
    assert sorted(drain_bodies(sqs, url)) == bodies


def test_sqs_worker_exits_inside_a_5_s_stop_timeout_when_the_ecs_agent_never_answers(moto, tmp_path):
    sqs = moto.client()
    url, _ = make_queue(sqs, f"stop-hole-{uuid.uuid4().hex[:6]}")
    bodies = [f"m{i:02d}" for i in range(8)]
    send(sqs, url, bodies)
    log = tmp_path / "handled.log"
    with black_hole() as agent:
        process = run_worker_process(moto, url, log, CONCURRENCY="4", HANDLER_SECONDS="30",
                                     STOP_TIMEOUT_SECONDS="5", ECS_AGENT_URI=f"{agent.url}/v4/task")
        assert wait_until(lambda: len(read_log(log)[0]) == 4, timeout=20)
        time.sleep(0.5)
        seconds = sigterm_and_wait(process, timeout=15)
    assert process.returncode == 0
    line = stop_line(process)
    print(f"\nSQS, ECS agent never answers, stop timeout 5 s: exited after {seconds:.2f} s "
          f"(engine stopped in {line['seconds_to_stop']} s)")
    assert seconds < 5.0
    assert depth(sqs, url) == (8, 0)
    assert sorted(drain_bodies(sqs, url)) == bodies
