"""`qcap doctor` end to end against moto: stacks deployed the way the components deploy them.

Each scenario creates the queues, ECS service and autoscaling with the contract's names and
tags, puts CloudWatch history into the AWS/SQS metrics, runs the command and checks its
verdicts and numbers (worked out by hand in the comments).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore.retries.bucket
import botocore.retries.standard
import pytest
import typer
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.sqs.models import Queue
from typer.testing import CliRunner

from capacity import limits
from capacity.plan import WorkloadPlan, plan
from capacity.profile import load_profile
from qcap.live import aws as qcap_aws
from qcap.commands import doctor as doctor_cmd
from qcap.live import doctor

REGION = "ap-south-1"
FIXED_NOW = datetime.now(timezone.utc).replace(second=30, microsecond=0)

SEED_004 = """\
environment: prod
alerts:
  emails: [oncall@example.com]
workloads:
  - name: events
    broker: sqs
    traffic:
      messages_per_day: 600000
      peak_to_average: 1.0
      trough_to_average: 0.5
      message_bytes: 2048
      backlog_messages: 2800000
    consumer:
      processing_seconds: 2.0
      processing_p99_seconds: 4.0
      concurrency_per_task: 1
      receive_batch: 10
      task_cpu: 512
      task_memory_mib: 1024
      image: 123456789012.dkr.ecr.ap-south-1.amazonaws.com/sqs-consumer:latest
      receive_overhead_seconds: 0.0   # so the doctor's arithmetic below reads 1 / 2 s a task
    objective:
      max_age_seconds: 300
      drain_backlog_within_hours: 336
"""

SMALL = """\
environment: dev
workloads:
  - name: orders
    broker: sqs
    traffic:
      messages_per_day: 50000
      peak_to_average: 3
      trough_to_average: 0
      message_bytes: 1024
    consumer:
      processing_seconds: 0.2
      processing_p99_seconds: 0.8
      concurrency_per_task: 4
      image: public.ecr.aws/docker/library/python:3.12-slim
    objective:
      max_age_seconds: 900
"""


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """qcap (test app with the doctor command only)."""

    doctor_cmd.register(app)
    return app


@dataclass
class Stack:
    name: str
    path: Path
    plan: WorkloadPlan


def write_stack(root: Path, name: str, profile: str, region: str | None = REGION) -> Stack:
    (root / "stacks").mkdir(exist_ok=True)
    path = root / "stacks" / f"{name}.yaml"
    path.write_text(profile)
    if region:
        (root / f"Pulumi.{name}.yaml").write_text(f"config:\n  aws:region: {region}\n")
    return Stack(name, path, plan(load_profile(path)).workloads[0])


def tags(stack: str, w: WorkloadPlan, role: str) -> dict[str, str]:
    return {
        "qcap:stack": stack,
        "qcap:workload": w.name,
        "qcap:group": w.group,
        "qcap:role": role,
        "qcap:max-age-seconds": str(int(w.max_age_seconds)),
        "qcap:processing-p99-seconds": format(w.processing_p99_seconds, "g"),
        "qcap:per-task-messages-per-second": format(w.per_task_messages_per_second, "g"),
        "qcap:concurrency-per-task": str(w.concurrency_per_task),
        "qcap:drain-seconds": format(w.drain_seconds or 0, "g"),
        "qcap:peak-messages-per-second": format(w.arrival_peak_per_second, "g"),
        "qcap:environment": w.environment,
    }


def deploy(stack: Stack, *, running: int, desired: int | None = None, **live: object) -> str:
    """Create what the components create, with the plan's values unless `live` overrides one."""
    w = stack.plan
    value = {
        "retention_seconds": w.retention_seconds,
        "visibility_timeout_seconds": w.visibility_timeout_seconds,
        "max_receive_count": w.max_receive_count,
        "max_message_bytes": w.max_message_bytes,
        "min_capacity": w.min_capacity,
        "max_capacity": w.max_capacity,
        "target_backlog_per_task": w.scaling.target_backlog_per_task,
        "scale_in_backlog_per_task": w.scaling.scale_in_backlog_per_task,
        "service": True,
        "scaling": True,
    }
    value.update(live)
    sqs = boto3.client("sqs", region_name=REGION)
    base = f"qcap-{stack.name}-{w.name}"
    dlq_url = sqs.create_queue(
        QueueName=f"{base}-dlq",
        Attributes={"MessageRetentionPeriod": str(w.dlq_retention_seconds)},
        tags=tags(stack.name, w, "dlq"),
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=base,
        Attributes={
            "MessageRetentionPeriod": str(value["retention_seconds"]),
            "VisibilityTimeout": str(value["visibility_timeout_seconds"]),
            "MaximumMessageSize": str(value["max_message_bytes"]),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": value["max_receive_count"]}),
        },
        tags=tags(stack.name, w, "queue"),
    )["QueueUrl"]
    if not value["service"]:
        return url
    ecs = boto3.client("ecs", region_name=REGION)
    cluster = f"qcap-{stack.name}"
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family=f"qcap-{stack.name}-{w.name}",
        containerDefinitions=[{"name": w.name, "image": "consumer:latest", "memory": w.task_memory_mib}],
        requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=str(w.task_cpu), memory=str(w.task_memory_mib),
    )
    ecs.create_service(
        cluster=cluster, serviceName=w.name, taskDefinition=f"qcap-{stack.name}-{w.name}",
        desiredCount=running, launchType="FARGATE",
        tags=[{"key": k, "value": v} for k, v in tags(stack.name, w, "service").items()],
    )
    ecs.update_service(cluster=cluster, service=w.name, desiredCount=running)  # moto: running = desired
    if desired is not None and desired != running:
        # moto keeps runningCount from the update above when only the task definition changes;
        # set desired through its model to have tasks "not starting".
        from moto.ecs.models import ecs_backends

        ecs_backends["123456789012"][REGION].services[f"{cluster}:{w.name}"].desired_count = desired
    if not value["scaling"]:
        return url
    aas = boto3.client("application-autoscaling", region_name=REGION)
    resource = f"service/{cluster}/{w.name}"
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=value["min_capacity"], MaxCapacity=value["max_capacity"],
    )
    metric = {
        "Namespace": "AWS/SQS", "Dimensions": [{"Name": "QueueName", "Value": base}],
    }
    aas.put_scaling_policy(
        PolicyName=f"{w.name}-backlog-per-task", ServiceNamespace="ecs", ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": value["target_backlog_per_task"],
            "CustomizedMetricSpecification": {
                "Metrics": [
                    {"Id": "visible", "ReturnData": False, "MetricStat": {
                        "Metric": {**metric, "MetricName": "ApproximateNumberOfMessagesVisible"}, "Stat": "Sum"}},
                    {"Id": "inflight", "ReturnData": False, "MetricStat": {
                        "Metric": {**metric, "MetricName": "ApproximateNumberOfMessagesNotVisible"}, "Stat": "Sum"}},
                    {"Id": "tasks", "ReturnData": False, "MetricStat": {
                        "Metric": {"Namespace": "ECS/ContainerInsights", "MetricName": "RunningTaskCount",
                                   "Dimensions": [{"Name": "ClusterName", "Value": cluster},
                                                  {"Name": "ServiceName", "Value": w.name}]}, "Stat": "Average"}},
                    {"Id": "backlog", "Expression": "(visible + inflight) / tasks", "ReturnData": True},
                ]
            },
            "ScaleOutCooldown": 60, "ScaleInCooldown": 300,
            # With a scale-in band, as components/consumer_scaling.py deploys it: a step policy scales in.
            "DisableScaleIn": value["scale_in_backlog_per_task"] is not None,
        },
    )
    if value["scale_in_backlog_per_task"] is not None:
        aas.put_scaling_policy(
            PolicyName=f"{w.name}-scale-in", ServiceNamespace="ecs", ResourceId=resource,
            ScalableDimension="ecs:service:DesiredCount", PolicyType="StepScaling",
            StepScalingPolicyConfiguration={
                "AdjustmentType": "PercentChangeInCapacity", "MinAdjustmentMagnitude": 1, "Cooldown": 300,
                "StepAdjustments": [{"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": -11}],
            },
        )
    return url


def put_history(queue: str, *, sent_per_minute: float, deleted_per_minute: float, age_seconds: float,
                dlq_visible: tuple[float, float] | None = None, minutes: int = 60) -> None:
    """One datapoint a minute over the doctor's window, as SQS publishes them."""
    cw = boto3.client("cloudwatch", region_name=REGION)
    start, _ = doctor.metric_window(FIXED_NOW, minutes)

    def datum(metric: str, queue_name: str, value: float, minute: int) -> dict:
        return {"MetricName": metric, "Dimensions": [{"Name": "QueueName", "Value": queue_name}],
                "Timestamp": start + timedelta(minutes=minute), "Value": value, "Unit": "Count"}

    data = []
    for m in range(minutes):
        data.append(datum("NumberOfMessagesSent", queue, sent_per_minute, m))
        data.append(datum("NumberOfMessagesDeleted", queue, deleted_per_minute, m))
        data.append(datum("ApproximateAgeOfOldestMessage", queue, age_seconds, m))
        if dlq_visible is not None:
            first, last = dlq_visible
            data.append(datum("ApproximateNumberOfMessagesVisible", f"{queue}-dlq",
                              first + (last - first) * m / (minutes - 1), m))
    for i in range(0, len(data), 500):
        cw.put_metric_data(Namespace="AWS/SQS", MetricData=data[i:i + 500])


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch):
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(doctor, "utc_now", lambda: FIXED_NOW)
    with mock_aws():
        yield


@pytest.fixture
def depths(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Visible counts by queue name: moto cannot hold 2.8M messages in a test, so set its depth."""
    wanted: dict[str, int] = {}
    original = Queue.approximate_number_of_messages

    def visible(self: Queue) -> int:
        return wanted.get(self.name, original.fget(self))

    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(visible))
    return wanted


def run_doctor(*args: str) -> tuple[int, dict | str]:
    result = CliRunner().invoke(cli(), ["doctor", *args], env={"COLUMNS": "250"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    if "--json" in args and result.exit_code in (0, 1):
        return result.exit_code, json.loads(result.stdout)
    return result.exit_code, result.stdout + result.stderr


def checks(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["workloads"][0]["checks"]}


# --- scenarios ----------------------------------------------------------------------------


def test_doctor_reports_healthy_and_exits_0_when_the_stack_matches_its_plan(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1)
    depths["qcap-shop-orders"] = 5
    # 50,000 a day = 34.72 a minute in and out; 5 waiting wait 5 / 0.579 = 8.6 s.
    put_history("qcap-shop-orders", sent_per_minute=50_000 / 1440, deleted_per_minute=50_000 / 1440, age_seconds=9,
                dlq_visible=(0, 0))
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 0, [c for c in report["workloads"][0]["checks"] if c["level"] != "ok"]
    assert report["healthy"] is True
    assert report["region"] == REGION and report["region_source"] == "aws:region in Pulumi.shop.yaml"
    computed = report["workloads"][0]["computed"]
    assert computed["inflow_per_second"] == pytest.approx(50_000 / 86_400, rel=1e-4)
    assert computed["drains"] is False  # in == out: steady, not draining
    assert computed["messages_at_risk"] == 0
    assert computed["tasks_needed"] == 1  # ceil(0.5787 / (20 x 0.8)) = 1
    assert {c["level"] for c in report["workloads"][0]["checks"]} == {"ok"}


def test_doctor_reports_seed_004_as_not_draining_before_expiry_with_the_tasks_needed(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "seed", SEED_004)
    assert stack.plan.retention_seconds == 1_123_200  # 13 days, the plan's cap for this backlog
    deploy(stack, running=15)
    depths["qcap-seed-events"] = 2_800_000
    # 600,000 a day in = 416.67 a minute; 15 tasks x 1 / 2 s = 7.5 msg/s = 450 a minute out.
    put_history("qcap-seed-events", sent_per_minute=600_000 / 1440, deleted_per_minute=450, age_seconds=86_400,
                dlq_visible=(0, 0))
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    computed = report["workloads"][0]["computed"]
    assert computed["inflow_per_second"] == pytest.approx(6.9444, rel=1e-4)
    assert computed["outflow_per_second"] == pytest.approx(7.5)
    # ETA = 2,800,000 / (7.5 - 6.9444) = 5,040,000 s = 58.33 days, past the 13-day retention.
    assert computed["drain_eta_seconds"] == pytest.approx(5_040_000, rel=1e-4)
    # Oldest 1 day + 58.33 days > 13 days: every waiting message may expire first.
    assert computed["messages_at_risk"] == 2_800_000
    # keep up: ceil(6.9444 / (0.5 x 0.8)) = ceil(17.36) = 18
    # drain before the oldest expires: ceil((6.9444 + 2,800,000 / (1,123,200 - 86,400)) / 0.5)
    #   = ceil((6.9444 + 2.7006) / 0.5) = ceil(19.29) = 20
    assert (computed["tasks_to_keep_up"], computed["tasks_to_drain"], computed["tasks_needed"]) == (18, 20, 20)
    verdicts = checks(report)
    assert (verdicts["drain"]["level"], verdicts["drain"]["value"]) == ("critical", "never: 58.33 days")
    assert "never drains intact" in verdicts["drain"]["detail"]
    assert verdicts["expiry risk"]["level"] == "critical"
    assert verdicts["expiry risk"]["value"] == "2,800,000 messages"
    assert verdicts["age of oldest"]["level"] == "critical"
    # 20 needed, 15 running, and the live max_capacity 19 stops the autoscaler short.
    assert verdicts["tasks needed"]["level"] == "critical"
    assert "raise it to 20" in verdicts["tasks needed"]["detail"]


def test_doctor_reports_never_when_inflow_beats_outflow(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "seed", SEED_004)
    deploy(stack, running=15)
    depths["qcap-seed-events"] = 2_800_000
    # Seed 004 before its fix: one poller, 172,800 a day = 120 a minute out against 416.67 in.
    put_history("qcap-seed-events", sent_per_minute=600_000 / 1440, deleted_per_minute=120, age_seconds=86_400)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    computed = report["workloads"][0]["computed"]
    assert computed["drains"] is False and computed["drain_eta_seconds"] is None
    drain = checks(report)["drain"]
    assert (drain["level"], drain["value"]) == ("critical", "never")
    # grows by (6.9444 - 2) x 3,600 = 17,800 an hour
    assert "grows by 17,800 messages an hour" in drain["detail"]


def test_doctor_reports_messages_at_risk_when_the_oldest_nears_retention(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1)
    depths["qcap-shop-orders"] = 100_000
    # Retention 345,600 s (4 days). In 34.72/min, out 69.44/min: net 0.5787 msg/s;
    # ETA = 100,000 / 0.5787 = 172,800 s (2 days). The oldest is 3 days old (259,200 s):
    # those older than 345,600 - 172,800 = 172,800 s are at risk:
    # 100,000 x (259,200 - 172,800) / 259,200 = 33,333.3 -> 33,334.
    put_history("qcap-shop-orders", sent_per_minute=50_000 / 1440, deleted_per_minute=100_000 / 1440,
                age_seconds=259_200)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    computed = report["workloads"][0]["computed"]
    assert computed["drain_eta_seconds"] == pytest.approx(172_800, rel=1e-4)
    assert computed["messages_at_risk"] == 33_334
    assert checks(report)["expiry risk"]["level"] == "critical"


@pytest.mark.parametrize(
    ("attribute", "live", "level"),
    [
        ("retention_seconds", 86_400, "critical"),  # shorter than planned: messages expire sooner
        ("visibility_timeout_seconds", 10, "critical"),  # shorter: duplicates while processing
        ("max_receive_count", 2, "warn"),
        ("max_message_bytes", 262_144, "critical"),  # pulumi-aws's old default
        ("min_capacity", 2, "warn"),
        ("max_capacity", 3, "warn"),
        ("target_backlog_per_task", 50.0, "warn"),
    ],
)
def test_doctor_reports_drift_when_a_live_attribute_differs_from_the_plan(tmp_path, moto_env, depths, attribute, live, level):
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1, **{attribute: live})
    put_history("qcap-shop-orders", sent_per_minute=30, deleted_per_minute=30, age_seconds=5)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    drift = checks(report)[f"drift: {attribute}"]
    assert drift["level"] == level
    assert float(drift["value"].replace(",", "")) == live
    others = [c for c in report["workloads"][0]["checks"] if c["level"] != "ok"]
    assert [c["name"] for c in others] == [f"drift: {attribute}"]


def test_doctor_reports_a_missing_queue_as_critical(tmp_path, moto_env):
    stack = write_stack(tmp_path, "shop", SMALL)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    only = report["workloads"][0]["checks"]
    assert [(c["name"], c["level"], c["value"]) for c in only] == [("queue", "critical", "missing")]
    assert "qcap-shop-orders does not exist" in only[0]["detail"]


def test_doctor_reports_a_growing_dead_letter_queue_as_critical(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1)
    depths["qcap-shop-orders-dlq"] = 40
    put_history("qcap-shop-orders", sent_per_minute=30, deleted_per_minute=30, age_seconds=5, dlq_visible=(10, 40))
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    dlq = checks(report)["dead-letter queue"]
    assert (dlq["level"], dlq["value"]) == ("critical", "40 (+30)")


def test_doctor_reports_a_missing_service_and_tasks_not_starting(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1, service=False)
    put_history("qcap-shop-orders", sent_per_minute=30, deleted_per_minute=30, age_seconds=5)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    assert checks(report)["service"]["level"] == "critical"


def test_doctor_warns_when_tasks_do_not_start(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=0, desired=1)
    put_history("qcap-shop-orders", sent_per_minute=30, deleted_per_minute=30, age_seconds=5)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1
    service = checks(report)["service"]
    assert (service["level"], service["value"], service["expected"]) == ("warn", "0 running", "1 desired")


def test_doctor_checks_a_foreign_queue_given_by_url_against_the_plan(tmp_path, moto_env):
    stack = write_stack(tmp_path, "shop", SMALL)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="legacy-orders")["QueueUrl"]
    code, report = run_doctor(str(stack.path), "--queue-url", url, "--json")
    assert code == 1
    verdicts = checks(report)
    assert verdicts["dead-letter queue"]["level"] == "critical"  # no redrive policy
    assert (verdicts["drift: max_receive_count"]["level"], verdicts["drift: max_receive_count"]["value"]) == (
        "critical", "none")
    assert "service" not in verdicts
    assert any("not checked" in n for n in report["workloads"][0]["notes"])


def test_doctor_prints_a_verdict_table_with_its_inputs(tmp_path, moto_env, depths):
    stack = write_stack(tmp_path, "seed", SEED_004)
    deploy(stack, running=15)
    depths["qcap-seed-events"] = 2_800_000
    put_history("qcap-seed-events", sent_per_minute=600_000 / 1440, deleted_per_minute=450, age_seconds=86_400)
    code, out = run_doctor(str(stack.path))
    assert code == 1
    assert "visible 2,800,000" in out
    assert "in 6.94/s, out 7.5/s; drain ETA 58.33 days" in out
    assert "critical" in out and "unhealthy" in out


# --- region, credentials, throttling --------------------------------------------------------


def test_doctor_uses_boto3_default_region_and_says_so_when_the_stack_has_no_pulumi_config(tmp_path, moto_env, monkeypatch):
    stack = write_stack(tmp_path, "shop", SMALL, region=None)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 1  # nothing deployed
    assert report["region"] == REGION
    assert report["region_source"].startswith("no Pulumi.shop.yaml; using boto3's default chain")


def test_doctor_exits_2_with_a_message_when_credentials_are_missing(tmp_path, monkeypatch):
    stack = write_stack(tmp_path, "shop", SMALL)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out = run_doctor(str(stack.path))
    assert code == 2
    assert "no AWS credentials found" in out
    assert "AWS_PROFILE" in out and "Traceback" not in out


def test_doctor_exits_2_on_a_bad_window(tmp_path):
    stack = write_stack(tmp_path, "shop", SMALL)
    code, out = run_doctor(str(stack.path), "--window-minutes", "1")
    assert code == 2
    assert "--window-minutes 1 is out of range; allowed: 2-21600" in out


def throttle(operation: str, times: int, seen: list[str]):
    """A before-send handler answering ThrottlingException `times` times, then letting moto answer."""

    def handler(request, **_):
        seen.append(operation)
        if len(seen) > times:
            return None
        body = json.dumps({"__type": "com.amazonaws.sqs#ThrottlingException", "message": "Rate exceeded"}).encode()
        response = AWSResponse(request.url, 400, {"x-amzn-query-error": "Throttling;Sender"}, None)
        response._content = body
        return response

    return handler


@pytest.fixture
def throttled_session(monkeypatch: pytest.MonkeyPatch):
    """Sessions whose SQS GetQueueAttributes calls are throttled; retries do not sleep in tests."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    waits: list[float] = []
    real_sleep_amount = botocore.retries.bucket.TokenBucket._sleep_amount

    def record_instead_of_waiting(bucket, amount):
        waits.append(real_sleep_amount(bucket, amount))
        return 0

    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "_sleep_amount", record_instead_of_waiting)
    seen: list[str] = []
    state = {"times": 0, "waits": waits}

    def session(region):
        s = boto3.Session(region_name=region)
        s.events.register_first(
            "before-send.sqs.GetQueueAttributes", throttle("GetQueueAttributes", state["times"], seen)
        )
        return s

    monkeypatch.setattr(qcap_aws, "new_session", session)
    return state, seen


def test_doctor_retries_throttled_calls_and_notes_it_when_they_succeed(tmp_path, moto_env, throttled_session):
    state, seen = throttled_session
    state["times"] = 2
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1)
    put_history("qcap-shop-orders", sent_per_minute=30, deleted_per_minute=30, age_seconds=5)
    code, report = run_doctor(str(stack.path), "--json")
    assert code == 0, [c for c in report["workloads"][0]["checks"] if c["level"] != "ok"]
    assert report["workloads"][0]["aws_retries"] == 2
    assert any("AWS retried 2 of" in n for n in report["workloads"][0]["notes"])


def test_doctor_reports_throttling_and_exits_2_when_retries_run_out(tmp_path, moto_env, throttled_session):
    state, seen = throttled_session
    state["times"] = 1_000
    stack = write_stack(tmp_path, "shop", SMALL)
    deploy(stack, running=1)
    code, out = run_doctor(str(stack.path))
    assert code == 2
    assert "AWS throttled GetQueueAttributes" in out
    assert f"Throttling on all {limits.AWS_MAX_ATTEMPTS} attempts" in out
    assert len(seen) == limits.AWS_MAX_ATTEMPTS  # first try included
    # adaptive mode: after the first throttle the client-side token bucket makes calls wait
    assert max(state["waits"]) > 0


def test_doctor_warns_when_the_planned_scale_in_band_is_not_deployed(tmp_path, moto_env, depths):
    import yaml

    from tests.factories import profile_data

    stack = write_stack(tmp_path, "shop", yaml.safe_dump(profile_data()))  # 10 msg/s: a band at 1.08
    assert stack.plan.scaling.scale_in_backlog_per_task == 1.08
    deploy(stack, running=3)
    put_history("qcap-shop-events", sent_per_minute=600, deleted_per_minute=600, age_seconds=5)
    _, report = run_doctor(str(stack.path), "--json")
    assert checks(report)["drift: scale_in_backlog_per_task"]["level"] == "ok"
    deploy(stack, running=3, scale_in_backlog_per_task=None)  # target tracking scales in on its own
    code, report = run_doctor(str(stack.path), "--json")
    band = checks(report)["drift: scale_in_backlog_per_task"]
    assert (code, band["level"], band["value"]) == (1, "warn", "target tracking")
    assert "flapping" in band["detail"]
