"""Every shipped stack deployed into a moto server and its consumers run as ECS would run them, end to end.

For each stacks/*.yaml: the program's recorded resources are replayed into moto (queues,
DLQs, roles, secrets, parameters, task definitions, services, schedules); each consumer
task gets its environment from the registered task definition with its secrets resolved
from moto (tests/stack_deploy.py); `python -m worker` runs with it against moto's queue
(or a local redis-server), a bounded load goes through, and every message is counted by
id from the handler's own log. Changed from what ECS would hand the container, and only
this: QUEUE_URL is moto's URL of the same queue, and for Redis REDIS_PORT is the local
server's and REDIS_TLS false. One task per service: moto's ReceiveMessage is not atomic
between concurrent polls (docs/workers.md), so two tasks on one queue would share messages.
"""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from servers import moto_server, redis_server
from stack_deploy import Deployment, deploy, schedule_overrides, task_environment
from test_contract_calls import stack_run
from test_worker_sqs import depth, send
from worker_handlers import read_log
from worker_running import WorkerProcess, wait_until

from capacity import contract
from qcap.offline.contract import translate_all
from worker.config import WorkerConfig
from worker.redis_queue import RedisQueue

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SQS_SERVICE_STACKS = ("dev", "event-backlog", "job-queues")
SCHEDULED_STACKS = ("scheduled-questions",)
REDIS_STACKS = ("track-points",)
CLOUDFLARE_STACKS = ("session-events",)
# Messages per stack, shared between its queues: hundreds (moto slows with messages per queue).
LOAD = 300
HANDLER_SECONDS = "0.02"
DRAIN_TIMEOUT_SECONDS = 120
START_ALLOWANCE_SECONDS = 8.0  # a process's start and moto's answers on 2 shared cores


@pytest.fixture(scope="module")
def aws():
    """One moto server for the module, with AWS's managed policies (the execution role attaches one)."""
    with moto_server(env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}) as server:
        yield server


def test_every_shipped_stack_is_deployed_here():
    shipped = sorted(p.stem for p in (ROOT / "stacks").glob("*.yaml"))
    covered = [*SQS_SERVICE_STACKS, *SCHEDULED_STACKS, *REDIS_STACKS, *CLOUDFLARE_STACKS]
    assert sorted(covered) == shipped and len(set(covered)) == len(covered)


def start_task(d: Deployment, env: dict[str, str], tmp_path: Path, name: str, agent_uri: str | None = None,
               **extra: str) -> WorkerProcess:
    """`python -m worker` with the container's environment plus what the task itself has (region, credentials)."""
    task = {**env, **d.task_env(), **({"ECS_AGENT_URI": agent_uri} if agent_uri else {}), **extra}
    return WorkerProcess(tmp_path, task, name=name)


def stop_task(worker: WorkerProcess, stop_timeout: float) -> tuple[float, dict]:
    """SIGTERM as ECS sends it; seconds to exit and the stop line."""
    seconds = worker.terminate(timeout=stop_timeout + 5)
    assert worker.process.returncode == 0, worker.stderr()[-2000:]
    line = worker.lines()[-1]
    assert line["event"] == "stop" and line["reason"] == signal.SIGTERM.name
    return seconds, line


def done(worker: WorkerProcess) -> list[str]:
    return read_log(worker.log)[1]


def processed_in_cloudwatch(d: Deployment, env: dict[str, str], since: datetime) -> float:
    """MessagesProcessed the workers of this environment published, read back from moto where --learn reads it."""
    assert env["METRIC_NAMESPACE"] == contract.worker_namespace(contract.SQS)
    dims = [{"Name": contract.REDIS_STACK_DIMENSION, "Value": env["QCAP_STACK"]},
            {"Name": contract.REDIS_WORKLOAD_DIMENSION, "Value": env["QCAP_WORKLOAD"]}]
    answer = d.client("cloudwatch").get_metric_statistics(
        Namespace=env["METRIC_NAMESPACE"], MetricName=contract.WORKER_PROCESSED_METRIC, Dimensions=dims,
        StartTime=since - timedelta(minutes=1), EndTime=datetime.now(timezone.utc) + timedelta(minutes=1),
        Period=3600, Statistics=["Sum"])
    return sum(point["Sum"] for point in answer["Datapoints"])


def report(stack: str, d: Deployment, text: str) -> None:
    replayed = sum(not m.startswith("skipped ") for m in d.made)
    print(f"\n{stack}: replayed {replayed} calls into moto in {d.seconds:.1f} s; {text}")


@pytest.mark.parametrize("stack", SQS_SERVICE_STACKS)
def test_an_sqs_service_stack_processes_every_message_once(stack, aws, ecs_agent, tmp_path):
    d = deploy(stack, aws)
    sqs = d.client("sqs")
    since = datetime.now(timezone.utc)
    tasks = []
    for cluster, service in d.services():
        env = task_environment(d, d.service_task_definition(cluster, service))
        url = d.queue_url(env["QUEUE_URL"])
        worker = start_task(d, {**env, "QUEUE_URL": url}, tmp_path, service, ecs_agent.uri,
                            HANDLER_SECONDS=HANDLER_SECONDS)
        tasks.append((service, env, url, worker))
    per_queue = LOAD // len(tasks)
    started = time.monotonic()
    for service, _, url, _ in tasks:
        send(sqs, url, [f"{service}-{i:04d}" for i in range(per_queue)])
    try:
        drained = wait_until(lambda: all(len(done(w)) >= per_queue for *_, w in tasks), DRAIN_TIMEOUT_SECONDS, 0.2)
        drain_seconds = time.monotonic() - started
        exits = [stop_task(w, float(env["STOP_TIMEOUT_SECONDS"])) + (float(env["STOP_TIMEOUT_SECONDS"]),)
                 for _, env, _, w in tasks]
    finally:
        for *_, w in tasks:
            w.kill()
    assert drained, {s: len(done(w)) for s, _, _, w in tasks}
    for (service, _, url, worker), (seconds, line, stop_timeout) in zip(tasks, exits):
        bodies = done(worker)
        assert sorted(bodies) == [f"{service}-{i:04d}" for i in range(per_queue)], service  # each once, none lost
        assert line["totals"]["processed"] == per_queue and line["totals"]["failed"] == 0
        assert seconds < stop_timeout, (service, seconds, stop_timeout)
        assert depth(sqs, url) == (0, 0) and depth(sqs, d.dead_letter_url(url)) == (0, 0)
    # What --learn reads: each task published what it processed (its last period as it stopped), allowed by its role.
    assert [processed_in_cloudwatch(d, env, since) for _, env, _, _ in tasks] == [per_queue] * len(tasks)
    assert ecs_agent.puts, "the workers never asked the ECS agent for scale-in protection"
    report(stack, d, f"{len(tasks)} task(s), {per_queue * len(tasks)} messages each processed once in "
                     f"{drain_seconds:.1f} s; exits after SIGTERM "
                     f"{', '.join(f'{s:.2f}' for s, _, _ in exits)} s (stop timeouts "
                     f"{', '.join(f'{t:g}' for _, _, t in exits)} s); queues and DLQs empty")


@pytest.mark.parametrize("stack", SCHEDULED_STACKS)
def test_a_scheduled_stack_run_takes_its_batch_limit_within_its_run_time_and_the_next_takes_the_rest(
        stack, aws, tmp_path):
    from conftest import plan_stack

    plan = plan_stack(stack).workloads[0]
    d = deploy(stack, aws)
    (schedule,) = d.of("CreateSchedule")
    target = d.schedule_target(schedule.params["Name"])
    (cluster,) = d.of("CreateCluster")
    assert target["Arn"].endswith(f":cluster/{cluster.params['clusterName']}")
    (recorded,) = [r for r in d.resources if r.type == "aws:scheduler/schedule:Schedule"]
    assert target.get("Input") == recorded.inputs["target"].get("input"), "the schedule's Input was not replayed"
    overrides = schedule_overrides(target)  # the shipped schedule passes no Input: the definition's environment
    env = task_environment(d, target["EcsParameters"]["TaskDefinitionArn"], overrides)
    url = d.queue_url(env["QUEUE_URL"])
    env["QUEUE_URL"] = url
    limit, extra = plan.scheduled.batch_limit, 10
    bodies = [f"{plan.name}-{i:03d}" for i in range(limit + extra)]
    send(d.client("sqs"), url, bodies)
    since = datetime.now(timezone.utc)
    bound = plan.scheduled.run_seconds + START_ALLOWANCE_SECONDS
    runs = []
    for number, timeout in ((1, bound), (2, bound + WorkerConfig.from_env(env).poll_wait_seconds)):
        started = time.monotonic()
        worker = start_task(d, env, tmp_path, f"run-{number}", HANDLER_SECONDS=str(plan.processing_seconds))
        try:
            worker.process.wait(timeout + 30)
        finally:
            worker.kill()
        runs.append((worker, time.monotonic() - started, timeout))
    (first, first_seconds, first_bound), (second, second_seconds, second_bound) = runs
    for worker, _, _ in runs:
        assert worker.process.returncode == 0, worker.stderr()[-2000:]
    assert first.lines()[-1]["reason"] == "batch_limit" and len(done(first)) == limit
    assert first_seconds <= first_bound
    assert second.lines()[-1]["reason"] == "queue_empty" and len(done(second)) == extra
    assert second_seconds <= second_bound
    assert sorted(done(first) + done(second)) == bodies  # each once over the two runs, none lost
    assert depth(d.client("sqs"), url) == (0, 0)
    assert processed_in_cloudwatch(d, env, since) == limit + extra  # both runs' counts, each sent as the run ended
    report(stack, d, f"run 1 took {limit} of {limit + extra} ({plan.processing_seconds} s handlers, c = "
                     f"{env['CONCURRENCY']}) and exited 0 after {first_seconds:.1f} s (plan's run "
                     f"{plan.scheduled.run_seconds:.2f} s); run 2 took the {extra} left and exited 0 on the empty "
                     f"queue after {second_seconds:.1f} s")


@pytest.mark.parametrize("stack", REDIS_STACKS)
def test_a_redis_stack_processes_every_item_once(stack, aws, ecs_agent, tmp_path):
    d = deploy(stack, aws)
    (group,) = d.of("CreateReplicationGroup")
    token = group.params["AuthToken"]
    with redis_server(extra=("--requirepass", token)) as local:
        ((cluster, service),) = d.services()
        env = task_environment(d, d.service_task_definition(cluster, service))
        assert (env["REDIS_HOST"], env["REDIS_AUTH_TOKEN"]) == ("127.0.0.1", token)  # from SSM and Secrets Manager
        env.update(REDIS_PORT=str(local.port), REDIS_TLS="false")  # the local server: its port, no TLS
        worker = start_task(d, env, tmp_path, service, ecs_agent.uri, HANDLER_SECONDS="0.005")
        queue = RedisQueue.from_config(WorkerConfig.from_env(env))
        items = [f"point-{i:04d}" for i in range(LOAD)]
        started = time.monotonic()
        queue.enqueue_many((item, item) for item in items)
        try:
            drained = wait_until(lambda: len(done(worker)) >= LOAD, DRAIN_TIMEOUT_SECONDS, 0.2)
            drain_seconds = time.monotonic() - started
            seconds, line = stop_task(worker, float(env["STOP_TIMEOUT_SECONDS"]))
        finally:
            worker.kill()
        stats = queue.stats()
    assert drained and sorted(done(worker)) == items  # each once, none lost
    assert (stats.due, stats.leased, stats.dead) == (0, 0, 0)
    assert seconds < float(env["STOP_TIMEOUT_SECONDS"])
    report(stack, d, f"{LOAD} items each processed once in {drain_seconds:.1f} s through a redis-server with the "
                     f"secret's AUTH token; exit after SIGTERM {seconds:.2f} s; nothing due, leased or dead")


@pytest.mark.parametrize("stack", CLOUDFLARE_STACKS)
def test_a_cloudflare_stack_has_nothing_on_aws_to_deploy(stack):
    """What this test can do for a Cloudflare stack: show that nothing of it is on AWS. What it cannot: run it."""
    run, _ = stack_run(stack)
    calls, untranslated = translate_all(run.registrations)
    assert (calls, untranslated) == ([], [])
    assert {r.type for r in run.registrations if r.custom} == {
        "cloudflare:index/queue:Queue", "cloudflare:index/queueConsumer:QueueConsumer"}
    pytest.skip(f"{stack} has no AWS resource to replay and no reference worker to run: its consumer is a Cloudflare "
                "Worker script bound to a Cloudflare Queue, and there is no Cloudflare Queues server here (moto "
                "serves AWS only)")
