"""The worker's settings, read from the environment the Fargate component sets.

Every variable and its default is listed in docs/workers.md. A missing or malformed value
raises `WorkerConfigError` naming the variable, its value and what is allowed, so a task
that cannot start says why in its first log line.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Mapping

from capacity import limits

DEFAULT_RECEIVE_BATCH = limits.SQS_MAX_RECEIVE_BATCH
DEFAULT_CONCURRENCY = 1
DEFAULT_MAX_RECEIVE_COUNT = 5
DEFAULT_REDIS_PORT = 6379
DEFAULT_REDIS_POOL_SIZE = 10
DEFAULT_METRIC_NAMESPACE = "qcap/Redis"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class WorkerConfigError(ValueError):
    """An environment variable the worker needs is missing or malformed."""


@dataclass(frozen=True)
class WorkerConfig:
    """What one worker process does, from the plan (through the task's environment).

    `concurrency` handlers run at once (threads); `receive_batch` caps one receive or claim;
    `visibility_timeout_seconds` is the SQS visibility timeout or the Redis lease;
    `max_receive_count` is the retry budget (SQS: the redrive policy's; Redis: claims before
    the dead-letter list); `stop_timeout_seconds` is the container's stop timeout, within
    which a SIGTERM'd worker finishes or releases what it holds.
    """

    concurrency: int = DEFAULT_CONCURRENCY
    receive_batch: int = DEFAULT_RECEIVE_BATCH
    receive_wait_seconds: int = limits.SQS_MAX_RECEIVE_WAIT_SECONDS
    visibility_timeout_seconds: int = limits.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT
    stop_timeout_seconds: float = limits.ECS_DEFAULT_STOP_TIMEOUT_SECONDS
    stack: str = "local"
    workload: str = "worker"
    queue_url: str | None = None
    region: str | None = None
    redis_host: str | None = None
    redis_port: int = DEFAULT_REDIS_PORT
    redis_tls: bool = False
    redis_auth_token: str | None = None
    redis_pool_size: int = DEFAULT_REDIS_POOL_SIZE
    redis_queue_key: str | None = None
    metric_namespace: str = DEFAULT_METRIC_NAMESPACE
    metric_period_seconds: float = limits.WORKER_METRIC_PERIOD_SECONDS
    publish_metrics: bool = True
    ecs_agent_uri: str | None = None
    retry_backoff_seconds: float = limits.WORKER_RETRY_BACKOFF_SECONDS
    retry_backoff_max_seconds: float = limits.WORKER_RETRY_BACKOFF_MAX_SECONDS
    protection_idle_seconds: float = limits.WORKER_PROTECTION_IDLE_SECONDS
    receivers: int | None = None

    def __post_init__(self) -> None:
        checks = [
            ("CONCURRENCY", self.concurrency, self.concurrency >= 1, ">= 1"),
            ("RECEIVE_BATCH", self.receive_batch, self.receive_batch >= 1, ">= 1"),
            ("RECEIVE_WAIT_SECONDS", self.receive_wait_seconds,
             0 <= self.receive_wait_seconds <= limits.SQS_MAX_RECEIVE_WAIT_SECONDS,
             f"0-{limits.SQS_MAX_RECEIVE_WAIT_SECONDS}"),
            ("VISIBILITY_TIMEOUT_SECONDS", self.visibility_timeout_seconds,
             1 <= self.visibility_timeout_seconds <= limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
             f"1-{limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS}"),
            ("MAX_RECEIVE_COUNT", self.max_receive_count, self.max_receive_count >= 1, ">= 1"),
            ("STOP_TIMEOUT_SECONDS", self.stop_timeout_seconds, self.stop_timeout_seconds > 0, "> 0"),
            ("REDIS_POOL_SIZE", self.redis_pool_size, self.redis_pool_size >= 2,
             ">= 2 (one for claiming, one for acknowledging)"),
            ("RECEIVERS", self.receivers, self.receivers is None or self.receivers >= 1, ">= 1"),
            ("RETRY_BACKOFF_SECONDS", self.retry_backoff_seconds, self.retry_backoff_seconds >= 0, ">= 0"),
        ]
        for name, value, ok, allowed in checks:
            if not ok:
                raise WorkerConfigError(f"{name}={value!r} is out of range; allowed: {allowed}")

    @property
    def broker(self) -> str:
        """`sqs` when QUEUE_URL is set, `redis` when REDIS_HOST is; one of them must be."""
        if self.queue_url:
            return "sqs"
        if self.redis_host:
            return "redis"
        raise WorkerConfigError(
            "neither QUEUE_URL (an SQS queue) nor REDIS_HOST (a Redis queue) is set; the Fargate "
            "component sets one of them from the plan"
        )

    @property
    def fifo(self) -> bool:
        return bool(self.queue_url and self.queue_url.endswith(".fifo"))

    @property
    def poll_wait_seconds(self) -> int:
        """The long-poll wait, capped at half the stop timeout: a poll in progress at SIGTERM ends first."""
        return max(0, min(self.receive_wait_seconds, math.floor(self.stop_timeout_seconds / 2)))

    @property
    def heartbeat_after_seconds(self) -> float:
        """A message held this long since its visibility was last set gets it extended."""
        return self.visibility_timeout_seconds * limits.WORKER_HEARTBEAT_FRACTION

    @property
    def drain_seconds(self) -> float:
        """After SIGTERM, handlers in progress get this long; the rest is the teardown budget (worker/shutdown.py)."""
        budget = min(limits.WORKER_SHUTDOWN_BUDGET_SECONDS,
                     self.stop_timeout_seconds * limits.WORKER_SHUTDOWN_MAX_BUDGET_FRACTION)
        return max(0.0, self.stop_timeout_seconds - budget)

    @property
    def queue_key(self) -> str:
        """Redis key prefix; the braces keep every key of one queue in one cluster slot."""
        return self.redis_queue_key or f"qcap:{{{self.workload}}}"

    def backoff_seconds(self, receive_count: int) -> int:
        """Seconds a failed message stays invisible: base x 2^(receives - 1), capped (whole seconds for SQS)."""
        exponent = max(0, receive_count - 1)
        seconds = min(self.retry_backoff_max_seconds, self.retry_backoff_seconds * (2 ** min(exponent, 30)))
        return int(math.ceil(min(seconds, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS)))

    def with_changes(self, **changes: object) -> WorkerConfig:
        return replace(self, **changes)

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> WorkerConfig:
        """Read the variables the Fargate component sets (and the optional ones in docs/workers.md)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        ints = {
            "CONCURRENCY": "concurrency",
            "RECEIVE_BATCH": "receive_batch",
            "RECEIVE_WAIT_SECONDS": "receive_wait_seconds",
            "VISIBILITY_TIMEOUT_SECONDS": "visibility_timeout_seconds",
            "MAX_RECEIVE_COUNT": "max_receive_count",
            "REDIS_PORT": "redis_port",
            "REDIS_POOL_SIZE": "redis_pool_size",
            "RECEIVERS": "receivers",
        }
        floats = {
            "STOP_TIMEOUT_SECONDS": "stop_timeout_seconds",
            "METRIC_PERIOD_SECONDS": "metric_period_seconds",
            "RETRY_BACKOFF_SECONDS": "retry_backoff_seconds",
            "RETRY_BACKOFF_MAX_SECONDS": "retry_backoff_max_seconds",
            "PROTECTION_IDLE_SECONDS": "protection_idle_seconds",
        }
        texts = {
            "QCAP_STACK": "stack",
            "QCAP_WORKLOAD": "workload",
            "QUEUE_URL": "queue_url",
            "REDIS_HOST": "redis_host",
            "REDIS_AUTH_TOKEN": "redis_auth_token",
            "REDIS_QUEUE_KEY": "redis_queue_key",
            "METRIC_NAMESPACE": "metric_namespace",
            "ECS_AGENT_URI": "ecs_agent_uri",
        }
        for name, field_name in ints.items():
            if env.get(name, "").strip():
                values[field_name] = _parse(name, env[name], int)
        for name, field_name in floats.items():
            if env.get(name, "").strip():
                values[field_name] = _parse(name, env[name], float)
        for name, field_name in texts.items():
            if env.get(name, "").strip():
                values[field_name] = env[name].strip()
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if region:
            values["region"] = region
        for name, field_name in (("REDIS_TLS", "redis_tls"), ("PUBLISH_METRICS", "publish_metrics")):
            if name in env:
                values[field_name] = _parse_bool(name, env[name])
        return WorkerConfig(**values)  # type: ignore[arg-type]


def _parse(name: str, raw: str, kind: type) -> object:
    try:
        return kind(raw.strip())
    except ValueError:
        raise WorkerConfigError(f"{name}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None


def _parse_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise WorkerConfigError(f"{name}={raw!r} is not a boolean; use true or false")
