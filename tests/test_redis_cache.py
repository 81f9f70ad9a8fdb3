"""RedisCache under the mocks: sized by the plan, encrypted, authenticated, failover in prod, alarmed."""

from __future__ import annotations


import pytest
from conftest import REDIS_WORKLOAD, SQS_WORKLOAD, TEST_STACK, plan_workload

from capacity import limits
from capacity.plan import plan
from factories import make_profile
from components.redis_cache import RedisCache, RedisCacheArgs, replication_group_id

TOKEN = "a-redis-auth-token-of-32-chars!!"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:qcap-unit-points-alarms"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def args_for(plan, token=TOKEN):
    return RedisCacheArgs(plan=plan, stack=TEST_STACK, vpc_id="vpc-1", subnet_ids=["subnet-a", "subnet-b"],
                          consumer_security_group_ids=["sg-consumer"], auth_token=token, alarm_topic_arn=TOPIC)


def build(run_components, plan, token=TOKEN, allow_error=False):
    def program():
        cache = RedisCache(f"{plan.name}-cache", args_for(plan, token))
        return {"endpoint": cache.primary_endpoint, "alarms": cache.alarm_arns}

    return run_components(program, allow_error=allow_error)


@pytest.mark.parametrize(("environment", "failover"), [("prod", True), ("dev", False)])
def test_replication_group_is_encrypted_authenticated_and_fails_over_in_prod(run_components, environment, failover):
    plan = plan_workload(REDIS_WORKLOAD, environment=environment)
    run = build(run_components, plan)
    (group,) = run.of_type(GROUP)
    inputs = group.inputs
    assert inputs["atRestEncryptionEnabled"] is True and inputs["transitEncryptionEnabled"] is True
    assert inputs["authToken"] == TOKEN
    assert inputs["automaticFailoverEnabled"] is failover and inputs["multiAzEnabled"] is failover
    assert group.protect is failover
    assert inputs["nodeType"] == plan.cache.node_type
    assert inputs["numCacheClusters"] == plan.cache.nodes == (2 if failover else 1)
    assert inputs["snapshotRetentionLimit"] == (7 if failover else 1)
    assert inputs["replicationGroupId"] == f"qcap-{TEST_STACK}-points"


def test_security_group_admits_only_the_consumers_on_the_redis_port(run_components):
    run = build(run_components, plan_workload(REDIS_WORKLOAD))
    sg = run.named("points-cache-sg").inputs
    assert sg["ingress"] == [{"description": "Redis from the consumer tasks", "protocol": "tcp", "fromPort": 6379,
                              "toPort": 6379, "securityGroups": ["sg-consumer"]}]
    assert sg["egress"] == []
    assert run.named("points-cache-group").inputs["securityGroupIds"] == [run.named("points-cache-sg").id]


def test_parameter_group_never_evicts_queued_items(run_components):
    params = build(run_components, plan_workload(REDIS_WORKLOAD)).named("points-cache-params").inputs
    assert params["parameters"] == [{"name": "maxmemory-policy", "value": "noeviction"}]
    assert params["family"] == "redis7"


def test_auth_token_is_stored_for_the_workers_in_secrets_manager(run_components):
    run = build(run_components, plan_workload(REDIS_WORKLOAD))
    version = run.named("points-cache-auth-value").inputs
    assert version["secretString"] == TOKEN
    assert version["secretId"] == run.named("points-cache-auth").id


def test_cache_alarms_watch_cpu_memory_evictions_and_connections_against_the_budget(run_components):
    plan = plan_workload(REDIS_WORKLOAD, environment="prod")
    run = build(run_components, plan)
    alarms = {a.name.rsplit("-alarm-", 1)[1]: a.inputs for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert sorted(alarms) == ["connections", "cpu", "evictions", "memory"]
    assert alarms["connections"]["threshold"] == round(plan.cache.connections_budget * 0.8)
    assert alarms["cpu"]["threshold"] == limits.REDIS_CPU_ALARM_PERCENT
    assert alarms["memory"]["threshold"] == limits.REDIS_MEMORY_ALARM_PERCENT
    assert (alarms["evictions"]["threshold"], alarms["evictions"]["comparisonOperator"]) == (
        1, "GreaterThanOrEqualToThreshold")
    nodes = [q["metric"]["dimensions"]["CacheClusterId"] for q in alarms["cpu"]["metricQueries"] if "metric" in q]
    assert nodes == [f"qcap-{TEST_STACK}-points-001", f"qcap-{TEST_STACK}-points-002"]
    assert [q["expression"] for q in alarms["cpu"]["metricQueries"] if q["returnData"]] == ["MAX([n1, n2])"]
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [TOPIC] and alarm["okActions"] == [TOPIC]


def test_cache_endpoint_is_a_realistic_elasticache_address(run_components):
    run = build(run_components, plan_workload(REDIS_WORKLOAD))
    assert run.outputs["endpoint"].startswith(f"master.qcap-{TEST_STACK}-points.")
    assert run.outputs["endpoint"].endswith(".eu-west-1.cache.amazonaws.com")


def test_replication_group_ids_of_two_partitions_stay_distinct_when_cut_to_40_characters():
    lanes = plan(make_profile(REDIS_WORKLOAD, name="gps-track-points-ingest", partitions=2)).workloads
    assert [w.name for w in lanes] == ["gps-track-points-ingest-0", "gps-track-points-ingest-1"]
    ids = [replication_group_id("edge-redisparts", w) for w in lanes]
    assert len(set(ids)) == 2
    for group_id in ids:
        assert len(group_id) <= 40 and not group_id.endswith("-") and "--" not in group_id
        assert group_id.startswith("qcap-edge-redisparts-gps-track-")


def test_replication_group_id_is_the_full_name_when_it_fits():
    assert replication_group_id("unit", plan_workload(REDIS_WORKLOAD)) == "qcap-unit-points"


def test_cache_rejects_an_auth_token_when_elasticache_would(run_components):
    with pytest.raises(ValueError, match="qcap:redisAuthToken has 5 characters"):
        args_for(plan_workload(REDIS_WORKLOAD), token="short")


def test_cache_args_reject_a_plan_when_its_broker_is_not_redis():
    with pytest.raises(ValueError, match="RedisCache serves broker redis"):
        args_for(plan_workload(SQS_WORKLOAD))
