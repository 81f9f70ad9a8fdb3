"""The worker reads the environment the Fargate component sets, and says which variable is wrong."""

from __future__ import annotations

import pytest

from capacity import limits
from worker.calls import lease_call_budget_seconds
from worker.config import WorkerConfig, WorkerConfigError

COMPONENT_ENV = {
    "QCAP_STACK": "event-backlog", "QCAP_WORKLOAD": "events", "AWS_REGION": "eu-west-1",
    "QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/qcap-event-backlog-events", "RECEIVE_BATCH": "10",
    "RECEIVE_WAIT_SECONDS": "20", "CONCURRENCY": "8", "VISIBILITY_TIMEOUT_SECONDS": "90",
    "MAX_RECEIVE_COUNT": "5", "STOP_TIMEOUT_SECONDS": "45",
}


def test_config_reads_the_environment_the_fargate_component_sets():
    cfg = WorkerConfig.from_env(COMPONENT_ENV)
    assert (cfg.broker, cfg.stack, cfg.workload, cfg.region) == ("sqs", "event-backlog", "events", "eu-west-1")
    assert (cfg.concurrency, cfg.receive_batch, cfg.receive_wait_seconds) == (8, 10, 20)
    assert (cfg.visibility_timeout_seconds, cfg.max_receive_count, cfg.stop_timeout_seconds) == (90, 5, 45.0)
    assert cfg.heartbeat_after_seconds == 45.0
    assert cfg.drain_seconds == 45.0 - limits.WORKER_SHUTDOWN_BUDGET_SECONDS  # the teardown budget is kept


def test_config_reads_redis_settings_and_derives_one_cluster_slot_for_the_queue_keys():
    cfg = WorkerConfig.from_env({"REDIS_HOST": "cache.local", "REDIS_PORT": "6380", "REDIS_TLS": "true",
                                 "REDIS_POOL_SIZE": "50", "QCAP_WORKLOAD": "points", "MAX_RECEIVE_COUNT": "3"})
    assert (cfg.broker, cfg.redis_host, cfg.redis_port, cfg.redis_tls, cfg.redis_pool_size) == (
        "redis", "cache.local", 6380, True, 50)
    assert cfg.queue_key == "qcap:{points}"


def test_long_poll_is_capped_at_half_the_stop_timeout_when_the_stop_timeout_is_short():
    assert WorkerConfig.from_env({**COMPONENT_ENV, "STOP_TIMEOUT_SECONDS": "15"}).poll_wait_seconds == 7
    assert WorkerConfig.from_env(COMPONENT_ENV).poll_wait_seconds == 20


def test_backoff_doubles_per_receive_up_to_the_cap():
    cfg = WorkerConfig(retry_backoff_seconds=2, retry_backoff_max_seconds=300)
    assert [cfg.backoff_seconds(n) for n in (1, 2, 3, 4, 8, 9, 50)] == [2, 4, 8, 16, 256, 300, 300]


def test_config_names_the_variable_when_a_number_is_malformed():
    with pytest.raises(WorkerConfigError, match=r"CONCURRENCY='eight' is not an integer"):
        WorkerConfig.from_env({**COMPONENT_ENV, "CONCURRENCY": "eight"})
    with pytest.raises(WorkerConfigError, match=r"CONCURRENCY=0 is out of range; allowed: >= 1"):
        WorkerConfig.from_env({**COMPONENT_ENV, "CONCURRENCY": "0"})
    with pytest.raises(WorkerConfigError, match=r"REDIS_TLS='maybe' is not a boolean"):
        WorkerConfig.from_env({"REDIS_HOST": "h", "REDIS_TLS": "maybe"})


def test_config_says_which_variables_pick_the_broker_when_neither_is_set():
    with pytest.raises(WorkerConfigError, match="neither QUEUE_URL .* nor REDIS_HOST"):
        WorkerConfig.from_env({"CONCURRENCY": "2"}).broker


def test_config_reads_what_the_fargate_component_derives_from_a_redis_plan():
    from conftest import REDIS_WORKLOAD, plan_workload

    from components.fargate_consumer import worker_environment

    plan = plan_workload(REDIS_WORKLOAD)
    env = {**worker_environment(plan, "track-points", "eu-west-1"), "REDIS_HOST": "cache", "REDIS_TLS": "true"}
    cfg = WorkerConfig.from_env(env)
    assert (cfg.concurrency, cfg.receive_batch, cfg.visibility_timeout_seconds) == (
        plan.concurrency_per_task, plan.receive_batch, plan.visibility_timeout_seconds)
    assert (cfg.max_receive_count, cfg.stop_timeout_seconds, cfg.redis_pool_size) == (
        plan.max_receive_count, plan.service.stop_timeout_seconds, plan.cache.pool_size_per_task)
    assert (cfg.stack, cfg.workload, cfg.queue_key) == ("track-points", "points", "qcap:{points}")


def test_a_lease_too_short_for_the_heartbeat_to_extend_is_refused_naming_the_shortest_allowed():
    # SQS: extended at half the lease, less the 0.5 s check, what is left must fit a 1 s try: 3 s at least.
    with pytest.raises(WorkerConfigError, match=r"VISIBILITY_TIMEOUT_SECONDS=2 is out of range; allowed: 3-43200 "):
        WorkerConfig.from_env({**COMPONENT_ENV, "VISIBILITY_TIMEOUT_SECONDS": "2"})
    assert WorkerConfig.from_env({**COMPONENT_ENV, "VISIBILITY_TIMEOUT_SECONDS": "3"}).visibility_timeout_seconds == 3
    assert lease_call_budget_seconds(3) >= limits.WORKER_AWS_MIN_TRY_SECONDS > lease_call_budget_seconds(2)
    # Redis commands have a 0.25 s shortest try: 2 s leases are kept, 1 s ones are not.
    redis = {"REDIS_HOST": "127.0.0.1"}
    assert WorkerConfig.from_env({**redis, "VISIBILITY_TIMEOUT_SECONDS": "2"}).visibility_timeout_seconds == 2
    with pytest.raises(WorkerConfigError, match=r"allowed: 2-43200"):
        WorkerConfig.from_env({**redis, "VISIBILITY_TIMEOUT_SECONDS": "1"})
