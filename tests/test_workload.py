"""components.workload: the right components per broker and mode, settings from config, refusal text."""

from __future__ import annotations

import json

from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, SQS_WORKLOAD, TEST_STACK

from capacity.plan import Plan, plan
from capacity.profile import parse_profile
from components.workload import build_stack, infeasible_message, read_settings
from factories import CLOUDFLARE_WORKLOAD

NETWORK = {"qcap:subnetIds": ["subnet-a"], "qcap:securityGroupIds": ["sg-consumer"]}
REDIS_CONFIG = {**NETWORK, "qcap:vpcId": "vpc-1", "qcap:redisAuthToken": "a-redis-auth-token-of-32-chars!!"}


def stack_plan(*workloads, environment="dev") -> Plan:
    profile = parse_profile({"environment": environment, "alerts": {"emails": ["ops@example.com"]},
                             "workloads": list(workloads)}, "test.yaml")
    return plan(profile)


def build(run_components, the_plan, config, allow_error=False):
    return run_components(lambda: build_stack(the_plan, read_settings(the_plan)), config=config,
                          allow_error=allow_error)


def components(run):
    return sorted(r.type for r in run.registrations if r.type.startswith("qcap:"))


def test_sqs_service_workload_gets_queue_consumer_and_alarms(run_components):
    run = build(run_components, stack_plan(SQS_WORKLOAD), NETWORK)
    assert components(run) == ["qcap:aws:FargateConsumer", "qcap:aws:QueueAlarms", "qcap:aws:QueueWithDlq",
                               "qcap:monitoring:Dashboard"]
    assert len(run.of_type("aws:ecs/cluster:Cluster")) == 1
    outputs = run.outputs["workloads"]["events"]
    assert outputs["queueUrl"].endswith(f"/qcap-{TEST_STACK}-events")
    assert outputs["serviceName"] == "events"
    assert set(outputs["alarmArns"]) == {"age", "dlq", "saturation", "max-tasks", "stalled"}


def test_scheduled_workload_gets_a_scheduled_consumer_instead_of_a_service(run_components):
    run = build(run_components, stack_plan(SCHEDULED_WORKLOAD), NETWORK)
    assert components(run) == ["qcap:aws:QueueAlarms", "qcap:aws:QueueWithDlq", "qcap:aws:ScheduledConsumer",
                               "qcap:monitoring:Dashboard"]
    assert run.outputs["workloads"]["questions"]["scheduleName"] == f"qcap-{TEST_STACK}-questions"


def test_redis_workload_gets_a_cache_a_consumer_and_alarms_but_no_sqs_queue(run_components):
    run = build(run_components, stack_plan(REDIS_WORKLOAD), REDIS_CONFIG)
    assert components(run) == ["qcap:aws:FargateConsumer", "qcap:aws:QueueAlarms", "qcap:aws:RedisCache",
                               "qcap:monitoring:Dashboard"]
    assert run.of_type("aws:sqs/queue:Queue") == []
    outputs = run.outputs["workloads"]["points"]
    assert outputs["cacheEndpoint"].startswith(f"master.qcap-{TEST_STACK}-points.")
    assert set(outputs["alarmArns"]) == {"age", "dlq", "saturation", "max-tasks",
                                         "cache-cpu", "cache-memory", "cache-evictions", "cache-connections"}


def test_redis_consumer_reaches_the_cache_over_tls_with_the_token_from_secrets_manager(run_components):
    run = build(run_components, stack_plan(REDIS_WORKLOAD), REDIS_CONFIG)
    definition = json.loads(run.named("points-task").inputs["containerDefinitions"])[0]
    env = {e["name"]: e["value"] for e in definition["environment"]}
    assert (env["REDIS_PORT"], env["REDIS_TLS"]) == ("6379", "true")
    # The secret by its full ARN (ECS reads a bare name as an SSM parameter), the parameter by name (same region).
    host = run.named("points-cache-host")
    assert host.inputs["value"] == run.outputs["workloads"]["points"]["cacheEndpoint"]
    secret_arn = run.named("points-cache-auth").outputs["arn"]
    assert secret_arn.startswith("arn:aws:secretsmanager:") and ":secret:qcap/unit/points/redis-auth-" in secret_arn
    assert definition["secrets"] == [{"name": "REDIS_AUTH_TOKEN", "valueFrom": secret_arn},
                                     {"name": "REDIS_HOST", "valueFrom": "/qcap/unit/points/redis-host"}]
    assert run.named("points-cache-auth").inputs["name"] == "qcap/unit/points/redis-auth"


def test_cloudflare_workload_gets_the_cloudflare_component_and_no_aws_resources(run_components):
    run = build(run_components, stack_plan(CLOUDFLARE_WORKLOAD),
                {"qcap:cloudflareAccountId": "0123456789abcdef0123456789abcdef"})
    assert components(run) == ["qcap:cloudflare:CloudflareQueue"]
    assert not [r for r in run.registrations if r.type.startswith("aws:")]
    assert run.outputs["workloads"]["sessions"]["dlqName"] == "sessions-dlq"


def test_workloads_share_one_cluster_when_a_stack_has_several(run_components):
    run = build(run_components, stack_plan(SQS_WORKLOAD, {**SQS_WORKLOAD, "name": "orders"}), NETWORK)
    (cluster,) = run.of_type("aws:ecs/cluster:Cluster")
    services = run.of_type("aws:ecs/service:Service")
    assert [s.inputs["cluster"] for s in services] == [cluster.outputs["arn"]] * 2


def test_an_existing_cluster_is_used_when_config_names_one(run_components):
    arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/platform"
    run = build(run_components, stack_plan(SQS_WORKLOAD), {**NETWORK, "qcap:clusterArn": arn})
    assert run.of_type("aws:ecs/cluster:Cluster") == []
    assert run.named("events-service").inputs["cluster"] == arn


def test_settings_name_the_key_and_command_when_subnets_are_missing(run_components):
    run = build(run_components, stack_plan(SQS_WORKLOAD), {"qcap:securityGroupIds": ["sg-1"]}, allow_error=True)
    assert run.error == (
        "stack config qcap:subnetIds is not set (private subnets for the consumer tasks); set it with: "
        "pulumi config set --path 'qcap:subnetIds[0]' subnet-0123456789abcdef0"
    )
    assert run.resources == []


def test_settings_reject_network_ids_when_they_are_not_a_list(run_components):
    run = build(run_components, stack_plan(SQS_WORKLOAD), {**NETWORK, "qcap:subnetIds": "subnet-a"}, allow_error=True)
    assert run.error.startswith("stack config qcap:subnetIds must be a list of ids, got 'subnet-a'")


def test_settings_ask_for_the_redis_token_as_a_secret_when_it_is_missing(run_components):
    config = {k: v for k, v in REDIS_CONFIG.items() if k != "qcap:redisAuthToken"}
    run = build(run_components, stack_plan(REDIS_WORKLOAD), config, allow_error=True)
    assert "pulumi config set --secret qcap:redisAuthToken" in run.error


def test_a_bad_redis_token_from_config_stops_the_program_with_elasticaches_rule(run_components):
    run = build(run_components, stack_plan(REDIS_WORKLOAD), {**REDIS_CONFIG, "qcap:redisAuthToken": "short"},
                allow_error=True)
    assert "qcap:redisAuthToken has 5 characters; ElastiCache needs 16-128" in run.error


def test_infeasible_message_names_binding_limit_shortfall_and_fix():
    infeasible = stack_plan({**SQS_WORKLOAD, "sink": {"name": "Orders DB", "requests_per_second": 1}})
    w = infeasible.workloads[0]
    assert not w.feasible
    assert infeasible_message(infeasible, "shop") == (
        "stack 'shop' is not deployed: its plan is infeasible.\n"
        f"  events: binding limit: {w.binding_limit}\n"
        f"    shortfall: {w.shortfall}\n"
        f"    fix: {w.fix}\n"
        "Run `qcap plan shop` for every number and its reason."
    )
    assert "sink request rate (Orders DB 1 req/s)" in w.binding_limit


def test_plans_of_each_lane_become_separate_components_when_a_workload_is_partitioned(run_components):
    partitioned = {**SQS_WORKLOAD, "partitions": 3}
    run = build(run_components, stack_plan(partitioned), NETWORK)
    assert sorted(run.outputs["workloads"]) == ["events-0", "events-1", "events-2"]
    assert len(run.of_type("aws:ecs/service:Service")) == 3
    assert "fnv1a_32" in run.outputs["routing"]["events"]


def test_stack_exports_the_url_of_one_dashboard_with_a_row_per_aws_workload(run_components):
    run = build(run_components, stack_plan(SQS_WORKLOAD, REDIS_WORKLOAD), REDIS_CONFIG)
    dashboards = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert len(dashboards) == 1 and dashboards[0].inputs["dashboardName"] == f"qcap-{TEST_STACK}"
    titles = [w["properties"]["markdown"].split(" ", 2)[1] for w in
              json.loads(dashboards[0].inputs["dashboardBody"])["widgets"] if w["type"] == "text"]
    assert titles == ["events", "points"]
    assert run.outputs["dashboardUrl"].endswith(f"#dashboards/dashboard/qcap-{TEST_STACK}")
    age = [w for w in json.loads(dashboards[0].inputs["dashboardBody"])["widgets"]
           if w["properties"].get("title") == "events: age of oldest message"][0]
    assert age["properties"]["metrics"][0][3] == run.outputs["workloads"]["events"]["queueName"]


def test_stack_has_no_dashboard_when_every_workload_is_on_cloudflare(run_components):
    run = build(run_components, stack_plan(CLOUDFLARE_WORKLOAD), {"qcap:cloudflareAccountId": "0" * 32})
    assert run.of_type("aws:cloudwatch/dashboard:Dashboard") == []
    assert "dashboardUrl" not in run.outputs
