"""The worker's Redis connection pool: bounded timeouts, retries with backoff, and failover.

redis-py retries every command (`Retry` with `ExponentialBackoff`) on connection errors,
timeouts and ReadOnlyError. ReadOnlyError is what a failover looks like from a connection
opened before it: ElastiCache promotes a replica and moves the primary endpoint's DNS name,
and open connections stay on the old primary, now a read-only replica. redis-py drops the
connection that failed before it retries; `FailoverRetry` also drops the pool's idle
connections (they point at the old primary too), so every new connection resolves the
endpoint again. Queue operations are single Lua scripts, so a retried one either ran before
(ack, extend and release change nothing the second time; a claim whose answer was lost leases
items to nobody until the reaper returns them) or did not run at all. `health_check_interval`
PINGs a connection idle for WORKER_REDIS_HEALTH_CHECK_SECONDS before it is used.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from typing import Any, Callable

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, ReadOnlyError, TimeoutError
from redis.retry import Retry

from capacity import limits
from worker.calls import CallTiming, fit_timing, lease_call_budget_seconds, redis_backoff
from worker.config import WorkerConfig

log = logging.getLogger("qcap.worker.redis")

RETRY_ON = (ConnectionError, TimeoutError, ReadOnlyError)


class PoolDropper:
    """Disconnects a pool's idle connections when the endpoint turns out to be a read-only replica."""

    def __init__(self) -> None:
        self.pool: redis.ConnectionPool | None = None
        self.drops = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.drops += 1
            first = self.drops == 1
        if self.pool is not None:
            try:
                self.pool.disconnect(inuse_connections=False)
            except TypeError:  # redis-py 5.0's BlockingConnectionPool.disconnect() takes no argument
                self.pool.disconnect()
        if first:
            log.warning(json.dumps({"event": "redis_read_only", "action": "dropped the pool's idle connections; "
                                    "reconnecting to the endpoint's current primary"}))


class FailoverRetry(Retry):
    """redis-py's Retry, and on ReadOnlyError `on_read_only()` before the failed connection is dropped."""

    def __init__(self, backoff: Any, retries: int, supported_errors: tuple = RETRY_ON,
                 on_read_only: Callable[[], None] | None = None):
        super().__init__(backoff, retries, supported_errors)
        self.on_read_only = on_read_only

    def call_with_retry(self, do, fail, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - redis-py's signature
        def failed(error: Exception, *rest: Any) -> Any:
            if isinstance(error, ReadOnlyError) and self.on_read_only is not None:
                self.on_read_only()
            return fail(error, *rest)

        return super().call_with_retry(do, failed, *args, **kwargs)

    def __deepcopy__(self, memo: dict) -> FailoverRetry:
        """Each connection gets its own copy (redis-py deep-copies it); the callback stays shared."""
        return FailoverRetry(copy.deepcopy(self._backoff, memo), self._retries, self._supported_errors,
                             self.on_read_only)


def redis_timing(config: WorkerConfig) -> CallTiming:
    """A command's worst case fits what the heartbeat leaves of the lease, like the SQS lease calls."""
    budget = lease_call_budget_seconds(config.visibility_timeout_seconds)
    return fit_timing(budget, limits.WORKER_REDIS_MAX_ATTEMPTS, redis_backoff, limits.WORKER_REDIS_MIN_TRY_SECONDS)


def connect(config: WorkerConfig) -> redis.Redis:
    """A client on a blocking pool of REDIS_POOL_SIZE connections (the plan's pool_size_per_task)."""
    timing = redis_timing(config)
    dropper = PoolDropper()
    retry = FailoverRetry(ExponentialBackoff(cap=limits.WORKER_REDIS_BACKOFF_CAP_SECONDS,
                                             base=limits.WORKER_REDIS_BACKOFF_BASE_SECONDS),
                          timing.attempts - 1, on_read_only=dropper)
    pool = redis.BlockingConnectionPool(
        host=config.redis_host, port=config.redis_port, password=config.redis_auth_token,
        connection_class=redis.SSLConnection if config.redis_tls else redis.Connection,
        max_connections=config.redis_pool_size, timeout=max(1.0, timing.worst_seconds),
        socket_timeout=timing.read_seconds, socket_connect_timeout=timing.connect_seconds,
        retry=retry, retry_on_error=list(RETRY_ON),
        decode_responses=True, health_check_interval=limits.WORKER_REDIS_HEALTH_CHECK_SECONDS,
    )
    dropper.pool = pool
    return redis.Redis(connection_pool=pool)


def endpoint_of(client: redis.Redis) -> str:
    kwargs = getattr(client.connection_pool, "connection_kwargs", {})
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
