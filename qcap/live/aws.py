"""boto3 access for the live commands: one session, clients in adaptive retry mode, readable errors.

Every AWS failure a user can act on (no credentials, access denied, an endpoint that does not
answer, throttling that outlasted the retries) becomes an `AwsError` with one clear message;
the commands print it and exit 2 (contract.EXIT_BAD_INPUT), never a traceback. boto3 itself honours AWS_ENDPOINT_URL
(and AWS_ENDPOINT_URL_<SERVICE>), which is how the commands are pointed at moto or LocalStack.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from capacity import limits

# Error codes AWS services use when the caller may not do something, or is not who it says.
AUTH_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "SignatureDoesNotMatch",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
# Error codes of throttling; botocore retries these itself, we only see them once it gave up.
THROTTLE_ERROR_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)

CREDENTIALS_HINT = (
    "boto3 looks in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO and "
    "container or instance roles; set one of them (for example `export AWS_PROFILE=ops` or "
    "`aws sso login`). For moto or LocalStack, set AWS_ENDPOINT_URL and any dummy keys."
)


class AwsError(Exception):
    """An AWS problem the user can act on; the message says what happened and what to do."""


@dataclass(frozen=True)
class RegionChoice:
    """The region to use and where it came from, so the output can say so."""

    region: str | None
    source: str


@dataclass(frozen=True)
class Timeouts:
    """How long one AWS call may wait to connect and for an answer, and how many tries in all.

    The defaults fit an interactive command: an endpoint that never answers fails in about
    max_attempts x read_seconds plus backoff (under 30 s), not botocore's 60 s per try.
    QCAP_AWS_CONNECT_TIMEOUT, QCAP_AWS_READ_TIMEOUT and QCAP_AWS_MAX_ATTEMPTS change them.
    """

    connect_seconds: float = limits.AWS_CONNECT_TIMEOUT_SECONDS
    read_seconds: float = limits.AWS_READ_TIMEOUT_SECONDS
    max_attempts: int = limits.AWS_MAX_ATTEMPTS

    @classmethod
    def from_env(cls, read_seconds: float | None = None) -> Timeouts:
        """The defaults, changed by the QCAP_AWS_* environment variables, then by an explicit read timeout."""
        values = {
            "connect_seconds": _env_number("QCAP_AWS_CONNECT_TIMEOUT", limits.AWS_CONNECT_TIMEOUT_SECONDS),
            "read_seconds": _env_number("QCAP_AWS_READ_TIMEOUT", limits.AWS_READ_TIMEOUT_SECONDS),
            "max_attempts": int(_env_number("QCAP_AWS_MAX_ATTEMPTS", limits.AWS_MAX_ATTEMPTS, whole=True)),
        }
        if read_seconds is not None:
            values["read_seconds"] = _checked("--timeout", read_seconds)
        return cls(**values)


def _checked(name: str, value: float, whole: bool = False) -> float:
    top = limits.AWS_MAX_TIMEOUT_SECONDS if not whole else limits.AWS_MAX_ATTEMPTS_ALLOWED
    if not (0 < value <= top) or (whole and value != int(value)):
        kind = "a whole number" if whole else "seconds"
        raise AwsError(f"{name} must be {kind} > 0 and <= {top} (got {value!r})")
    return value


def _env_number(name: str, default: float, whole: bool = False) -> float:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise AwsError(f"{name}={text!r} is not a number") from None
    return _checked(name, value, whole)


def client_config(timeouts: Timeouts | None = None) -> Config:
    """botocore's adaptive retry mode (backoff plus a client-side rate limiter) with interactive timeouts."""
    t = timeouts or Timeouts()
    return Config(
        connect_timeout=t.connect_seconds,
        read_timeout=t.read_seconds,
        retries={"mode": "adaptive", "total_max_attempts": t.max_attempts},
    )


def is_html_answer(exc: ClientError) -> bool:
    """True when the endpoint answered with a web page (a proxy, or moto failing inside) instead of an AWS error."""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    content_type = str(exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("content-type", ""))
    return "text/html" in content_type or message.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


def one_line(text: str, limit: int = limits.AWS_MESSAGE_MAX_CHARS) -> str:
    """An AWS message on one line (whitespace collapsed), cut at `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def stack_config_path(stack_path: Path, stack_name: str) -> Path | None:
    """Pulumi.<stack>.yaml in the project directory next to stacks/ (or beside the profile)."""
    filename = f"Pulumi.{stack_name}.yaml"
    for directory in (stack_path.resolve().parent.parent, stack_path.resolve().parent):
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    return None


def stack_config(stack_path: Path, stack_name: str) -> dict[str, Any]:
    """The `config:` mapping of Pulumi.<stack>.yaml, or {} when there is no such file."""
    path = stack_config_path(stack_path, stack_name)
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AwsError(f"{path}: cannot read the stack's Pulumi config: {exc}") from None
    config = data.get("config") if isinstance(data, dict) else None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise AwsError(f"{path}: `config` must be a mapping of keys such as aws:region")
    return config


def config_text(value: Any) -> str | None:
    """A Pulumi config value as text (plain values, or {value: ...} objects)."""
    if isinstance(value, dict):
        value = value.get("value")
    return None if value is None else str(value)


def resolve_region(cli_region: str | None, stack_path: Path | None = None, stack_name: str | None = None) -> RegionChoice:
    """--region, else aws:region from Pulumi.<stack>.yaml, else boto3's default chain (said plainly)."""
    if cli_region:
        return RegionChoice(cli_region, "--region")
    if stack_path is not None and stack_name is not None:
        path = stack_config_path(stack_path, stack_name)
        region = config_text(stack_config(stack_path, stack_name).get("aws:region"))
        if region:
            return RegionChoice(region, f"aws:region in {path.name if path else 'the stack config'}")
        where = f"{path.name} has no aws:region" if path else f"no Pulumi.{stack_name}.yaml"
        return RegionChoice(None, f"{where}; using boto3's default chain (AWS_REGION, AWS_DEFAULT_REGION, the profile)")
    return RegionChoice(None, "boto3's default chain (AWS_REGION, AWS_DEFAULT_REGION, the profile)")


_QUEUE_URL_REGION = re.compile(r"^https?://(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:queue\.)?amazonaws\.com")


def region_from_queue_url(url: str) -> str | None:
    """The region in a real SQS queue URL (https://sqs.eu-west-1.amazonaws.com/...), else None."""
    match = _QUEUE_URL_REGION.match(url)
    return match.group(1) if match else None


@dataclass
class Aws:
    """A boto3 session with its clients, created once and shared by a command."""

    session: boto3.Session
    region_source: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            with aws_errors():
                self._clients[service] = self.session.client(service, config=client_config(self.timeouts))
        return self._clients[service]

    @property
    def sqs(self) -> Any:
        return self.client("sqs")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")

    @property
    def ecs(self) -> Any:
        return self.client("ecs")

    @property
    def autoscaling(self) -> Any:
        return self.client("application-autoscaling")

    @property
    def region(self) -> str | None:
        return self.session.region_name

    @property
    def endpoint(self) -> str:
        """Where SQS calls go, and why (AWS_ENDPOINT_URL or the region's public endpoint)."""
        url = self.sqs.meta.endpoint_url
        override = os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL")
        return f"{url} (AWS_ENDPOINT_URL)" if override else url

    def require_credentials(self) -> None:
        """Fail early, before any call, when the credential chain finds nothing."""
        with aws_errors():
            credentials = self.session.get_credentials()
        if credentials is None:
            raise AwsError(f"no AWS credentials found. {CREDENTIALS_HINT}")


def new_session(region: str | None) -> boto3.Session:
    """A boto3 session on the standard credential chain; tests replace this to add event handlers."""
    return boto3.Session(region_name=region) if region else boto3.Session()


def connect(choice: RegionChoice, timeouts: Timeouts | None = None) -> Aws:
    """A session for the chosen region; fails with a clear message when no region can be found."""
    timeouts = timeouts or Timeouts.from_env()
    session = new_session(choice.region)
    if not session.region_name:
        raise AwsError(
            "no AWS region: pass --region, set aws:region in Pulumi.<stack>.yaml, or export AWS_REGION"
        )
    return Aws(session=session, region_source=choice.source, timeouts=timeouts)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_throttling(exc: ClientError) -> bool:
    return error_code(exc) in THROTTLE_ERROR_CODES


@contextmanager
def aws_errors(action: str = "") -> Iterator[None]:
    """Turn credential, permission, endpoint and throttling failures into one AwsError."""
    doing = f" while {action}" if action else ""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AwsError(f"no usable AWS credentials{doing} ({exc}). {CREDENTIALS_HINT}") from None
    except NoRegionError:
        raise AwsError(
            "no AWS region: pass --region, set aws:region in Pulumi.<stack>.yaml, or export AWS_REGION"
        ) from None
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError) as exc:
        override = os.environ.get("AWS_ENDPOINT_URL")
        hint = (
            f"AWS_ENDPOINT_URL is {override}: is the moto or LocalStack server running?"
            if override
            else "check the region and the network (a proxy or VPC endpoint)"
        )
        raise AwsError(f"cannot reach the AWS endpoint{doing}: {one_line(str(exc))}. {hint}") from None
    except ClientError as exc:
        code = error_code(exc)
        message = one_line(exc.response.get("Error", {}).get("Message", ""))
        if is_html_answer(exc):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
            raise AwsError(
                f"the endpoint answered {exc.operation_name}{doing} with HTTP {status} and a web page, not an AWS "
                f"error: it may not implement {exc.operation_name} (moto does not implement every action) or not "
                "serve this region; check --region and AWS_ENDPOINT_URL"
            ) from None
        if code in AUTH_ERROR_CODES:
            raise AwsError(
                f"AWS refused {exc.operation_name}{doing}: {code}: {message}. The credentials in use lack a "
                "permission (see docs/doctor.md for the read-only policy the checks need) or are expired."
            ) from None
        if code in THROTTLE_ERROR_CODES:
            metadata = exc.response.get("ResponseMetadata", {})
            attempts = (
                limits.AWS_MAX_ATTEMPTS if metadata.get("MaxAttemptsReached") else metadata.get("RetryAttempts", 0) + 1
            )
            raise AwsError(
                f"AWS throttled {exc.operation_name}{doing}: {code} on all {attempts} attempts (adaptive retry "
                "mode backs off and slows down between them). Run again in a minute; if it persists, other "
                "tools share this account's API rate."
            ) from None
        raise AwsError(f"AWS answered {exc.operation_name}{doing} with {code}: {message}") from None
    except BotoCoreError as exc:
        raise AwsError(f"AWS SDK error{doing}: {one_line(str(exc))}") from None


def queue_name_from_arn(arn: str) -> str:
    """The queue name, the last field of an SQS ARN."""
    return arn.rsplit(":", 1)[-1]


def queue_name_from_url(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
