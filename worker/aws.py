"""The worker's boto3 clients: every one with connect and read timeouts and bounded retries.

botocore's defaults (60 s to connect, 60 s to read, several tries) let one call to an
endpoint that accepts and never answers hang for minutes, holding messages past their
visibility timeout. The worker's clients use the standard retry mode (adaptive's client-side
rate limiter may sleep for as long as it likes when throttled) with timings from
worker/calls.py: SQS deletes and visibility changes fit in half the visibility timeout (what
the heartbeat leaves); receives wait their long poll plus the read timeout; CloudWatch runs on
its own thread and keeps the full timing (12 s at worst).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from capacity import limits
from worker.calls import CallTiming, botocore_backoff, fit_timing, lease_call_budget_seconds
from worker.config import WorkerConfig


def botocore_config(timing: CallTiming, pool_connections: int = 10) -> Config:
    return Config(connect_timeout=timing.connect_seconds, read_timeout=timing.read_seconds,
                  retries={"mode": "standard", "total_max_attempts": timing.attempts},
                  max_pool_connections=pool_connections)


def lease_timing(config: WorkerConfig) -> CallTiming:
    """Deletes, visibility changes and extensions: their worst case fits what the heartbeat leaves of the lease."""
    budget = lease_call_budget_seconds(config.visibility_timeout_seconds)
    return fit_timing(budget, limits.WORKER_AWS_MAX_ATTEMPTS, botocore_backoff, limits.WORKER_AWS_MIN_TRY_SECONDS)


def receive_timing(config: WorkerConfig) -> CallTiming:
    """A long poll answers after its wait at the latest: the read timeout starts counting after it."""
    return CallTiming(limits.WORKER_CALL_CONNECT_TIMEOUT_SECONDS,
                      config.poll_wait_seconds + limits.WORKER_CALL_READ_TIMEOUT_SECONDS,
                      limits.WORKER_AWS_MAX_ATTEMPTS, botocore_backoff)


def metrics_timing() -> CallTiming:
    return CallTiming(limits.WORKER_CALL_CONNECT_TIMEOUT_SECONDS, limits.WORKER_CALL_READ_TIMEOUT_SECONDS,
                      limits.WORKER_AWS_MAX_ATTEMPTS, botocore_backoff)


def client(service: str, config: WorkerConfig, timing: CallTiming, pool_connections: int = 10) -> Any:
    """A boto3 client in the worker's region (AWS_ENDPOINT_URL points it at moto or LocalStack)."""
    return boto3.session.Session(region_name=config.region).client(
        service, config=botocore_config(timing, pool_connections))


def sqs_clients(config: WorkerConfig) -> tuple[Any, Any]:
    """(receive client, lease client): the long polls and the calls that must land within the lease."""
    pool = 2 * limits.WORKER_MAX_RECEIVERS + 4
    return (client("sqs", config, receive_timing(config), pool),
            client("sqs", config, lease_timing(config), pool))


def cloudwatch_client(config: WorkerConfig) -> Any:
    return client("cloudwatch", config, metrics_timing(), 2)


def endpoint_of(aws_client: Any) -> str:
    return str(getattr(getattr(aws_client, "meta", None), "endpoint_url", "") or "")
