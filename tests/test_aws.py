"""boto3 access: adaptive retries, AWS_ENDPOINT_URL, region resolution and readable errors."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto import mock_aws

from qcap.live import aws


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)


def test_clients_use_botocores_adaptive_retry_mode_with_the_attempt_budget(credentials):
    client = aws.connect(aws.RegionChoice("eu-west-1", "--region")).sqs
    assert client.meta.config.retries["mode"] == "adaptive"
    assert client.meta.config.retries["total_max_attempts"] == 4


def test_clients_honour_aws_endpoint_url_for_moto_or_localstack(credentials, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    connected = aws.connect(aws.RegionChoice("eu-west-1", "--region"))
    assert connected.sqs.meta.endpoint_url == "http://127.0.0.1:4566"
    assert connected.cloudwatch.meta.endpoint_url == "http://127.0.0.1:4566"
    assert connected.endpoint == "http://127.0.0.1:4566 (AWS_ENDPOINT_URL)"


def test_region_comes_from_the_flag_before_the_stack_config(tmp_path: Path):
    (tmp_path / "stacks").mkdir()
    profile = tmp_path / "stacks" / "shop.yaml"
    profile.write_text("environment: dev\n")
    (tmp_path / "Pulumi.shop.yaml").write_text("config:\n  aws:region: ap-south-1\n  qcap:clusterArn: arn:x\n")
    assert aws.resolve_region("us-west-2", profile, "shop") == aws.RegionChoice("us-west-2", "--region")
    assert aws.resolve_region(None, profile, "shop") == aws.RegionChoice(
        "ap-south-1", "aws:region in Pulumi.shop.yaml"
    )
    assert aws.config_text(aws.stack_config(profile, "shop")["qcap:clusterArn"]) == "arn:x"


def test_region_falls_back_to_boto3s_chain_and_says_so_when_there_is_no_stack_config(tmp_path: Path):
    profile = tmp_path / "stacks" / "shop.yaml"
    choice = aws.resolve_region(None, profile, "shop")
    assert choice.region is None
    assert choice.source == (
        "no Pulumi.shop.yaml; using boto3's default chain (AWS_REGION, AWS_DEFAULT_REGION, the profile)"
    )


def test_stack_config_that_is_not_yaml_is_an_error_naming_the_file(tmp_path: Path):
    (tmp_path / "stacks").mkdir()
    profile = tmp_path / "stacks" / "shop.yaml"
    (tmp_path / "Pulumi.shop.yaml").write_text("config: [unclosed\n")
    with pytest.raises(aws.AwsError, match=r"Pulumi.shop.yaml: cannot read the stack's Pulumi config"):
        aws.stack_config(profile, "shop")


def test_connect_fails_clearly_when_no_region_can_be_found(credentials, monkeypatch, tmp_path):
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(aws.AwsError, match="no AWS region: pass --region"):
        aws.connect(aws.RegionChoice(None, "boto3's default chain"))


def test_region_is_read_from_a_real_queue_url_only():
    assert aws.region_from_queue_url("https://sqs.ap-south-1.amazonaws.com/123456789012/q") == "ap-south-1"
    assert aws.region_from_queue_url("https://eu-west-1.queue.amazonaws.com/123456789012/q") == "eu-west-1"
    assert aws.region_from_queue_url("http://127.0.0.1:5000/123456789012/q") is None


def test_missing_credentials_become_one_message_naming_the_chain(monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    connected = aws.connect(aws.RegionChoice("eu-west-1", "--region"))
    with pytest.raises(aws.AwsError) as raised:
        connected.require_credentials()
    assert str(raised.value).startswith("no AWS credentials found. boto3 looks in AWS_ACCESS_KEY_ID")


def answer(status: int, body: dict):
    def handler(request, **_):
        response = AWSResponse(request.url, status, {}, None)
        response._content = json.dumps(body).encode()
        return response

    return handler


def test_access_denied_becomes_a_message_about_permissions(credentials):
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1", config=aws.client_config())
        sqs.meta.events.register_first(
            "before-send.sqs.ListQueues",
            answer(403, {"__type": "com.amazonaws.sqs#AccessDenied", "message": "not authorized to sqs:ListQueues"}),
        )
        with pytest.raises(aws.AwsError) as raised, aws.aws_errors("listing queues"):
            sqs.list_queues()
    assert str(raised.value).startswith(
        "AWS refused ListQueues while listing queues: AccessDenied: not authorized to sqs:ListQueues."
    )
    assert "read-only policy" in str(raised.value)


def test_an_unreachable_endpoint_becomes_a_message_about_aws_endpoint_url(credentials, monkeypatch):
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    with socket_closed_port() as port:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        sqs = aws.connect(aws.RegionChoice("eu-west-1", "--region")).sqs
        with pytest.raises(aws.AwsError) as raised, aws.aws_errors():
            sqs.list_queues()
    assert "cannot reach the AWS endpoint" in str(raised.value)
    assert f"AWS_ENDPOINT_URL is http://127.0.0.1:{port}: is the moto or LocalStack server running?" in str(raised.value)


def test_other_service_errors_become_one_message_with_code_and_text(credentials):
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        with pytest.raises(aws.AwsError, match=r"AWS answered GetQueueUrl with .*NonExistentQueue"), aws.aws_errors():
            sqs.get_queue_url(QueueName="nope")


class socket_closed_port:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


# --- timeouts that fit an interactive command, one-line errors ---------------------


def test_client_config_uses_interactive_timeouts_by_default():
    config = aws.client_config()
    assert (config.connect_timeout, config.read_timeout) == (3, 4)
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 4}


def test_timeouts_come_from_the_environment_then_from_the_option(monkeypatch):
    monkeypatch.setenv("QCAP_AWS_CONNECT_TIMEOUT", "1.5")
    monkeypatch.setenv("QCAP_AWS_READ_TIMEOUT", "2")
    monkeypatch.setenv("QCAP_AWS_MAX_ATTEMPTS", "2")
    assert aws.Timeouts.from_env() == aws.Timeouts(1.5, 2.0, 2)
    assert aws.Timeouts.from_env(read_seconds=7).read_seconds == 7


@pytest.mark.parametrize(("name", "value", "message"), [
    ("QCAP_AWS_READ_TIMEOUT", "soon", "QCAP_AWS_READ_TIMEOUT='soon' is not a number"),
    ("QCAP_AWS_READ_TIMEOUT", "0", "QCAP_AWS_READ_TIMEOUT must be seconds > 0 and <= 600 (got 0.0)"),
    ("QCAP_AWS_MAX_ATTEMPTS", "2.5", "QCAP_AWS_MAX_ATTEMPTS must be a whole number > 0 and <= 10 (got 2.5)"),
])
def test_a_bad_timeout_setting_is_one_clear_error(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(aws.AwsError) as caught:
        aws.Timeouts.from_env()
    assert str(caught.value) == message


def test_an_html_error_page_becomes_one_line_naming_the_operation():
    html = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal</h1>\n"
    error = ClientError(
        {"Error": {"Code": "500", "Message": html},
         "ResponseMetadata": {"HTTPStatusCode": 500, "HTTPHeaders": {"content-type": "text/html; charset=utf-8"}}},
        "ListQueues",
    )
    with pytest.raises(aws.AwsError) as caught, aws.aws_errors("listing queues"):
        raise error
    message = str(caught.value)
    assert "\n" not in message and "<html" not in message
    assert message.startswith("the endpoint answered ListQueues while listing queues with HTTP 500 and a web page")
    assert "check --region and AWS_ENDPOINT_URL" in message


@pytest.mark.slow  # it waits out the default timeouts: four 4 s reads plus botocore's backoff, 17-23 s
def test_doctor_gives_up_on_an_endpoint_that_never_answers_within_30_seconds_with_one_line(tmp_path, monkeypatch):
    """A loopback socket that accepts and never answers: exit 2 with one line after the default tries.

    The bound is counted, not timed: the default tries are made, one connection each, and no more;
    the defaults themselves add up to under 30 s (four 4 s reads plus botocore's backoff of at
    most 1 + 2 + 4 s between them), whatever the machine's speed.
    """
    import socket
    import threading

    from typer.testing import CliRunner

    from capacity import limits
    from qcap.cli import app

    # botocore's backoff before retry i (0-based) is at most 2**i s (its 1 s base for throttling; 50 ms otherwise).
    backoff_at_most = sum(2**retry for retry in range(limits.AWS_MAX_ATTEMPTS - 1))
    assert limits.AWS_MAX_ATTEMPTS * limits.AWS_READ_TIMEOUT_SECONDS + backoff_at_most < 30

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hold():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(key, raising=False)
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
           "COLUMNS": "40"}
    try:
        result = CliRunner().invoke(app, ["doctor", "event-backlog", "--region", "eu-west-1"], env=env)
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()
    assert result.exit_code == 2, result.output
    assert len(held) == limits.AWS_MAX_ATTEMPTS  # one connection a try: each read timed out, then it stopped
    errors = [line for line in result.stderr.splitlines() if line.startswith("qcap doctor: cannot reach")]
    assert len(errors) == 1 and "Read timeout" in errors[0]
    assert all(line.startswith("qcap doctor: ") for line in result.stderr.splitlines())
