"""`qcap load`: its refusals and errors, a busy queue left as it was, and 5,000 messages through moto, none lost."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import uuid

import boto3
from rich.console import Console
import pytest
import typer
from moto import mock_aws
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from qcap.commands import load as load_cmd

# The load command alone, as a CLI, for a subprocess (its own interpreter, so the moto server in
# this process and the load generator do not share one GIL).
LOAD_CLI = (
    "import typer; from qcap.commands import load as load_cmd; app = typer.Typer(); app.callback()(lambda: None); "
    "load_cmd.register(app); app()"
)


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """qcap (test app with the load command only)."""

    load_cmd.register(app)
    return app


def invoke(*args: str):
    return CliRunner().invoke(cli(), ["load", *args])


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name="eu-west-1")


def test_load_refuses_to_run_without_an_explicit_message_count():
    result = invoke("--queue-url", "https://sqs.eu-west-1.amazonaws.com/123456789012/q")
    assert result.exit_code == 2
    assert "refusing to run without an explicit --messages N" in result.stderr


def test_load_rejects_a_message_size_that_cannot_carry_its_id():
    result = invoke("--queue-url", "https://sqs.eu-west-1.amazonaws.com/123456789012/q", "--messages", "10",
                    "--bytes", "5")
    assert result.exit_code == 2
    assert "--bytes 5 is out of range; allowed: 34-1048576" in result.stderr


def test_load_exits_2_with_the_reason_when_the_queue_does_not_exist(moto_env):
    result = invoke("--queue-url", "https://sqs.eu-west-1.amazonaws.com/123456789012/nope", "--messages", "10")
    assert result.exit_code == 2
    assert "QueueDoesNotExist" in result.stderr or "NonExistentQueue" in result.stderr


def test_load_reports_rate_latency_and_none_lost_when_draining(moto_env):
    url = moto_env.create_queue(QueueName="orders")["QueueUrl"]
    result = invoke("--queue-url", url, "--messages", "120", "--concurrency", "3", "--drain", "--drain-timeout", "120", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["send"]["sent"] == 120 and report["send"]["calls"] == 12
    assert report["send"]["latency_ms"]["p50"] > 0
    assert (report["drain"]["received"], report["drain"]["lost"]) == (120, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def moto_server():
    """A moto server on 127.0.0.1 on a free port, stopped when the test ends."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.mark.slow
def test_load_sends_and_drains_5000_messages_through_a_moto_server_losing_none(moto_server):
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_PROFILE", None)
    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    url = sqs.create_queue(QueueName="load-test")["QueueUrl"]
    # moto's SendMessage recomputes every queue attribute (an O(depth) scan) per message, so a
    # deep queue slows it quadratically; the default closed loop with --drain (at most 20
    # messages outstanding, drained alongside) keeps it shallow whatever the machine's speed.
    # The docs' example without --max-outstanding: the default loop is what lets it finish
    # (open loop it never did). With the default 8 threads it also finishes, none
    # lost, in about 3 minutes: one moto process serves 16 threads slowly. The drain timeout bounds the
    # whole run, so it is set well above the ~25 s this run takes.
    command = [sys.executable, "-c", LOAD_CLI, "load", "--queue-url", url, "--messages", "5000",
               "--concurrency", "2", "--drain", "--drain-timeout", "200", "--json"]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)  # a hang guard (about a minute idle)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    send, drain = report["send"], report["drain"]
    assert (send["sent"], send["failed"], send["calls"]) == (5_000, 0, 500)
    assert report["max_outstanding"] == 20
    assert (drain["received"], drain["lost"], drain["timed_out"]) == (5_000, 0, False)
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    print(
        f"\nmoto server load: {send['messages_per_second']} msg/s sent, {drain['messages_per_second']} msg/s drained, "
        f"send latency p50 {send['latency_ms']['p50']} ms p95 {send['latency_ms']['p95']} ms "
        f"p99 {send['latency_ms']['p99']} ms, duplicates {drain['duplicates']}, wall {elapsed:.1f} s"
    )


def test_load_with_drain_is_a_closed_loop_by_default(moto_env):
    url = moto_env.create_queue(QueueName="orders")["QueueUrl"]
    result = invoke("--queue-url", url, "--messages", "50", "--drain", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["max_outstanding"] == 20


def test_load_prints_progress_lines_when_output_is_not_a_terminal(moto_env, monkeypatch):
    monkeypatch.setattr(load_cmd, "PROGRESS_LINE_EVERY_SECONDS", 0.0)
    url = moto_env.create_queue(QueueName="orders")["QueueUrl"]
    result = invoke("--queue-url", url, "--messages", "30", "--concurrency", "1", "--drain")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("qcap load: send ")]
    assert lines[0].startswith("qcap load: send 10/30, drain ")
    assert lines[-1] == "qcap load: send 30/30, drain 30/30"


def test_ctrl_c_in_load_prints_the_partial_count_and_exits_130(moto_env, monkeypatch):
    from qcap.live import load_run

    def interrupted(*args, on_sent, **kwargs):
        on_sent(10)
        on_sent(10)
        raise KeyboardInterrupt

    monkeypatch.setattr(load_run, "run", interrupted)
    url = moto_env.create_queue(QueueName="orders")["QueueUrl"]
    result = invoke("--queue-url", url, "--messages", "100", "--drain")
    assert result.exit_code == 130
    assert "qcap load: interrupted: sent 20 of 100, drained 0; run id " in result.stderr


# --- a queue that holds other messages (a moto server on 127.0.0.1) -----------------------


@pytest.fixture
def busy_queue(moto, monkeypatch: pytest.MonkeyPatch):
    """A queue holding 100 messages of someone else's, with a DLQ after 5 receives, on the session's moto server."""
    for name, value in moto.env.items():
        monkeypatch.setenv(name, value)
    sqs = moto.client()
    suffix = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"busy-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=f"busy-{suffix}", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})})["QueueUrl"]
    for first in range(0, 100, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"order-{first + i}"}
                                                      for i in range(10)])
    return sqs, url, dlq


def receive_counts(sqs, url: str) -> dict[str, int]:
    """Every message's body -> ApproximateReceiveCount on this (one more) receive."""
    seen: dict[str, int] = {}
    for _ in range(40):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                  AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        if not got:
            break
        seen.update({m["Body"]: int(m["Attributes"]["ApproximateReceiveCount"]) for m in got})
    return seen


def others(counts: dict[str, int]) -> dict[str, int]:
    return {body: n for body, n in counts.items() if body.startswith("order-")}


@pytest.mark.slow
def test_load_refuses_a_queue_that_holds_other_messages_and_says_how_to_go_on(busy_queue):
    sqs, url, dlq = busy_queue
    result = invoke("--queue-url", url, "--messages", "40", "--drain", "--drain-timeout", "10")
    assert result.exit_code == 2
    assert f"{url} holds 100 messages that are not this run's (100 visible, 0 in flight, 0 delayed)" in result.stderr
    assert "--temporary-queue" in result.stderr and "--allow-busy-queue" in result.stderr
    assert others(receive_counts(sqs, url)) == {f"order-{i}": 1 for i in range(100)}  # never received before


@pytest.mark.slow
def test_load_in_a_temporary_queue_leaves_the_busy_queue_as_it_was_and_removes_its_own(busy_queue):
    sqs, url, dlq = busy_queue
    started = time.monotonic()
    result = invoke("--queue-url", url, "--messages", "40", "--drain", "--drain-timeout", "10", "--temporary-queue",
                    "--json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["temporary_queue"] is True and report["queue_url"] != url
    assert (report["drain"]["received"], report["drain"]["none_lost"]) == (40, True)
    assert elapsed < 10 + 5
    assert report["queue_url"] not in sqs.list_queues().get("QueueUrls", [])
    assert others(receive_counts(sqs, url)) == {f"order-{i}": 1 for i in range(100)}
    assert load_counts(sqs, dlq) == 0


@pytest.mark.slow
def test_load_may_send_to_a_busy_queue_when_asked_and_never_receives_its_messages(busy_queue):
    sqs, url, dlq = busy_queue
    assert invoke("--queue-url", url, "--messages", "40", "--allow-busy-queue", "--drain").exit_code == 2
    result = invoke("--queue-url", url, "--messages", "40", "--allow-busy-queue", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["send"]["sent"] == 40 and report["queue_holds_after"] is None  # others' count says nothing
    counts = receive_counts(sqs, url)
    assert others(counts) == {f"order-{i}": 1 for i in range(100)}
    assert len(counts) == 140


def load_counts(sqs, url: str) -> int:
    from qcap.live.load_run import queue_counts

    return queue_counts(sqs, url).total


@pytest.mark.slow
def test_load_without_drain_reads_back_what_the_queue_holds(moto, monkeypatch):
    for name, value in moto.env.items():
        monkeypatch.setenv(name, value)
    sqs = moto.client()
    url = sqs.create_queue(QueueName=f"readback-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    result = invoke("--queue-url", url, "--messages", "30")
    assert result.exit_code == 0, result.output
    assert "sent 30 of 30 (acknowledged by SQS)" in result.stdout
    assert "the queue holds 30 messages now" in result.stdout


def test_progress_lines_never_show_more_drained_than_sent_when_the_drain_reports_first():
    # The drainer can delete a batch before the sender's callback for it has run: it was sent all the same.
    progress = load_cmd._LineProgress(Console(file=io.StringIO()))
    send, drain = progress.add_task("send", 30), progress.add_task("drain", 30)
    progress.advance(drain, 10)
    assert progress.counts() == "send 10/30, drain 10/30"
    progress.advance(send, 20)
    assert progress.counts() == "send 20/30, drain 10/30"
