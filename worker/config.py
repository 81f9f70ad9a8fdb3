"""The worker's settings, read from the environment the consumer components set.

Every variable, its type and default are declared once in capacity/contract.py (listed in
docs/workers.md); `from_env` reads exactly those. A missing or malformed value raises
`WorkerConfigError` naming the variable, its value and what is allowed, so a task that
cannot start says why in its first log line.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Mapping

from capacity import contract, limits
from capacity.contract import default_of

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class WorkerConfigError(ValueError):
    """An environment variable the worker needs is missing or malformed."""


def smallest_lease_seconds(redis: bool) -> int:
    """The shortest lease (whole seconds) the heartbeat keeps alive: what it leaves of the lease after the heartbeat
    check fits the shortest try of the extension call (worker/calls.py: lease_call_budget_seconds)."""
    shortest_try = limits.WORKER_REDIS_MIN_TRY_SECONDS if redis else limits.WORKER_AWS_MIN_TRY_SECONDS
    return math.ceil((shortest_try + limits.WORKER_HEARTBEAT_CHECK_SECONDS) / (1 - limits.WORKER_HEARTBEAT_FRACTION))


@dataclass(frozen=True)
class WorkerConfig:
    """What one worker process does, from the plan (through the task's environment).

    `concurrency` handlers run at once (threads); `receive_batch` caps one receive or claim;
    `visibility_timeout_seconds` is the SQS visibility timeout or the Redis lease;
    `max_receive_count` is the retry budget (SQS: the redrive policy's; Redis: claims before
    the dead-letter list); `stop_timeout_seconds` is the container's stop timeout, within
    which a SIGTERM'd worker finishes or releases what it holds; `batch_limit` is the most
    messages one scheduled run takes and `run_deadline_seconds` when it stops receiving
    (both None for a service; worker/scheduled.py).
    """

    concurrency: int = default_of("concurrency")
    receive_batch: int = default_of("receive_batch")
    receive_wait_seconds: int = default_of("receive_wait_seconds")
    visibility_timeout_seconds: int = default_of("visibility_timeout_seconds")
    max_receive_count: int = default_of("max_receive_count")
    stop_timeout_seconds: float = default_of("stop_timeout_seconds")
    stack: str = default_of("stack")
    workload: str = default_of("workload")
    queue_url: str | None = None
    region: str | None = None
    batch_limit: int | None = None
    run_deadline_seconds: float | None = None
    redis_host: str | None = None
    redis_port: int = default_of("redis_port")
    redis_tls: bool = default_of("redis_tls")
    redis_auth_token: str | None = None
    redis_pool_size: int = default_of("redis_pool_size")
    redis_queue_key: str | None = None
    metric_namespace: str = default_of("metric_namespace")
    metric_period_seconds: float = default_of("metric_period_seconds")
    publish_metrics: bool = default_of("publish_metrics")
    ecs_agent_uri: str | None = None
    retry_backoff_seconds: float = default_of("retry_backoff_seconds")
    retry_backoff_max_seconds: float = default_of("retry_backoff_max_seconds")
    protection_idle_seconds: float = default_of("protection_idle_seconds")
    receivers: int | None = None

    def __post_init__(self) -> None:
        shortest_lease = smallest_lease_seconds(redis=bool(self.redis_host and not self.queue_url))
        checks = [
            ("CONCURRENCY", self.concurrency, self.concurrency >= 1, ">= 1"),
            ("RECEIVE_BATCH", self.receive_batch, self.receive_batch >= 1, ">= 1"),
            ("RECEIVE_WAIT_SECONDS", self.receive_wait_seconds,
             0 <= self.receive_wait_seconds <= limits.SQS_MAX_RECEIVE_WAIT_SECONDS,
             f"0-{limits.SQS_MAX_RECEIVE_WAIT_SECONDS}"),
            ("VISIBILITY_TIMEOUT_SECONDS", self.visibility_timeout_seconds,
             shortest_lease <= self.visibility_timeout_seconds <= limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
             f"{shortest_lease}-{limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} (the heartbeat extends a lease at "
             f"{limits.WORKER_HEARTBEAT_FRACTION:g} of it, and what is left must fit one try of the extension call)"),
            ("MAX_RECEIVE_COUNT", self.max_receive_count, self.max_receive_count >= 1, ">= 1"),
            ("STOP_TIMEOUT_SECONDS", self.stop_timeout_seconds, self.stop_timeout_seconds > 0, "> 0"),
            ("REDIS_POOL_SIZE", self.redis_pool_size, self.redis_pool_size >= 2,
             ">= 2 (one for claiming, one for acknowledging)"),
            ("RECEIVERS", self.receivers, self.receivers is None or self.receivers >= 1, ">= 1"),
            ("BATCH_LIMIT", self.batch_limit, self.batch_limit is None or self.batch_limit >= 1, ">= 1"),
            ("RUN_DEADLINE_SECONDS", self.run_deadline_seconds,
             self.run_deadline_seconds is None or self.run_deadline_seconds > 0, "> 0"),
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
    def publish_namespace(self) -> str | None:
        """Where the worker's own metrics go, None for nowhere: METRIC_NAMESPACE, or for a Redis worker
        qcap/Redis (its autoscaling reads them); an SQS worker without it (or PUBLISH_METRICS off) sends none."""
        if not self.publish_metrics:
            return None
        if self.metric_namespace:
            return self.metric_namespace
        return contract.REDIS_NAMESPACE if self.redis_host and not self.queue_url else None

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
        """Read every variable of contract.WORKER_ENVIRONMENT that is set; the rest keep their defaults."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for variable in READS:
            if variable.setting not in values and _is_set(variable, env):
                values[variable.setting] = _value(variable, env[variable.name])
        return WorkerConfig(**values)  # type: ignore[arg-type]


# What `from_env` reads, in order: the contract's declarations, nothing else.
READS = contract.WORKER_ENVIRONMENT


def _is_set(variable: contract.EnvVar, env: Mapping[str, str]) -> bool:
    """A boolean counts once present (empty is false); anything else only when not blank."""
    if variable.kind is bool:
        return variable.name in env
    return bool(env.get(variable.name, "").strip())


def _value(variable: contract.EnvVar, raw: str) -> object:
    if variable.kind is bool:
        return _parse_bool(variable.name, raw)
    if variable.kind is str:
        return raw.strip()
    return _parse(variable.name, raw, variable.kind)


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
