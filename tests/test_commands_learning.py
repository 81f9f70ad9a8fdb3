"""`qcap doctor STACK --learn` against moto: 14 days of synthetic history read back, compared, patched in."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import typer
from moto import mock_aws
from typer.testing import CliRunner

from capacity import contract
from capacity.profile import load_profile
from qcap.commands import doctor as doctor_cmd
from qcap.live import doctor, learn_reading
from tests.learning_history import TIME_ZONE, WEEKDAY_MESSAGES_PER_DAY, Synthetic, synthetic

REGION = "us-east-1"
STACK = "fleet"
QUEUE = f"qcap-{STACK}-pings"
PROFILE = f"""\
# Pings from the vans: the numbers below were guessed before launch.
environment: prod
workloads:
  - name: pings
    broker: sqs
    traffic:
      messages_per_day: 200000      # a guess
      peak_to_average: 2.0
      trough_to_average: 0.2
      message_bytes: 512
      daily_shape:
        time_zone: {TIME_ZONE}
        hourly_multipliers: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    consumer:
      processing_seconds: 0.1       # measured on a laptop
      concurrency_per_task: 4
      image: public.ecr.aws/docker/library/python:3.12-slim
    objective:
      max_age_seconds: 600
"""
# What the workers published over the fortnight: 0.25 s a message mostly, a slow tail at 1.2 s.
PROCESSING_VALUES, PROCESSING_COUNTS = [0.25, 1.2], [98.0, 2.0]
RECEIVE_SECONDS_PER_MESSAGE = 0.015


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """qcap (test app with the doctor command only)."""

    doctor_cmd.register(app)
    return app


def put_history(cloudwatch, history: Synthetic) -> None:
    dims = [{"Name": contract.SQS_QUEUE_DIMENSION, "Value": QUEUE}]
    data = [{"MetricName": contract.SQS_SENT_METRIC, "Dimensions": dims, "Value": count, "Unit": "Count",
             "Timestamp": epoch} for epoch, count in sorted(history.minutes.items())]
    # The fleet kept up: each hour's deletions as one datapoint (the hour is all --learn reads of them).
    data += [{"MetricName": contract.SQS_DELETED_METRIC, "Dimensions": dims, "Value": count, "Unit": "Count",
              "Timestamp": epoch} for epoch, count in sorted(history.hours().items())]
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=contract.SQS_NAMESPACE, MetricData=data[start:start + 1000])
    worker_dims = [{"Name": "Stack", "Value": STACK}, {"Name": "Workload", "Value": "pings"}]
    stamp = history.start + timedelta(days=3)
    # Where the components tell an SQS worker to publish (METRIC_NAMESPACE), and so where --learn reads.
    cloudwatch.put_metric_data(Namespace=contract.worker_namespace(contract.SQS), MetricData=[
        {"MetricName": contract.WORKER_PROCESSING_METRIC, "Dimensions": worker_dims, "Unit": "Seconds",
         "Values": PROCESSING_VALUES, "Counts": PROCESSING_COUNTS, "Timestamp": stamp},
        {"MetricName": contract.WORKER_RECEIVE_METRIC, "Dimensions": worker_dims, "Unit": "Seconds", "Timestamp": stamp,
         "StatisticValues": {"SampleCount": 10.0, "Sum": 100 * RECEIVE_SECONDS_PER_MESSAGE, "Minimum": 0.1,
                             "Maximum": 0.2}},
        {"MetricName": contract.WORKER_PROCESSED_METRIC, "Dimensions": worker_dims, "Unit": "Count", "Value": 100.0,
         "Timestamp": stamp},
    ])


@pytest.fixture(scope="module")
def fortnight_in_moto():
    """A moto account holding the queue's 14 days of minute counts (one day missing) and the workers' metrics."""
    history = synthetic()
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_DEFAULT_REGION"):
            patch.delenv(key, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setattr(doctor, "utc_now", lambda: history.end + timedelta(seconds=90))
        # moto's GetMetricData scans a call's data once per period: smaller calls keep the read cheap.
        patch.setattr(learn_reading, "MINUTE_CHUNK_HOURS", 3)
        with mock_aws():
            put_history(boto3.client("cloudwatch", region_name=REGION), history)
            yield history


def write_stack(root: Path, profile: str = PROFILE) -> Path:
    (root / "stacks").mkdir(exist_ok=True)
    path = root / "stacks" / f"{STACK}.yaml"
    path.write_text(profile)
    (root / f"Pulumi.{STACK}.yaml").write_text(f"config:\n  aws:region: {REGION}\n")
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli(), ["doctor", *args], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.slow
def test_learn_reads_the_fortnight_back_from_moto_within_the_stated_tolerances(tmp_path, fortnight_in_moto):
    code, out = run(str(write_stack(tmp_path)), "--learn", "--json")
    assert code == 1  # the profile's guesses are far from what was observed
    (learned,) = json.loads(out[out.index("{"):])["learned"]
    assert learned["verdict"] == "learned with gaps" and learned["complete_days"] == 13
    assert learned["missing_days"] == [str((fortnight_in_moto.start + timedelta(days=9)).date())]
    assert learned["messages_per_day"] == pytest.approx(WEEKDAY_MESSAGES_PER_DAY, rel=0.05)
    errors = [abs(o / t - 1) for o, t in zip(learned["hourly_multipliers"], Synthetic.true_shape())]
    assert max(errors) < 0.10
    assert learned["processing_seconds"] == pytest.approx((98 * 0.25 + 2 * 1.2) / 100)
    assert learned["receive_overhead_seconds"] == pytest.approx(RECEIVE_SECONDS_PER_MESSAGE)
    assert learned["deleted_fraction"] == pytest.approx(1.0)


@pytest.mark.slow
def test_learn_fix_write_patches_the_profile_keeping_its_comments_and_says_what_the_plan_changes(
        tmp_path, fortnight_in_moto):
    path = write_stack(tmp_path)
    code, out = run(str(path), "--learn", "--fix", "--write")
    assert "profile against observed" in out and "confidence high" in out
    assert "written to" in out and "the plan changes" in out and "/month" in out
    text = path.read_text()
    assert "# Pings from the vans" in text and "# a guess" in text and "# measured on a laptop" in text
    patched = load_profile(path).workloads[0]
    assert patched.traffic.messages_per_day == pytest.approx(WEEKDAY_MESSAGES_PER_DAY, rel=0.05)
    assert patched.consumer.processing_seconds == pytest.approx(0.269, rel=0.01)
    assert max(patched.traffic.daily_shape.hourly_multipliers) > 2


def test_two_days_of_history_give_too_little_data_and_exit_1(tmp_path, monkeypatch):
    history = synthetic(days=2, missing_day=None)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(doctor, "utc_now", lambda: history.end + timedelta(seconds=90))
    hours_only = Synthetic(history.start, history.days, {e: v for e, v in history.hours().items()}, None)
    with mock_aws():
        put_history(boto3.client("cloudwatch", region_name=REGION), hours_only)
        code, out = run(str(write_stack(tmp_path)), "--learn", "--days", "3", "--fix")
    assert code == 1
    assert "too little data" in out and "at least 3" in out and "nothing to patch" in out


@pytest.mark.parametrize("args, message", [
    (["--learn", "--days", "0"], "--days 0 is out of range; allowed: 1-455"),
    (["--learn", "--days", "456"], "allowed: 1-455"),
    (["--fix"], "--fix and --write go with --learn"),
    (["--learn", "--queue-url", "https://sqs.us-east-1.amazonaws.com/1/q"], "it does not go with --queue-url"),
    (["--learn", "--workload", "nope"], "--workload 'nope' is not in this stack; allowed: "),
])
def test_bad_learn_options_exit_2_naming_the_allowed_values(tmp_path, args, message):
    code, out = run(str(write_stack(tmp_path)), *args)
    assert code == 2 and message in out
