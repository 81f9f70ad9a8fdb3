"""__main__.py for every stack in stacks/: it runs offline, creates what the plan says, or refuses."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from conftest import SQS_WORKLOAD, plan_stack

from capacity.plan import Plan, WorkloadPlan
from capacity.profile import stack_names
from qcap.offline.mock_engine import run_program
from qcap.offline.mock_provider import MOCK_ACCOUNT_ID
from qcap.offline.pulumi_project import stack_config

STACKS = stack_names()


def expected_for(w: WorkloadPlan, emails: int) -> Counter[str]:
    """Resources one workload plan should produce, by type token (cloudflare: the component only)."""
    if w.broker == "cloudflare":
        return Counter({"qcap:cloudflare:CloudflareQueue": 1})
    expected = Counter({
        "qcap:aws:QueueAlarms": 1, "aws:sns/topic:Topic": 1, "aws:sns/topicSubscription:TopicSubscription": emails,
        "aws:cloudwatch/logGroup:LogGroup": 1, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:ecs/taskDefinition:TaskDefinition": 1,
    })
    alarms = 2 + sum(x is not None for x in (w.alarms.saturation_messages, w.alarms.max_tasks))
    if w.broker in ("sqs", "sqs-fifo"):
        expected.update({"qcap:aws:QueueWithDlq": 1, "aws:sqs/queue:Queue": 2, "aws:sqs/queuePolicy:QueuePolicy": 2,
                         "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": 1})
        alarms += w.alarms.stalled_minutes is not None
    if w.broker == "redis":
        expected.update({"qcap:aws:RedisCache": 1, "aws:elasticache/replicationGroup:ReplicationGroup": 1,
                         "aws:elasticache/parameterGroup:ParameterGroup": 1,
                         "aws:elasticache/subnetGroup:SubnetGroup": 1, "aws:ec2/securityGroup:SecurityGroup": 1,
                         "aws:secretsmanager/secret:Secret": 1, "aws:secretsmanager/secretVersion:SecretVersion": 1,
                         "aws:ssm/parameter:Parameter": 1,  # the primary endpoint, read by the workers
                         "aws:iam/rolePolicy:RolePolicy": 1})  # the execution role reads the AUTH secret
        alarms += 4
    if w.mode == "scheduled":
        expected.update({"qcap:aws:ScheduledConsumer": 1, "aws:scheduler/schedule:Schedule": 1,
                         "aws:iam/role:Role": 3, "aws:iam/rolePolicy:RolePolicy": 3})
    else:
        scale_from_zero = w.min_capacity == 0
        scale_in_band = w.scaling.scale_in_backlog_per_task is not None  # a step policy and its alarm scale in
        expected.update({"qcap:aws:FargateConsumer": 1, "aws:ecs/service:Service": 1, "aws:iam/role:Role": 2,
                         "aws:iam/rolePolicy:RolePolicy": 1, "aws:appautoscaling/target:Target": 1,
                         "aws:appautoscaling/policy:Policy": 1 + scale_from_zero + scale_in_band,
                         "aws:appautoscaling/scheduledAction:ScheduledAction": len(w.scaling.scheduled_capacity)})
        alarms += scale_from_zero + scale_in_band
    expected["aws:cloudwatch/metricAlarm:MetricAlarm"] = alarms
    return expected


def expected_counts(stack_plan: Plan) -> Counter[str]:
    total: Counter[str] = Counter()
    for w in stack_plan.workloads:
        total.update(expected_for(w, len(stack_plan.alert_emails)))
    if any(w.broker != "cloudflare" for w in stack_plan.workloads):
        total["aws:ecs/cluster:Cluster"] = 1
        total["qcap:monitoring:Dashboard"] = 1  # one per stack, a row per AWS workload
        total["aws:cloudwatch/dashboard:Dashboard"] = 1
        total["aws:kms/key:Key"] = 1  # the stack key: alarm topics, logs, Redis, schedules
        total["aws:kms/alias:Alias"] = 1
    return +total


@pytest.fixture(scope="module", params=STACKS)
def stack_run(request):
    return request.param, run_program(request.param)


def test_stacks_directory_holds_the_seed_stacks():
    assert {"dev", "event-backlog"} <= set(STACKS)


def test_program_runs_without_error_for_every_stack(stack_run):
    stack, run = stack_run
    assert run.ok, f"{stack}: {run.error}"
    assert not [message for severity, message in run.logs if severity == "error"]


def test_program_creates_the_resources_each_plan_calls_for(stack_run):
    stack, run = stack_run
    counts = run.type_counts()
    cloudflare_children = {t for t in counts if t.startswith("cloudflare:")}
    assert Counter({t: n for t, n in counts.items() if t not in cloudflare_children}) == expected_counts(
        plan_stack(stack))


def test_every_stack_has_a_config_file_with_a_region_when_it_uses_aws(stack_run):
    stack, _ = stack_run
    values, _ = stack_config(stack)
    if any(w.broker != "cloudflare" for w in plan_stack(stack).workloads):
        assert values["aws:region"]
        assert values["qcap:subnetIds"] and values["qcap:securityGroupIds"]


def test_resource_names_are_unique_within_a_type_and_physical_queue_names_are_unique(stack_run):
    _, run = stack_run
    keys = [(r.type, r.name) for r in run.registrations]
    assert len(keys) == len(set(keys))
    queue_names = [r.inputs["name"] for r in run.of_type("aws:sqs/queue:Queue")]
    assert len(queue_names) == len(set(queue_names))


def test_exports_carry_the_plans_queues_services_and_alarms(stack_run):
    stack, run = stack_run
    stack_plan = plan_stack(stack)
    region = stack_config(stack)[0].get("aws:region")
    assert sorted(run.outputs["workloads"]) == sorted(w.name for w in stack_plan.workloads)
    assert run.outputs["routing"] == stack_plan.routing
    for w in stack_plan.workloads:
        out = run.outputs["workloads"][w.name]
        if w.broker in ("sqs", "sqs-fifo"):
            assert out["queueUrl"] == f"https://sqs.{region}.amazonaws.com/{MOCK_ACCOUNT_ID}/qcap-{stack}-{w.name}"
            assert out["queueArn"] == f"arn:aws:sqs:{region}:{MOCK_ACCOUNT_ID}:qcap-{stack}-{w.name}"
            assert out["dlqUrl"].endswith(f"/qcap-{stack}-{w.name}-dlq")
        if w.broker == "redis":
            assert out["cacheEndpoint"].endswith(f".{region}.cache.amazonaws.com")
        if w.broker != "cloudflare":
            assert all(arn.startswith(f"arn:aws:cloudwatch:{region}:{MOCK_ACCOUNT_ID}:alarm:qcap-{stack}-")
                       for arn in out["alarmArns"].values())
        if w.mode == "service" and w.broker != "cloudflare":
            assert out["serviceName"] == w.name


def test_queues_and_caches_are_protected_exactly_in_prod_stacks(stack_run):
    stack, run = stack_run
    prod = plan_stack(stack).environment == "prod"
    for r in run.of_type("aws:sqs/queue:Queue") + run.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        assert r.protect is prod, r.name


def test_job_queues_get_a_queue_and_a_service_per_partition_and_priority_level():
    run = run_program("job-queues")
    services = sorted(r.inputs["name"] for r in run.of_type("aws:ecs/service:Service"))
    assert services == ["jobs-0", "jobs-1", "jobs-2", "jobs-3", "notify-high", "notify-low", "notify-normal"]
    assert "mod 4" in run.outputs["routing"]["jobs"]


def test_an_infeasible_profile_stops_with_the_planners_message(tmp_path):
    profile = {"environment": "dev", "alerts": {"emails": []},
               "workloads": [{**SQS_WORKLOAD, "sink": {"name": "Orders DB", "requests_per_second": 1}}]}
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(profile))
    run = run_program("dev", {"qcap:profile": str(path)})
    assert run.error.startswith("stack 'dev' is not deployed: its plan is infeasible.\n")
    assert "binding limit: sink request rate (Orders DB 1 req/s)" in run.error
    assert "fix: pack more messages per sink request" in run.error
    assert run.resources == []


def test_a_profile_with_a_bad_field_stops_with_the_file_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("environment: moon\nworkloads: []\n")
    run = run_program("dev", {"qcap:profile": str(path)})
    assert run.error.startswith("stack 'dev': the capacity profile cannot be used:\n")
    assert f"{path}: environment: 'moon' is not allowed" in run.error
