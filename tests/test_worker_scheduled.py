"""A scheduled run ends by itself: its batch limit, an empty queue or its deadline, then exit 0.

The budget's rules over an in-memory broker (parallel receivers included), then `python -m
worker` against a moto server with the environment the scheduled component builds for
stacks/scheduled-questions.yaml (BATCH_LIMIT 30, CONCURRENCY 5, 2.5 s a message).
"""

from __future__ import annotations

import threading
import time
import uuid
from functools import lru_cache

import pytest
from conftest import plan_stack
from test_worker_sqs import depth, drain_bodies, make_queue, send
from worker_handlers import read_log
from worker_running import WorkerProcess

from capacity import limits
from worker.config import WorkerConfig
from worker.engine import Engine, Message
from worker.scheduled import RunBudget

STACK = "scheduled-questions"
# A process's start (interpreter, boto3) and moto's answers on 2 shared cores, on top of what the plan counts.
START_ALLOWANCE_SECONDS = 8.0


@lru_cache(maxsize=1)
def scheduled_plan():
    return plan_stack(STACK).workloads[0]


def scheduled_environment(queue_url: str) -> dict[str, str]:
    """What the scheduled component sets for the shipped stack, with the queue at moto's URL."""
    from components.consumer_base import worker_environment

    return {k: str(v) for k, v in worker_environment(scheduled_plan(), STACK, "us-east-1", queue_url).items()}


class EndlessBroker:
    """Always has messages (or never, with `empty`); records how many each poll asked for."""

    name = "memory"

    def __init__(self, empty: bool = False):
        self.empty = empty
        self.asked: list[int] = []
        self.outstanding = 0
        self.most_outstanding = 0
        self.lock = threading.Lock()
        self.next_id = 0

    def fetch(self, count, wait_seconds):
        with self.lock:
            self.asked.append(count)
            self.outstanding += count
            self.most_outstanding = max(self.most_outstanding, self.outstanding)
        time.sleep(0.01)
        with self.lock:
            self.outstanding -= count
            if self.empty:
                return []
            start, self.next_id = self.next_id, self.next_id + count
        return [(Message(str(i), str(i)), str(i)) for i in range(start, start + count)]

    def complete(self, tokens):
        return None

    def fail(self, message, token, error):
        return "retried"

    def release(self, tokens):
        return None

    def extend(self, tokens):
        return None

    def housekeep(self):
        return None


def run_alone(engine: Engine, timeout: float) -> bool:
    """Run the engine on a thread without ever stopping it; whether it ended by itself in time."""
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    thread.join(timeout)
    ended = not thread.is_alive()
    if not ended:
        engine.stop()
        thread.join(10)
    return ended


# --- the budget, no server ------------------------------------------------------------


def test_the_budget_hands_out_at_most_the_limit_and_takes_back_what_a_poll_did_not_bring():
    budget = RunBudget(batch_limit=12, deadline_seconds=None)
    assert (budget.take(10), budget.take(10), budget.take(10)) == (10, 2, 0)
    assert budget.returned(10, 4, full_wait=True, idle=False) is None  # 6 given back
    assert budget.take(10) == 6
    assert budget.spent() is False  # two polls still out
    assert budget.returned(2, 2, full_wait=True, idle=False) is None
    assert budget.returned(6, 6, full_wait=True, idle=True) == "batch_limit"
    assert budget.spent()


def test_an_empty_long_poll_ends_a_run_only_when_nothing_is_held_and_it_waited_its_whole_wait():
    budget = RunBudget(batch_limit=30, deadline_seconds=None)
    budget.take(5)
    assert budget.returned(5, 0, full_wait=True, idle=False) is None  # messages still in hand
    budget.take(5)
    assert budget.returned(5, 0, full_wait=False, idle=True) is None  # cut short by the deadline
    budget.take(5)
    assert budget.returned(5, 0, full_wait=True, idle=True) == "queue_empty"
    service = RunBudget(batch_limit=None, deadline_seconds=None)
    service.take(5)
    assert not service.scheduled and service.returned(5, 0, full_wait=True, idle=True) is None


def test_the_deadline_cuts_the_long_poll_so_no_poll_outlasts_it():
    budget = RunBudget(batch_limit=None, deadline_seconds=10.0)
    budget.start(100.0)
    assert (budget.poll_wait(20, 100.0), budget.poll_wait(20, 105.5), budget.poll_wait(20, 111.0)) == (10, 4, 0)
    assert not budget.past_deadline(109.9) and budget.past_deadline(110.0)


def test_four_parallel_receivers_never_receive_more_than_the_batch_limit_and_the_run_ends_by_itself():
    broker = EndlessBroker()
    engine = Engine(broker, lambda m: time.sleep(0.005),
                    WorkerConfig(concurrency=32, receive_batch=10, batch_limit=30), receivers=4)
    assert run_alone(engine, timeout=10)
    assert (engine.counters.received, engine.counters.processed) == (30, 30)
    assert sum(broker.asked) == 30 and broker.most_outstanding <= 30
    assert engine.stop_reason == "batch_limit" and engine.errors == []


def test_an_empty_queue_ends_a_scheduled_run_and_never_a_service():
    scheduled = Engine(EndlessBroker(empty=True), lambda m: None, WorkerConfig(concurrency=5, batch_limit=30))
    assert run_alone(scheduled, timeout=5)
    assert scheduled.stop_reason == "queue_empty"
    service = Engine(EndlessBroker(empty=True), lambda m: None, WorkerConfig(concurrency=5))
    assert not run_alone(service, timeout=1.0)
    assert service.stop_reason == "stopped"


def test_the_component_stops_the_shipped_run_receiving_in_time_to_end_before_the_next_one():
    p = scheduled_plan()
    env = scheduled_environment("http://queue")
    deadline, stop = float(env["RUN_DEADLINE_SECONDS"]), float(env["STOP_TIMEOUT_SECONDS"])
    assert (deadline, stop) == (210.0, 30.0)  # 300 s interval - 60 s task start - 30 s stop timeout
    assert limits.TASK_START_SECONDS + deadline + stop <= p.scheduled.interval_seconds
    assert deadline >= p.scheduled.run_seconds
    cfg = WorkerConfig.from_env(env)
    assert (cfg.batch_limit, cfg.concurrency, cfg.run_deadline_seconds) == (30, 5, 210.0)


# --- python -m worker against moto ----------------------------------------------------------


def run_to_exit(moto, tmp_path, url: str, timeout: float, **changes: str) -> tuple[WorkerProcess, float]:
    """Start a scheduled run as ECS would (the component's environment) and wait until it exits by itself."""
    env = {**scheduled_environment(url), **moto.env, **changes}
    started = time.monotonic()
    worker = WorkerProcess(tmp_path, env, name=f"run-{uuid.uuid4().hex[:4]}")
    try:
        worker.process.wait(timeout)
    finally:
        worker.kill()  # only when it overran: the assertion below then says so
    return worker, time.monotonic() - started


def queue(moto, bodies: list[str]) -> str:
    sqs = moto.client()
    url, _ = make_queue(sqs, f"sched-{uuid.uuid4().hex[:6]}", visibility=scheduled_plan().visibility_timeout_seconds)
    send(sqs, url, bodies)
    return url


@pytest.mark.slow
def test_a_run_takes_30_of_40_with_concurrency_5_and_exits_0_within_its_planned_run_time(moto, tmp_path):
    p = scheduled_plan()
    bodies = [f"q{i:02d}" for i in range(40)]
    url = queue(moto, bodies)
    bound = p.scheduled.run_seconds + START_ALLOWANCE_SECONDS
    worker, seconds = run_to_exit(moto, tmp_path, url, timeout=bound + 30, HANDLER_SECONDS=str(p.processing_seconds))
    stop = worker.lines()[-1]
    print(f"\nscheduled run: 30 of 40 with c = 5 and {p.processing_seconds} s handlers, exit {worker.process.returncode} "
          f"after {seconds:.2f} s (plan's run {p.scheduled.run_seconds:.2f} s; engine up {stop['uptime_seconds']} s)")
    assert worker.process.returncode == 0, worker.stderr()[-2000:]
    assert stop["event"] == "stop" and stop["reason"] == "batch_limit"
    assert seconds <= bound
    started, done = read_log(worker.log)
    assert len(done) == len(set(done)) == 30 and sorted(started) == sorted(done)
    assert (stop["totals"]["received"], stop["totals"]["processed"], stop["totals"]["released"]) == (30, 30, 0)
    sqs = moto.client()
    assert depth(sqs, url) == (10, 0)  # the 30 deleted, the other 10 never received
    assert sorted(done + drain_bodies(sqs, url)) == bodies


@pytest.mark.slow
def test_a_run_on_an_empty_queue_exits_0_after_one_long_poll(moto, tmp_path):
    url = queue(moto, [])
    wait = WorkerConfig.from_env(scheduled_environment(url)).poll_wait_seconds
    worker, seconds = run_to_exit(moto, tmp_path, url, timeout=wait + 30)
    print(f"\nscheduled run, empty queue: exit {worker.process.returncode} after {seconds:.2f} s (long poll {wait} s)")
    assert worker.process.returncode == 0, worker.stderr()[-2000:]
    assert worker.lines()[-1]["reason"] == "queue_empty"
    assert seconds <= wait + START_ALLOWANCE_SECONDS


@pytest.mark.slow
def test_a_run_at_its_deadline_stops_receiving_and_finishes_what_it_holds(moto, tmp_path):
    bodies = [f"d{i:02d}" for i in range(40)]
    url = queue(moto, bodies)
    worker, seconds = run_to_exit(moto, tmp_path, url, timeout=30, HANDLER_SECONDS="1", RUN_DEADLINE_SECONDS="2.5",
                                  STOP_TIMEOUT_SECONDS="5")
    stop = worker.lines()[-1]
    started, done = read_log(worker.log)
    print(f"\nscheduled run, deadline 2.5 s, 1 s handlers: {len(done)} processed, exit after {seconds:.2f} s "
          f"(engine up {stop['uptime_seconds']} s)")
    assert worker.process.returncode == 0, worker.stderr()[-2000:]
    assert stop["reason"] == "deadline" and stop["totals"]["released"] == 0
    assert 5 <= len(done) < 30 and sorted(started) == sorted(done) and len(set(done)) == len(done)
    assert stop["uptime_seconds"] <= 2.5 + 5
    sqs = moto.client()
    assert depth(sqs, url) == (40 - len(done), 0)
    assert sorted(done + drain_bodies(sqs, url)) == bodies


@pytest.mark.slow
def test_a_run_at_its_deadline_releases_what_it_cannot_finish_within_the_stop_timeout(moto, tmp_path):
    bodies = [f"r{i:02d}" for i in range(40)]
    url = queue(moto, bodies)
    worker, seconds = run_to_exit(moto, tmp_path, url, timeout=30, HANDLER_SECONDS="30", RUN_DEADLINE_SECONDS="2",
                                  STOP_TIMEOUT_SECONDS="3")
    after_exit = time.monotonic()
    sqs = moto.client()
    visible = depth(sqs, url)
    checked_within = time.monotonic() - after_exit
    stop = worker.lines()[-1]
    print(f"\nscheduled run, deadline 2 s, 30 s handlers, stop timeout 3 s: exit after {seconds:.2f} s "
          f"(engine up {stop['uptime_seconds']} s), released {stop['totals']['released']}")
    assert worker.process.returncode == 0, worker.stderr()[-2000:]
    assert stop["reason"] == "deadline" and stop["teardown_cut_off"] == []
    assert stop["totals"]["released"] == 5 and read_log(worker.log)[1] == []
    assert stop["uptime_seconds"] <= 2 + 3
    assert checked_within < 1.0 and visible == (40, 0)  # visible again at once, none lost
    assert sorted(drain_bodies(sqs, url)) == bodies
