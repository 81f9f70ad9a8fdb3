"""CloudflareQueue under Pulumi mocks: seed 000's session events at three arrival rates.

Registrations are recorded by a MockMonitor subclass (MockResourceArgs carries no parent or
options); the program runs with preview=False so every output resolves.
"""

from __future__ import annotations

import asyncio

import pytest
import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from capacity.plan import WorkloadPlan, plan
from capacity.profile import parse_profile
from capacity.routing import shard_for
from components.cloudflare_queue import TYPE_TOKEN, CloudflareQueue, CloudflareQueueArgs

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
QUEUE_TYPE = "cloudflare:index/queue:Queue"
CONSUMER_TYPE = "cloudflare:index/queueConsumer:QueueConsumer"


def seed_000_profile(peak_sessions_per_second: int, environment: str = "prod") -> dict:
    """Seed 000: session events through Cloudflare Queues into Tinybird (100 req/s, 20 MB/s, 10 MB)."""
    return {
        "environment": environment,
        "workloads": [
            {
                "name": "sessions",
                "broker": "cloudflare",
                "traffic": {
                    "messages_per_day": peak_sessions_per_second * 86_400 / 2,
                    "peak_messages_per_second": peak_sessions_per_second,
                    "message_bytes": 2_000,
                },
                "consumer": {
                    "processing_seconds": 1.0,
                    "processing_p99_seconds": 3.0,
                    "receive_batch": 100,
                    "script_name": "session-consumer",
                },
                "objective": {"max_age_seconds": 60},
                "sink": {
                    "name": "Tinybird Events API",
                    "requests_per_second": 100,
                    "bytes_per_second": 20_000_000,
                    "max_request_bytes": 10_000_000,
                    "messages_per_request": 100,
                },
                "retries": {"max_receives": 4},
            }
        ],
    }


def seed_000_plan(peak_sessions_per_second: int, environment: str = "prod") -> WorkloadPlan:
    return plan(parse_profile(seed_000_profile(peak_sessions_per_second, environment))).workload("sessions")


class _Mocks(pulumi.runtime.Mocks):
    """Echo inputs as state; ids are the logical names so wiring can be checked by value."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps every registration with its parent, dependencies and protect flag."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[dict] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                {
                    "type": request.type,
                    "name": request.name,
                    "urn": response.urn,
                    "parent": request.parent,
                    "dependencies": list(request.dependencies),
                    "protect": request.protect,
                    "inputs": pulumi.runtime.rpc.deserialize_properties(request.object),
                }
            )
        return response


class _Deployment:
    """The component, its resolved outputs and every registration of one mock run."""

    def __init__(self, args: CloudflareQueueArgs):
        # The mock engine clears the thread's event loop when a run ends; set_mocks needs one.
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.monitor = _RecordingMonitor(_Mocks())
        pulumi.runtime.set_mocks(
            self.monitor.mocks, project="qcap", stack="session-events", preview=False, monitor=self.monitor
        )
        self.outputs: dict = {}

        @pulumi.runtime.test
        def program():
            self.component = CloudflareQueue("sessions", args)
            return pulumi.Output.all(
                queue_ids=pulumi.Output.all(*self.component.queue_ids), dlq_id=self.component.dlq_id
            ).apply(self.outputs.update)

        program()

    def of_type(self, type_: str) -> list[dict]:
        return [r for r in self.monitor.registrations if r["type"] == type_]

    @property
    def component_urn(self) -> str:
        (component,) = self.of_type(TYPE_TOKEN)
        return component["urn"]

    def queue(self, queue_name: str) -> dict:
        (match,) = [r for r in self.of_type(QUEUE_TYPE) if r["inputs"]["queueName"] == queue_name]
        return match


def deploy(workload: WorkloadPlan) -> _Deployment:
    return _Deployment(CloudflareQueueArgs.from_plan(workload, ACCOUNT_ID))


RATES = [2_000, 10_000, 20_000]


@pytest.fixture(scope="module", params=RATES, ids=lambda r: f"{r}-per-second")
def seed(request) -> tuple[WorkloadPlan, _Deployment]:
    workload = seed_000_plan(request.param)
    return workload, deploy(workload)


# --- the plan this module builds from (hand-computed: shards = ceil(peak / 4,000),
# concurrency = ceil(peak per shard x 1 s / (100 x 0.8))) -------------------------------


@pytest.mark.parametrize(
    ("rate", "shards", "concurrency"),
    [(2_000, 1, 25), (10_000, 3, 42), (20_000, 5, 50)],
)
def test_seed_000_plan_gives_hand_computed_shards_and_concurrency_when_built_from_profile(rate, shards, concurrency):
    workload = seed_000_plan(rate)
    assert (workload.cloudflare.shards, workload.cloudflare.max_concurrency, workload.cloudflare.batch_size) == (shards, concurrency, 100)


# --- shards and names -----------------------------------------------------------------


def test_cloudflare_queue_creates_one_queue_per_shard_named_workload_dash_index_when_deployed(seed):
    workload, run = seed
    names = sorted(r["inputs"]["queueName"] for r in run.of_type(QUEUE_TYPE))
    expected = sorted([f"sessions-{i}" for i in range(workload.cloudflare.shards)] + ["sessions-dlq"])
    assert names == expected
    assert run.component.queue_names == [f"sessions-{i}" for i in range(workload.cloudflare.shards)]
    assert run.component.dlq_name == "sessions-dlq"


def test_cloudflare_queue_exposes_shard_and_dlq_ids_when_deployed(seed):
    workload, run = seed
    assert run.outputs["queue_ids"] == [f"sessions-queue-{i}-id" for i in range(workload.cloudflare.shards)]
    assert run.outputs["dlq_id"] == "sessions-dlq-id"


def test_cloudflare_queue_puts_every_queue_in_the_configured_account_when_deployed(seed):
    _, run = seed
    accounts = {r["inputs"]["accountId"] for r in run.of_type(QUEUE_TYPE) + run.of_type(CONSUMER_TYPE)}
    assert accounts == {ACCOUNT_ID}


# --- consumers ------------------------------------------------------------------------


def test_cloudflare_queue_gives_every_consumer_the_plans_settings_when_deployed(seed):
    workload, run = seed
    consumers = run.of_type(CONSUMER_TYPE)
    assert len(consumers) == workload.cloudflare.shards
    expected = {
        "batchSize": workload.cloudflare.batch_size,
        "maxWaitTimeMs": workload.cloudflare.max_wait_time_ms,
        "maxConcurrency": workload.cloudflare.max_concurrency,
        "maxRetries": workload.cloudflare.max_retries,
        "retryDelay": workload.cloudflare.retry_delay_seconds,
    }
    for consumer in consumers:
        assert consumer["inputs"]["settings"] == expected


def test_cloudflare_queue_binds_each_shard_to_the_worker_script_and_the_dlq_when_deployed(seed):
    workload, run = seed
    by_queue = {r["inputs"]["queueId"]: r["inputs"] for r in run.of_type(CONSUMER_TYPE)}
    assert sorted(by_queue) == sorted(f"sessions-queue-{i}-id" for i in range(workload.cloudflare.shards))
    for inputs in by_queue.values():
        assert inputs["type"] == "worker"
        assert inputs["scriptName"] == "session-consumer"
        assert inputs["deadLetterQueue"] == "sessions-dlq"


def test_cloudflare_queue_creates_the_dlq_before_any_consumer_when_deployed(seed):
    _, run = seed
    dlq_urn = run.queue("sessions-dlq")["urn"]
    for consumer in run.of_type(CONSUMER_TYPE):
        assert dlq_urn in consumer["dependencies"]


# --- retention ------------------------------------------------------------------------


def test_cloudflare_queue_sets_shard_retention_from_the_plan_when_deployed(seed):
    workload, run = seed
    for i in range(workload.cloudflare.shards):
        settings = run.queue(f"sessions-{i}")["inputs"]["settings"]
        assert settings == {"messageRetentionPeriod": workload.retention_seconds}
    assert workload.retention_seconds == 345_600


def test_cloudflare_queue_keeps_dead_letters_longer_than_shards_when_deployed(seed):
    workload, run = seed
    settings = run.queue("sessions-dlq")["inputs"]["settings"]
    assert settings == {"messageRetentionPeriod": workload.dlq_retention_seconds}
    assert workload.dlq_retention_seconds == 1_209_600 > workload.retention_seconds


# --- component shape ------------------------------------------------------------------


def test_cloudflare_queue_parents_every_child_to_the_component_when_deployed(seed):
    workload, run = seed
    children = run.of_type(QUEUE_TYPE) + run.of_type(CONSUMER_TYPE)
    assert len(children) == 2 * workload.cloudflare.shards + 1
    assert {r["parent"] for r in children} == {run.component_urn}


def test_cloudflare_queue_registers_with_its_type_token_when_deployed(seed):
    _, run = seed
    (component,) = run.of_type(TYPE_TOKEN)
    assert TYPE_TOKEN == "qcap:cloudflare:CloudflareQueue"
    assert component["name"] == "sessions"


def test_cloudflare_queue_names_children_after_the_component_when_deployed(seed):
    workload, run = seed
    names = sorted(r["name"] for r in run.of_type(QUEUE_TYPE) + run.of_type(CONSUMER_TYPE))
    expected = sorted(
        ["sessions-dlq"]
        + [f"sessions-queue-{i}" for i in range(workload.cloudflare.shards)]
        + [f"sessions-consumer-{i}" for i in range(workload.cloudflare.shards)]
    )
    assert names == expected


def test_cloudflare_queue_protects_queues_when_environment_is_prod(seed):
    _, run = seed
    assert all(r["protect"] for r in run.of_type(QUEUE_TYPE))


def test_cloudflare_queue_leaves_queues_unprotected_when_environment_is_dev():
    run = deploy(seed_000_plan(2_000, environment="dev"))
    assert not any(r["protect"] for r in run.of_type(QUEUE_TYPE))


# --- routing --------------------------------------------------------------------------


def test_cloudflare_queue_routing_rule_names_fnv1a_mod_shards_when_sharded():
    run = deploy(seed_000_plan(10_000))
    assert run.component.routing_rule == (
        "sessions: queue index = fnv1a_32(partition key, UTF-8) mod 3; "
        "index i goes to sessions-<i> (sessions-0 .. sessions-2)"
    )


def test_cloudflare_queue_routing_rule_sends_everything_to_shard_zero_when_one_shard():
    run = deploy(seed_000_plan(2_000))
    assert run.component.routing_rule.startswith("sessions: one shard; every message goes to sessions-0")
    assert shard_for("any-session-id", 1) == 0


def test_cloudflare_queue_routing_rule_matches_plan_routing_when_sharded():
    workload = seed_000_plan(20_000)
    plan_routing = plan(parse_profile(seed_000_profile(20_000))).routing["sessions"]
    assert deploy(workload).component.routing_rule == plan_routing


# --- args -----------------------------------------------------------------------------


def test_cloudflare_queue_args_rejects_a_plan_of_another_broker_when_built_from_plan():
    sqs_plan = seed_000_plan(2_000).model_copy(update={"broker": "sqs"})
    with pytest.raises(ValueError, match="has broker 'sqs'; CloudflareQueue needs broker cloudflare"):
        CloudflareQueueArgs.from_plan(sqs_plan, ACCOUNT_ID)


def test_cloudflare_queue_args_names_the_config_key_when_account_id_is_empty():
    with pytest.raises(ValueError, match="pulumi config set qcap:cloudflareAccountId"):
        CloudflareQueueArgs.from_plan(seed_000_plan(2_000), "")


def test_cloudflare_queue_args_rejects_concurrency_over_cloudflares_250_when_overridden():
    planned = seed_000_plan(2_000)
    over = planned.model_copy(update={"cloudflare": planned.cloudflare.model_copy(update={"max_concurrency": 251})})
    with pytest.raises(ValueError, match=r"max_concurrency is 251; allowed: 1-250"):
        CloudflareQueueArgs.from_plan(over, ACCOUNT_ID)


def test_cloudflare_queue_args_rejects_retention_over_14_days():
    over = seed_000_plan(2_000).model_copy(update={"retention_seconds": 1_209_601})
    with pytest.raises(ValueError, match=r"retention_seconds is 1209601; allowed: 60-1209600"):
        CloudflareQueueArgs.from_plan(over, ACCOUNT_ID)


def test_cloudflare_queue_args_rejects_a_retry_delay_over_cloudflares_12_hours():
    planned = seed_000_plan(2_000)
    over = planned.model_copy(update={"cloudflare": planned.cloudflare.model_copy(update={"retry_delay_seconds": 43_201})})
    with pytest.raises(ValueError, match=r"retry_delay_seconds is 43201; allowed: 0-43200"):
        CloudflareQueueArgs.from_plan(over, ACCOUNT_ID)
