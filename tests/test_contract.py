"""The contract over every shipped stack and the edge profiles, and one deliberately broken resource per layer.

Every stack runs its real program under the mock engine (preview=False), then
check_contract checks each registration in four layers. The edge profiles (tests/profiles/)
are the shapes that broke names before lane names were fitted; they must come out clean too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pytest

from capacity.profile import stack_names
from capacity.stacks import load_stack
from qcap.offline.mock_engine import run_program
from qcap.offline.program_run import ProgramRun
from qcap.offline.contract import ContractReport, check_contract
from qcap.offline.contract_base import API_LAYER, NAMES_LAYER, RULES_LAYER, SCHEMA_LAYER
from qcap.offline.preview import program_config

PROFILES_DIR = Path(__file__).parent / "profiles"
EDGE_PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("edge-*.yaml"))
EXISTING_CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/shared"


def run_stack(stack: str) -> ProgramRun:
    """Run a shipped stack, or an edge profile with the offline placeholders `qcap preview` uses."""
    if stack not in EDGE_PROFILES:
        return run_program(stack)
    loaded = load_stack(str(PROFILES_DIR / f"{stack}.yaml"))
    overrides, _ = program_config(loaded)
    if stack == "edge-existing-cluster":
        overrides["qcap:clusterArn"] = EXISTING_CLUSTER_ARN
    return run_program(loaded.name, overrides)


@pytest.fixture(scope="module")
def reports() -> dict[str, tuple[ContractReport, float]]:
    """Every stack and edge profile: its contract report and the seconds its program plus contract took."""
    out = {}
    for stack in [*stack_names(), *EDGE_PROFILES]:
        started = time.perf_counter()
        run = run_stack(stack)
        assert run.ok, f"{stack}: {run.error}"
        report = check_contract(run.registrations)
        out[stack] = (report, time.perf_counter() - started)
    return out


def test_edge_profiles_cover_the_six_shapes_the_issue_names():
    assert {"edge-partitioned-long", "edge-redisparts", "edge-fifo-high-throughput", "edge-scheduled-long",
            "edge-cloudflare-shards", "edge-existing-cluster"} <= set(EDGE_PROFILES)


@pytest.mark.parametrize("stack", [*stack_names(), *EDGE_PROFILES])
def test_contract_finds_no_violation_in_a_shipped_stack_or_edge_profile(reports, stack):
    report, _ = reports[stack]
    assert [str(v) for v in report.violations] == []
    assert report.untranslated_types == []
    assert report.resources > 0 and report.checks > report.resources


def test_contract_runs_every_layer_over_an_aws_stack(reports):
    report, _ = reports["track-points"]
    assert set(report.checks_by_layer) == {SCHEMA_LAYER, API_LAYER, RULES_LAYER, NAMES_LAYER}
    assert all(count > 0 for count in report.checks_by_layer.values())
    operations = {call.operation for call in report.calls}
    assert {"CreateQueue", "PutMetricAlarm", "RegisterScalableTarget", "PutScalingPolicy", "RegisterTaskDefinition",
            "CreateService", "CreateReplicationGroup", "CreateRole", "PutRolePolicy", "CreateTopic"} - operations == {
        "CreateQueue"}  # track-points is Redis: no SQS queue


def test_contract_over_all_stacks_and_edge_profiles_runs_tens_of_thousands_of_checks(reports, capsys):
    """The work is counted; the seconds are printed, not judged (the issue's budget was 30 s in all,
    about 8 s on an idle 2-core machine; a loaded machine must not fail the suite)."""
    resources = sum(r.resources for r, _ in reports.values())
    checks = sum(r.checks for r, _ in reports.values())
    contract_seconds = sum(r.seconds for r, _ in reports.values())
    total_seconds = sum(seconds for _, seconds in reports.values())
    with capsys.disabled():
        print(f"\ncontract over {len(reports)} stacks: {resources} resources, {checks} checks, contract "
              f"{contract_seconds:.2f} s, programs + contract {total_seconds:.2f} s")
    assert checks > 10_000


# --- one deliberately broken resource per layer, through a real Pulumi program -------------


def contract_of(run_components, program) -> ContractReport:
    return check_contract(run_components(program).registrations)


def messages(report: ContractReport, layer: str) -> list[str]:
    return [str(v) for v in report.violations if v.layer == layer]


def test_contract_names_an_unknown_nested_key_in_the_provider_schema(run_components):
    def program():
        aws.ecs.Service("orders-service", name="orders", cluster="qcap-dev", task_definition="qcap-dev-orders:1",
                        launch_type="FARGATE",
                        network_configuration={"subnets": ["subnet-1"], "assignPublicIpAddress": False})

    found = messages(contract_of(run_components, program), SCHEMA_LAYER)
    assert len(found) == 1
    assert found[0].startswith("orders-service (aws:ecs/service:Service) networkConfiguration.assignPublicIpAddress: "
                               "unknown key 'assignPublicIpAddress' (known: assignPublicIp, securityGroups, subnets)")
    assert "limit: the keys of ServiceNetworkConfigurationArgs [pulumi_aws 7." in found[0]


def test_contract_names_a_45_second_alarm_period(run_components):
    def program():
        aws.cloudwatch.MetricAlarm("orders-alarm-age", name="qcap-dev-orders-age", comparison_operator="GreaterThanThreshold",
                                   evaluation_periods=3, metric_name="ApproximateAgeOfOldestMessage", namespace="AWS/SQS",
                                   period=45, statistic="Maximum", threshold=300)

    found = messages(contract_of(run_components, program), RULES_LAYER)
    assert found == ["orders-alarm-age (aws:cloudwatch/metricAlarm:MetricAlarm) Period: a period of 45 s is not "
                     "allowed; limit: 10, 20, 30 or a multiple of 60 seconds [CloudWatch API reference, PutMetricAlarm]"]


def test_contract_names_a_256_cpu_task_with_4096_mib(run_components):
    def program():
        aws.ecs.TaskDefinition("orders-task", family="qcap-dev-orders", cpu="256", memory="4096",
                               network_mode="awsvpc", requires_compatibilities=["FARGATE"],
                               container_definitions=json.dumps([{"name": "consumer", "image": "python:3.12"}]))

    found = messages(contract_of(run_components, program), RULES_LAYER)
    assert found == ["orders-task (aws:ecs/taskDefinition:TaskDefinition) memory: 256 CPU / 4096 MiB is not a Fargate "
                     "combination; limit: with cpu 256: 512, 1024, 2048 MiB [ECS RegisterTaskDefinition, Fargate task "
                     "CPU and memory]"]


def test_contract_names_a_65_character_schedule_name(run_components):
    name = "qcap-scheduled-questions-" + "q" * 40

    def program():
        aws.scheduler.Schedule("questions-schedule", name=name, schedule_expression="rate(5 minutes)",
                               flexible_time_window={"mode": "OFF"},
                               target={"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/qcap",
                                       "role_arn": "arn:aws:iam::123456789012:role/qcap-scheduler"})

    report = contract_of(run_components, program)
    assert messages(report, API_LAYER) == [
        "questions-schedule (aws:scheduler/schedule:Schedule) CreateSchedule.Name: 65 characters is above the "
        f"maximum; limit: <= 64 characters [botocore {__import__('botocore').__version__} scheduler model, "
        "CreateSchedule Name]"]
    assert messages(report, NAMES_LAYER) == [
        f"questions-schedule (aws:scheduler/schedule:Schedule) Name: schedule name {name!r} has 65 characters; "
        "limit: 64 characters [EventBridge Scheduler API reference, CreateSchedule]"]


def test_contract_names_two_return_data_in_an_alarms_metric_math(run_components):
    def query(query_id: str) -> dict:
        return {"id": query_id, "return_data": True,
                "metric": {"namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
                           "dimensions": {"QueueName": "qcap-dev-orders"}, "stat": "Maximum", "period": 60}}

    def program():
        aws.cloudwatch.MetricAlarm("orders-alarm-depth", name="qcap-dev-orders-depth",
                                   comparison_operator="GreaterThanThreshold", evaluation_periods=15, threshold=100,
                                   metric_queries=[query("visible"), query("inflight")])

    found = messages(contract_of(run_components, program), RULES_LAYER)
    assert found == ["orders-alarm-depth (aws:cloudwatch/metricAlarm:MetricAlarm) Metrics[].ReturnData: 2 queries "
                     "return data (visible, inflight); limit: exactly one ReturnData true [CloudWatch alarm limits "
                     "(metric math in alarms)]"]


def test_contract_names_a_cloudflare_consumer_whose_dead_letter_queue_the_stack_does_not_create(run_components):
    def program():
        queue = cloudflare.Queue("sessions-queue-0", account_id="0" * 32, queue_name="sessions-0")
        cloudflare.QueueConsumer("sessions-consumer-0", account_id="0" * 32, queue_id=queue.id, type="worker",
                                 script_name="session-consumer", dead_letter_queue="sessions-dlq",
                                 settings={"batch_size": 100, "max_retries": 3, "retry_delay": 43_201})

    found = messages(contract_of(run_components, program), RULES_LAYER)
    assert found == [
        "sessions-consumer-0 (cloudflare:index/queueConsumer:QueueConsumer) settings.retryDelay: 43201 is outside "
        "0-43200; limit: 0-43200 [Cloudflare Queues limits (developers.cloudflare.com/queues/platform/limits/)]",
        "sessions-consumer-0 (cloudflare:index/queueConsumer:QueueConsumer) deadLetterQueue: 'sessions-dlq' is not one "
        "of the stack's queues (sessions-0); Cloudflare would create it by itself; limit: a queue this stack creates "
        "[Cloudflare Queues, dead letter queues (the DLQ must be a queue of the account)]",
    ]


def test_contract_report_summary_counts_checks_per_layer(reports):
    report, _ = reports["dev"]
    assert report.summary().startswith(f"contract: {report.checks} checks over {report.resources} resources and "
                                       f"{len(report.calls)} API calls (provider schema ")
    assert report.summary().endswith(": 0 violations")


def test_contract_accepts_a_log_group_that_never_expires_and_names_an_unlisted_retention(run_components):
    def program(days: int):
        return lambda: aws.cloudwatch.LogGroup("orders-logs", name="/qcap/dev/orders", retention_in_days=days)

    assert contract_of(run_components, program(0)).violations == []
    assert [v.message for v in contract_of(run_components, program(31)).violations] == ["31 days is not allowed"]


def test_contract_follows_a_redrive_and_a_redrive_allow_policy_set_apart_from_their_queues(run_components):
    def program(allowed_source: str | None):
        def build():
            dlq = aws.sqs.Queue("orders-dlq", name="qcap-dev-orders-dlq", message_retention_seconds=1_209_600)
            source = aws.sqs.Queue("orders-queue", name="qcap-dev-orders")
            aws.sqs.RedrivePolicy("orders-redrive", queue_url=source.url, redrive_policy=dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})))
            arns = [allowed_source] if allowed_source else []
            allow = source.arn.apply(lambda arn: json.dumps({"redrivePermission": "byQueue",
                                                             "sourceQueueArns": [a.replace("SOURCE", arn) for a in arns]}))
            aws.sqs.RedriveAllowPolicy("orders-dlq-allow", queue_url=dlq.url, redrive_allow_policy=allow)
        return build

    assert contract_of(run_components, program("SOURCE")).violations == []
    (refused,) = contract_of(run_components, program(None)).violations
    assert (refused.resource, refused.field) == ("orders-redrive", "Attributes.RedrivePolicy.deadLetterTargetArn")
    assert "admits no source queue (byQueue with no sourceQueueArns)" in refused.message
