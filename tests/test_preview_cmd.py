"""`qcap preview`: every shipped stack passes; deliberately unsafe stacks are blocked with the rule named.

Each run executes the real program under the mock engine and the real policy pack as its own
process over gRPC (about a second each).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capacity.profile import stack_names
from qcap.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def preview(*args: str):
    return runner.invoke(app, ["preview", *args])


@pytest.mark.parametrize("stack", stack_names())
def test_preview_passes_every_shipped_stack_without_a_mandatory_violation(stack):
    result = preview(stack, "--json")
    report = json.loads(result.stdout)
    mandatory = [(v["policy"], v["resource"], v["message"]) for v in report["violations"] if v["level"] == "mandatory"]
    assert mandatory == []
    assert report["contract"]["violations"] == []
    assert report["contract"]["checks"] > report["contract"]["resources"] > 0
    assert result.exit_code == 0
    assert report["policy_pack"]["policies"] >= 30
    assert len(report["resources"]) > 1


def test_preview_prints_plan_tree_and_verdict_for_a_seed_stack():
    result = preview("dev")
    assert result.exit_code == 0
    assert "qcap preview dev (dev): plan" in result.stdout
    assert "orders-queue aws:sqs/queue:Queue" in result.stdout
    assert "orders-alarm-age aws:cloudwatch/metricAlarm:MetricAlarm" in result.stdout
    assert "passed: no mandatory violation" in result.stdout
    assert "physical names" in result.stdout and ": 0 violations" in result.stdout


EDGE_PROFILES = sorted((Path(__file__).parent / "profiles").glob("edge-*.yaml"))


@pytest.mark.parametrize("profile", EDGE_PROFILES, ids=[p.stem for p in EDGE_PROFILES])
def test_preview_passes_every_edge_profile_with_a_clean_contract(profile):
    result = preview(str(profile), "--json")
    report = json.loads(result.stdout)
    assert [v["message"] for v in report["contract"]["violations"]] == []
    assert [v["message"] for v in report["violations"] if v["level"] == "mandatory"] == []
    assert result.exit_code == 0


BROKEN_ALARM = """
import pulumi_aws as aws
aws.cloudwatch.MetricAlarm("orders-alarm-age", name="qcap-dev-orders-age", comparison_operator="GreaterThanThreshold",
    evaluation_periods=3, metric_name="ApproximateAgeOfOldestMessage", namespace="AWS/SQS", period=45,
    statistic="Maximum", threshold=300, alarm_actions=["arn:aws:sns:us-east-1:123456789012:alarms"])
"""


def test_preview_blocks_a_contract_violation_naming_resource_field_limit_and_source(tmp_path):
    program = tmp_path / "broken.py"
    program.write_text(BROKEN_ALARM)
    result = preview("dev", "--json", "--program", str(program))
    report = json.loads(result.stdout)
    assert result.exit_code == report["exit_code"] == 1
    # The alarm's topic is not in the program: whether CloudWatch may publish to it is undecided (advisory).
    assert [v["policy"] for v in report["violations"]] == ["runtime-access-decidable"]
    assert report["contract"]["violations"] == [{
        "layer": "documented rules", "resource": "orders-alarm-age", "type": "aws:cloudwatch/metricAlarm:MetricAlarm",
        "field": "Period", "limit": "10, 20, 30 or a multiple of 60 seconds",
        "source": "CloudWatch API reference, PutMetricAlarm", "message": "a period of 45 s is not allowed",
    }]


def test_preview_prints_contract_violations_as_errors_and_the_count_of_checks(tmp_path):
    program = tmp_path / "broken.py"
    program.write_text(BROKEN_ALARM)
    result = preview("dev", "--program", str(program))
    assert result.exit_code == 1
    assert "1 contract violation: AWS or Cloudflare would refuse these" in result.stdout
    assert "orders-alarm-age (aws:cloudwatch/metricAlarm:MetricAlarm) Period" in result.stdout
    assert "limit: 10, 20, 30 or a multiple of 60 seconds source: CloudWatch API reference, PutMetricAlarm" in (
        result.stdout)
    assert "contract: 60 checks over 1 resources and 1 API calls" in result.stdout
    assert "BLOCKED" in result.stdout


def test_preview_prints_the_planners_warnings_beside_the_packs_verdict():
    from tests.item_profiles import profile_path

    result = preview(str(profile_path("late_age_alarm")))
    # The planner warns; the pack blocks an age alarm far above the objective.
    assert result.exit_code == 1, result.stdout
    assert "planner warnings" in result.stdout
    assert "events [age alarm] alarm_age_seconds 86400 is later than the 300 s objective" in result.stdout
    assert "patch: workloads[0].overrides.alarm_age_seconds: 300" in result.stdout
    assert "age-alarm-within-objective" in result.stdout
    assert "BLOCKED: fix the mandatory, contract and access violations above; 1 planner warning (see above)" in result.stdout
    report = json.loads(preview(str(profile_path("late_age_alarm")), "--json").stdout)
    assert report["planner_warnings"] == [{
        "workload": "events", "limit": "age alarm", "message": "alarm_age_seconds 86400 is later than the 300 s objective",
        "fix": "set overrides.alarm_age_seconds to 300 or less", "patch": {"workloads[0].overrides.alarm_age_seconds": 300},
    }]


PROGRAM_HEADER = """
import json
import pulumi
import pulumi_aws as aws

TAGS = {"qcap:role": "queue", "qcap:workload": "orders", "qcap:environment": "dev",
        "qcap:max-age-seconds": "900", "qcap:processing-p99-seconds": "5", "qcap:drain-seconds": "86400"}
"""

# Deliberately unsafe Pulumi programs, each with the rule that must block it.
UNSAFE_PROGRAMS = {
    "no-dlq": ("sqs-queue-has-dlq", """
aws.sqs.Queue("orders-queue", name="qcap-dev-orders", message_retention_seconds=1123200,
              visibility_timeout_seconds=60, max_message_size=1048576, sqs_managed_sse_enabled=True, tags=TAGS)
"""),
    "retention-shorter-than-drain": ("sqs-retention-covers-objective", """
aws.sqs.Queue("orders-queue", name="qcap-dev-orders", message_retention_seconds=3600,
              visibility_timeout_seconds=60, max_message_size=1048576, sqs_managed_sse_enabled=True, tags=TAGS)
"""),
    "raw-depth-autoscaling": ("scaling-tracks-backlog-per-task", """
target = aws.appautoscaling.Target("orders-scaling-target", service_namespace="ecs",
    scalable_dimension="ecs:service:DesiredCount", resource_id="service/qcap-dev/orders",
    min_capacity=1, max_capacity=40)
aws.appautoscaling.Policy("orders-scaling-depth", policy_type="TargetTrackingScaling",
    service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount", resource_id=target.resource_id,
    target_tracking_scaling_policy_configuration={"target_value": 50000, "customized_metric_specification": {
        "metric_name": "ApproximateNumberOfMessagesVisible", "namespace": "AWS/SQS", "statistic": "Average",
        "dimensions": [{"name": "QueueName", "value": "qcap-dev-orders"}]}})
"""),
    "public-ip": ("ecs-no-public-ip", """
aws.ecs.Service("orders-service", name="orders", cluster="qcap-dev", task_definition="qcap-dev-orders:1",
    desired_count=1, launch_type="FARGATE",
    network_configuration={"subnets": ["subnet-1"], "assign_public_ip": True})
"""),
    "plaintext-secret": ("ecs-no-plaintext-secrets", """
aws.ecs.TaskDefinition("orders-task", family="qcap-dev-orders", cpu="256", memory="512",
    network_mode="awsvpc", requires_compatibilities=["FARGATE"],
    container_definitions=json.dumps([{"name": "consumer", "image": "python:3.12", "essential": True,
        "environment": [{"name": "DATABASE_PASSWORD", "value": "correct-horse-battery"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {}}}]))
"""),
    "cloudflare-concurrency-400": ("cloudflare-consumer-within-limits", """
import pulumi_cloudflare as cloudflare
queue = cloudflare.Queue("sessions-queue-0", account_id="0" * 32, queue_name="sessions-0")
cloudflare.Queue("sessions-dlq", account_id="0" * 32, queue_name="sessions-dlq")
cloudflare.QueueConsumer("sessions-consumer-0", account_id="0" * 32, queue_id=queue.id,
    script_name="session-consumer", type="worker", dead_letter_queue="sessions-dlq",
    settings=cloudflare.QueueConsumerSettingsArgs(batch_size=100, max_concurrency=400, max_wait_time_ms=5000,
                                                  max_retries=3))
"""),
    "redis-without-encryption": ("cache-encrypted", """
aws.elasticache.ReplicationGroup("tracks-cache", replication_group_id="qcap-dev-tracks",
    description="tracks", node_type="cache.t4g.small", num_cache_clusters=1,
    at_rest_encryption_enabled=False, transit_encryption_enabled=False,
    tags={"qcap:role": "cache", "qcap:environment": "dev"})
"""),
}


def write_program(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(PROGRAM_HEADER + UNSAFE_PROGRAMS[name][1])
    return path


@pytest.mark.parametrize("name", sorted(UNSAFE_PROGRAMS))
def test_preview_blocks_an_unsafe_stack_naming_the_rule(tmp_path, name):
    rule = UNSAFE_PROGRAMS[name][0]
    result = preview("dev", "--program", str(write_program(tmp_path, name)))
    assert result.exit_code == 1, result.stdout
    assert rule in result.stdout
    assert "BLOCKED" in result.stdout


def test_preview_json_lists_the_blocking_violation_with_resource_and_remediation(tmp_path):
    result = preview("dev", "--json", "--program", str(write_program(tmp_path, "public-ip")))
    report = json.loads(result.stdout)
    assert report["exit_code"] == result.exit_code == 1
    blocking = [v for v in report["violations"] if v["policy"] == "ecs-no-public-ip"]
    assert blocking == [{
        "policy": "ecs-no-public-ip", "level": "mandatory", "urn": blocking[0]["urn"],
        "resource": "orders-service", "type": "aws:ecs/service:Service",
        "message": "ECS service `orders-service` assigns public IPs to its tasks (networkConfiguration.assignPublicIp).",
        "remediation": blocking[0]["remediation"],
    }]
    assert blocking[0]["remediation"].startswith("Set `networkConfiguration.assignPublicIp: false`")


def test_preview_policy_config_can_downgrade_the_blocking_rule(tmp_path):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"ecs-no-public-ip": "advisory"}))
    result = preview("dev", "--policy-pack-config", str(config), "--program", str(write_program(tmp_path, "public-ip")))
    assert result.exit_code == 0, result.stdout
    assert "advisory violation" in result.stdout


def test_preview_exits_2_on_a_policy_config_naming_an_unknown_rule(tmp_path):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"no-such-rule": "disabled"}))
    result = preview("dev", "--policy-config", str(config))
    assert result.exit_code == 2
    assert "unknown policy no-such-rule" in result.stderr


def test_preview_exits_2_on_a_bad_profile(tmp_path):
    profile = tmp_path / "broken.yaml"
    profile.write_text("environment: dev\nworkloads: []\n")
    result = preview(str(profile))
    assert result.exit_code == 2
    assert "workloads" in result.stderr


def test_preview_blocks_an_infeasible_profile_before_the_program_runs(tmp_path):
    profile = tmp_path / "short-retention.yaml"
    profile.write_text("""
environment: dev
workloads:
  - name: orders
    broker: sqs
    traffic: {messages_per_day: 50000, peak_to_average: 3, message_bytes: 1024, backlog_messages: 2000000}
    consumer: {processing_seconds: 0.2, processing_p99_seconds: 2, concurrency_per_task: 4, image: python:3.12}
    objective: {max_age_seconds: 900, drain_backlog_within_hours: 48}
    overrides: {retention_seconds: 86400}
""")
    result = preview(str(profile))
    assert result.exit_code == 1
    assert "BLOCKED by the planner" in result.stdout
    assert "retention_seconds 86,400 (24 h) is shorter than the longest wait" in result.stdout


def test_preview_exits_2_when_the_program_file_is_missing(tmp_path):
    result = preview("dev", "--program", str(tmp_path / "nowhere.py"))
    assert result.exit_code == 2
    assert "program file not found" in result.stderr


def test_the_plan_summary_never_cuts_a_queue_name_at_80_or_40_columns():
    import io

    from rich.console import Console

    from capacity.plan import plan
    from capacity.profile import load_profile, resolve_stack
    from qcap.commands.preview import render_plan_summary

    job_queues = plan(load_profile(resolve_stack("job-queues")))
    for width in (80, 40):
        out = io.StringIO()
        render_plan_summary(Console(file=out, width=width), "job-queues", job_queues)
        assert "…" not in out.getvalue()
        if width == 80:
            assert "notify-normal" in out.getvalue()


# --- output that survives a pipe at 80 columns, and progress on stderr -----------------------

NESTED_PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws


class Consumer(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("qcap:aws:FargateConsumer", name, None, opts)


inner = Consumer("orders-consumer-inner", pulumi.ResourceOptions(parent=Consumer("orders-consumer-with-a-long-name")))
below = pulumi.ResourceOptions(parent=inner)
aws.ecs.TaskDefinition("orders-task-definition-with-a-long-name", family="qcap-dev-orders", cpu="256", memory="512",
    network_mode="awsvpc", requires_compatibilities=["FARGATE"], opts=below,
    container_definitions=json.dumps([{"name": "consumer", "image": "python:3.12", "essential": True,
        "environment": [{"name": "DATABASE_PASSWORD", "value": "correct-horse-battery"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {}}}]))
aws.iam.RolePolicyAttachment("orders-execution-role-policy-attachment", role="qcap-dev-orders",
    policy_arn="arn:aws:iam::aws:policy/AdministratorAccess", opts=below)
aws.sqs.Queue("orders-queue", name="qcap-dev-orders", message_retention_seconds=3600, opts=below)
'''
ROOT = Path(__file__).resolve().parent.parent


def piped(*args: str) -> subprocess.CompletedProcess:
    """`qcap ARGS` as a pipe sees it: stdout and stderr not terminals, no COLUMNS (so rich's 80)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE")}
    return subprocess.run([sys.executable, "-m", "qcap", *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


def tree_block(text: str) -> str:
    """The lines of the resource tree, between `resources (N):` and the next blank line."""
    return text.split("\nresources (", 1)[1].split("):\n", 1)[1].split("\n\n", 1)[0]


def tree_labels(text: str) -> list[str]:
    """Each resource's label from the printed tree, its continuation lines joined back on."""
    block = tree_block(text).splitlines()
    labels: list[str] = []
    for line in block:
        guides, label = re.match(r"^((?:[│ ]   )*(?:[├└]── )?)(.*)$", line).groups()
        if guides.endswith("── ") or not labels:
            labels.append(label)
        else:
            labels[-1] += " " + label
    return labels


def expected_labels(report: dict) -> list[str]:
    counts: dict[str, dict[str, int]] = {}
    for v in report["violations"]:
        counts.setdefault(v["urn"], {}).setdefault(v["level"], 0)
        counts[v["urn"]][v["level"]] += 1
    return [" ".join([r["name"], r["type"], *(f"{n} {level}" for level, n in sorted(counts.get(r["urn"], {}).items()))])
            for r in report["resources"]]


def test_a_piped_preview_keeps_every_type_and_every_count_whole_at_80_columns(tmp_path):
    program = tmp_path / "nested.py"
    program.write_text(NESTED_PROGRAM)
    result = piped("preview", "dev", "--program", str(program))
    assert result.returncode == 1, result.stderr
    report = json.loads(preview("dev", "--json", "--program", str(program)).stdout)
    assert sorted(tree_labels(result.stdout)) == sorted(expected_labels(report))
    assert "orders-queue aws:sqs/queue:Queue 2 advisory 4 mandatory" in tree_labels(result.stdout)
    assert max(len(line) for line in tree_block(result.stdout).splitlines()) <= 80
    assert "\x1b" not in result.stdout + result.stderr


def test_the_piped_event_backlog_tree_has_each_type_whole():
    result = piped("preview", "event-backlog")
    assert result.returncode == 0, result.stderr
    labels = tree_labels(result.stdout)
    assert "events-execution-role-policy aws:iam/rolePolicyAttachment:RolePolicyAttachment" in labels
    assert len(labels) == 32 and all(re.fullmatch(r"\S+ [a-z]+:[a-zA-Z/]+:[A-Za-z]+", label) for label in labels)


def test_a_piped_json_preview_says_its_stages_on_stderr_and_keeps_stdout_json():
    result = piped("preview", "dev", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "dev"
    assert "qcap preview: running the program under mocks and the policy pack..." in result.stderr.splitlines()
    assert "\x1b" not in result.stderr and "\r" not in result.stderr


def test_the_tree_rendered_at_80_columns_keeps_each_type_and_count_whole():
    import dataclasses
    import io

    from rich.console import Console

    from qcap.commands.preview import render_tree
    from qcap.offline.analysis import Diagnostic
    from qcap.offline.program_run import ProgramRun, Registration
    from tests.factories import registration as recorded

    def registration(name: str, type_: str, parent: str = "") -> Registration:
        return dataclasses.replace(recorded(type_, name, {}), parent=parent)

    stack = registration("qcap-event-backlog", "pulumi:pulumi:Stack")
    consumer = registration("events", "qcap:aws:FargateConsumer", stack.urn)
    policy = registration("events-execution-role-policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                          consumer.urn)
    levels = ["advisory"] * 2 + ["mandatory"] * 4
    diagnostics = [Diagnostic(f"rule-{i}", level, "", policy.urn, "", "") for i, level in enumerate(levels)]
    out = io.StringIO()
    render_tree(Console(file=out, width=80), ProgramRun("dev", {}, [stack, consumer, policy]), diagnostics)
    assert out.getvalue().splitlines() == [
        "qcap-event-backlog pulumi:pulumi:Stack",
        "└── events qcap:aws:FargateConsumer",
        "    └── events-execution-role-policy",
        "            aws:iam/rolePolicyAttachment:RolePolicyAttachment 2 advisory",
        "            4 mandatory",
    ]


@pytest.mark.parametrize(("source", "error", "line"), [
    ("import pulumi_aws as aws\nimport no_such_module_anywhere\n", "ModuleNotFoundError: No module named", 2),
    ("import pulumi_aws as aws\n\n\ndef build():\n    raise ValueError('bad size')\n\n\nbuild()\n",
     "ValueError: bad size", 5),
    ("import pulumi_aws as aws\nqueue = aws.sqs.Queue('q'\n", "SyntaxError:", 2),
], ids=["import-error", "exception", "syntax-error"])
def test_preview_exits_2_naming_file_and_line_without_a_traceback_when_the_program_cannot_run(
        tmp_path, source, error, line):
    program = tmp_path / "broken.py"
    program.write_text(source)
    result = preview("dev", "--program", str(program))
    assert result.exit_code == 2
    assert f"the program {program} could not run: {error}" in result.stderr
    assert f"raised at {program}, line {line}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len([line for line in result.stderr.splitlines() if "could not run" in line]) == 1


def test_preview_runs_a_lambda_function_program(tmp_path):
    program = tmp_path / "function.py"
    program.write_text(
        "import json\nimport pulumi\nimport pulumi_aws as aws\n"
        "role = aws.iam.Role('fn-role', assume_role_policy=json.dumps({'Version': '2012-10-17', 'Statement': [\n"
        "    {'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))\n"
        "aws.lambda_.Function('fn', role=role.arn, runtime='python3.12', handler='app.handler',\n"
        "    code=pulumi.AssetArchive({'app.py': pulumi.StringAsset('def handler(e, c):\\n    return 1\\n')}))\n")
    result = preview("dev", "--json", "--program", str(program))
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.stdout
    assert report["contract"]["violations"] == []
    assert {r["type"] for r in report["resources"]} >= {"aws:lambda/function:Function", "aws:iam/role:Role"}
