"""What the consumer components set is what the worker reads, for every consumer kind.

"Set" comes from running the components under the mocks (the recorded task definition's
environment and secrets); "read" is what worker/config.py reads: the declarations of
capacity/contract.py (proved below by feeding each one to `WorkerConfig.from_env`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, SQS_WORKLOAD

from capacity import contract
from capacity.plan import Plan, plan
from capacity.profile import parse_profile
from components.workload import build_stack, read_settings
from worker import config as worker_config
from worker.config import WorkerConfig

ROOT = Path(__file__).resolve().parent.parent
NETWORK = {"qcap:subnetIds": ["subnet-a"], "qcap:securityGroupIds": ["sg-consumer"]}
REDIS_CONFIG = {**NETWORK, "qcap:vpcId": "vpc-1", "qcap:redisAuthToken": "a-redis-auth-token-of-32-chars!!"}
# Three receives, not the worker's default five: a component that drops MAX_RECEIVE_COUNT shows.
RETRIES = {"max_receives": 3}
KINDS = {
    "service-sqs": ({**SQS_WORKLOAD, "retries": RETRIES}, NETWORK),
    "service-sqs-fifo": ({**SQS_WORKLOAD, "broker": "sqs-fifo", "retries": RETRIES}, NETWORK),
    "service-redis": ({**REDIS_WORKLOAD, "retries": RETRIES}, REDIS_CONFIG),
    "scheduled-sqs": ({**SCHEDULED_WORKLOAD, "retries": RETRIES}, NETWORK),
    "scheduled-sqs-fifo": ({**SCHEDULED_WORKLOAD, "broker": "sqs-fifo", "retries": RETRIES}, NETWORK),
}
# Every mode and broker a consumer component takes (Redis runs as a service only).
CONSUMER_KINDS = {(m, b) for m in contract.MODES for b in contract.CONSUMER_BROKERS
                  if not (m == contract.SCHEDULED and b == contract.REDIS)}
READ = frozenset(v.name for v in worker_config.READS)


def one_workload_plan(workload: dict) -> Plan:
    return plan(parse_profile({"environment": "dev", "alerts": {"emails": ["ops@example.com"]},
                               "workloads": [workload]}, "test.yaml"))


@pytest.fixture(scope="module", params=sorted(KINDS))
def task(request):
    """(kind, plan, environment as a dict, secret names) of the one task the kind's program registers."""
    from qcap.offline.mock_engine import run_function

    workload, config = KINDS[request.param]
    stack_plan = one_workload_plan(workload)
    run = run_function(lambda: build_stack(stack_plan, read_settings(stack_plan)), stack="unit",
                       config={"aws:region": "eu-west-1", **config})
    assert run.ok, run.error
    (definition,) = run.of_type("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    environment = {e["name"]: e["value"] for e in container["environment"]}
    secrets = {s["name"] for s in container["secrets"]}
    return request.param, stack_plan.workloads[0], environment, secrets


def test_every_variable_a_component_sets_is_read_by_the_worker(task):
    kind, _, environment, secrets = task
    assert sorted(set(environment) - READ) == [], f"{kind}: set as environment, never read by the worker"
    assert sorted(secrets - READ) == [], f"{kind}: set as secrets, never read by the worker"


def test_every_variable_the_worker_needs_from_the_component_is_set(task):
    kind, p, environment, secrets = task
    assert sorted(contract.component_variables(p.mode, p.broker, secret=False) - set(environment)) == [], \
        f"{kind}: read by the worker, declared as set for {p.mode}/{p.broker}, but not in the task's environment"
    assert sorted(contract.component_variables(p.mode, p.broker, secret=True) - secrets) == [], \
        f"{kind}: read by the worker, declared as a secret for {p.mode}/{p.broker}, but not among the task's secrets"


def test_the_component_sets_exactly_what_the_contract_declares_for_the_kind(task):
    _, p, environment, secrets = task
    assert set(environment) == contract.component_variables(p.mode, p.broker, secret=False)
    assert secrets == contract.component_variables(p.mode, p.broker, secret=True)


def test_every_variable_the_worker_reads_is_set_by_a_component_for_some_kind_or_said_to_come_from_elsewhere():
    set_somewhere = {v.name for v in contract.WORKER_ENVIRONMENT
                     if any(v.set_for(m, b) for m in contract.MODES for b in contract.CONSUMER_BROKERS)}
    elsewhere = {v.name for v in contract.WORKER_ENVIRONMENT if v.source != contract.COMPONENT}
    assert READ == set_somewhere | elsewhere
    assert set_somewhere & elsewhere == set()


def test_the_kinds_run_here_cover_every_mode_and_broker_of_the_consumer_components():
    ran = {(w.mode, w.broker) for w in (one_workload_plan(workload).workloads[0] for workload, _ in KINDS.values())}
    assert ran == CONSUMER_KINDS


def test_the_worker_configured_from_the_task_does_what_the_plan_says(task):
    kind, p, environment, secrets = task
    env = {**environment, **{name: "cache.internal" for name in secrets}}
    cfg = WorkerConfig.from_env(env)
    scheduled = p.mode == "scheduled"
    assert cfg.concurrency == (p.scheduled.max_concurrency if scheduled else p.concurrency_per_task), kind
    assert (cfg.receive_batch, cfg.receive_wait_seconds, cfg.visibility_timeout_seconds) == (
        p.receive_batch, p.receive_wait_seconds, p.visibility_timeout_seconds), kind
    assert cfg.max_receive_count == p.max_receive_count == 3, kind
    assert cfg.stop_timeout_seconds == (p.service.stop_timeout_seconds if p.service else
                                       contract.STOP_TIMEOUT_SECONDS.default), kind
    assert cfg.batch_limit == (p.scheduled.batch_limit if scheduled else None), kind
    assert (cfg.stack, cfg.workload, cfg.region) == ("unit", p.name, "eu-west-1"), kind
    assert cfg.broker == ("redis" if p.broker == "redis" else "sqs"), kind
    assert cfg.publish_namespace == cfg.metric_namespace == contract.worker_namespace(p.broker), kind
    if p.broker == "redis":
        assert (cfg.redis_pool_size, cfg.redis_tls) == (p.cache.pool_size_per_task, True)


# --- the worker's side: reads are the declarations, and each one is really read ---------------


SAMPLES = {int: ("7", 7), float: ("2.5", 2.5), str: ("some-value", "some-value")}


@pytest.mark.parametrize("variable", contract.WORKER_ENVIRONMENT, ids=lambda v: v.name)
def test_from_env_reads_each_declared_variable_into_its_setting(variable):
    """Each declaration, set alone to a value unlike its default, changes its setting to that value."""
    if variable.kind is bool:
        raw, value = ("false", False) if variable.default else ("true", True)
    else:
        raw, value = SAMPLES[variable.kind]
    assert value != variable.default
    cfg = WorkerConfig.from_env({variable.name: raw})
    assert getattr(cfg, variable.setting) == value
    assert getattr(WorkerConfig(), variable.setting) == contract.default_of(variable.setting)


def test_every_worker_setting_is_filled_by_a_declared_variable_and_nothing_else_is_read():
    assert {f.name for f in fields(WorkerConfig)} == {v.setting for v in contract.WORKER_ENVIRONMENT}
    assert worker_config.READS is contract.WORKER_ENVIRONMENT
    source = (ROOT / "worker" / "config.py").read_text()
    literal_reads = re.findall(r"env(?:iron)?(?:\.get)?[\[(]\s*['\"]([A-Z_]+)['\"]", source)
    assert literal_reads == [], "worker/config.py reads a variable by name instead of through the contract"


def test_aws_region_wins_over_the_sdk_fallback():
    assert WorkerConfig.from_env({"AWS_DEFAULT_REGION": "us-west-2"}).region == "us-west-2"
    assert WorkerConfig.from_env({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}).region == "eu-west-1"


def test_the_redis_worker_publishes_the_metrics_and_dimensions_the_components_scale_and_alarm_on():
    from worker.redis_queue import QueueStats, metric_data

    stats = QueueStats(**{f.name: 0 for f in fields(QueueStats)})
    data = metric_data(stats, "unit", "points")
    assert tuple(d["MetricName"] for d in data) == contract.REDIS_METRICS
    assert {tuple(x["Name"] for x in d["Dimensions"]) for d in data} == {contract.REDIS_DIMENSIONS}
    assert WorkerConfig(redis_host="cache").publish_namespace == contract.REDIS_NAMESPACE


def test_an_sqs_worker_publishes_only_where_metric_namespace_says_and_never_with_publishing_off():
    assert WorkerConfig(queue_url="https://sqs/q").publish_namespace is None
    assert WorkerConfig(queue_url="https://sqs/q", metric_namespace="qcap/Worker").publish_namespace == "qcap/Worker"
    assert WorkerConfig(queue_url="https://sqs/q", metric_namespace="qcap/Worker",
                        publish_metrics=False).publish_namespace is None
    assert WorkerConfig(redis_host="cache", publish_metrics=False).publish_namespace is None


# --- the contract itself ----------------------------------------------------------------


def test_the_contract_is_pure_stdlib_and_imports_nothing_of_ours_but_the_limits():
    tree = ast.parse((ROOT / "capacity" / "contract.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "dataclasses", "enum", "capacity"}
    assert [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "capacity"
            for a in n.names] == ["limits"]


def test_docs_list_every_variable_of_the_contract_and_no_other():
    text = (ROOT / "docs" / "workers.md").read_text()
    table = text.split("## The environment", 1)[1].split("\n## ", 1)[0]
    documented = {name for row in table.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert documented == set(contract.ENV_BY_NAME)


def test_the_tag_roles_components_write_are_the_contracts():
    from typing import get_args

    from components.tags import Role

    assert set(get_args(Role)) == set(contract.ROLES)
