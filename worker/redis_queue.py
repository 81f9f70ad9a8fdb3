"""A Redis sorted-set queue with leases, retries and a dead-letter list (seed 001), and its worker.

Keys (one hash tag, so one cluster slot): `<prefix>:due` sorted set of item ids scored by
when they are due (unix seconds, the server's clock); `<prefix>:leases` sorted set of
claimed ids scored by when the lease ends; `<prefix>:items` hash id -> payload;
`<prefix>:attempts` hash id -> claims so far; `<prefix>:dead` list of JSON dead letters.

Every state change is one Lua script, so it is atomic: claim moves due items to leases and
counts the attempt; ack deletes; fail puts the item back due after a backoff, or, once the
attempts reach the retry budget (`MAX_RECEIVE_COUNT`), pushes it onto the dead list;
extend renews a lease (the heartbeat); release makes it due now and gives the attempt back;
reap returns expired leases (a crashed worker's items) to the queue. Times come from the
server's TIME, so worker clocks never disagree.

The connection pool (timeouts, retries, failover) is worker/redis_client.py; the metrics
(`qcap/Redis`), published from their own thread, are worker/metrics.py.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

import redis

from capacity import limits
from worker.calls import CallWatch, FaultLog
from worker.config import WorkerConfig
from worker.engine import Engine, Handler, Message
from worker.metrics import MetricsPublisher, PublishesMetrics, metric_data
from worker.processing_stats import ProcessingStats
from worker.protection import TaskProtection
from worker.redis_client import connect, endpoint_of

__all__ = ["MetricsPublisher", "QueueStats", "RedisBroker", "RedisQueue", "connect", "metric_data", "redis_worker"]

log = logging.getLogger("qcap.worker.redis")

REAP_BATCH = 100
DEAD_ERROR_CHARS = 500

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS: due, items; ARGV: delay seconds, then id, payload pairs
ENQUEUE = _NOW + """
local due = now + tonumber(ARGV[1])
local added = 0
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[1], due, ARGV[i])
    added = added + 1
  end
end
return added
"""

# KEYS: due, leases, items, attempts; ARGV: count, lease seconds
CLAIM = _NOW + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
  local attempts = redis.call('HINCRBY', KEYS[4], id, 1)
  local payload = redis.call('HGET', KEYS[3], id)
  if not payload then payload = '' end
  table.insert(out, id)
  table.insert(out, payload)
  table.insert(out, attempts)
end
return out
"""

# KEYS: due, leases, items, attempts; ARGV: ids. Deletes wherever the item is (a reaped item too).
ACK = """
local n = 0
for _, id in ipairs(ARGV) do
  local leased = redis.call('ZREM', KEYS[2], id)
  local due = redis.call('ZREM', KEYS[1], id)
  if leased + due > 0 then
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    n = n + 1
  end
end
return n
"""

# KEYS: due, leases, items, attempts, dead; ARGV: id, backoff seconds, max attempts, error
FAIL = _NOW + """
local id = ARGV[1]
if redis.call('ZREM', KEYS[2], id) == 0 then return -1 end
local attempts = tonumber(redis.call('HGET', KEYS[4], id) or '0')
if attempts >= tonumber(ARGV[3]) then
  local payload = redis.call('HGET', KEYS[3], id) or ''
  redis.call('LPUSH', KEYS[5], cjson.encode({id = id, payload = payload, attempts = attempts,
                                             error = ARGV[4], dead_at = now}))
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
return 1
"""

# KEYS: leases; ARGV: lease seconds, ids. Only items still leased are extended.
EXTEND = _NOW + """
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
return n
"""

# KEYS: due, leases, attempts; ARGV: ids. Due now; the claim does not count as an attempt.
RELEASE = _NOW + """
local n = 0
for _, id in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[2], id) == 1 then
    redis.call('ZADD', KEYS[1], now, id)
    redis.call('HINCRBY', KEYS[3], id, -1)
    n = n + 1
  end
end
return n
"""

# KEYS: due, leases, items, attempts, dead; ARGV: max attempts, batch. Expired leases come back.
REAP = _NOW + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local back, dead = 0, 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  local attempts = tonumber(redis.call('HGET', KEYS[4], id) or '0')
  if attempts >= tonumber(ARGV[1]) then
    local payload = redis.call('HGET', KEYS[3], id) or ''
    redis.call('LPUSH', KEYS[5], cjson.encode({id = id, payload = payload, attempts = attempts,
                                               error = 'lease expired', dead_at = now}))
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    dead = dead + 1
  else
    redis.call('ZADD', KEYS[1], now, id)
    back = back + 1
  end
end
return {back, dead}
"""

# KEYS: due, leases, dead. Depth (due + leased), oldest due age (ms), dead letters.
STATS = _NOW + """
local due = redis.call('ZCARD', KEYS[1])
local leased = redis.call('ZCARD', KEYS[2])
local dead = redis.call('LLEN', KEYS[3])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local age = 0
if first[2] and tonumber(first[2]) < now then age = now - tonumber(first[2]) end
return {due, leased, dead, math.floor(age * 1000)}
"""


@dataclass(frozen=True)
class QueueStats:
    due: int
    leased: int
    dead: int
    oldest_age_seconds: float

    @property
    def depth(self) -> int:
        """Items waiting plus items claimed and not yet acknowledged (visible + in flight)."""
        return self.due + self.leased


class RedisQueue:
    """The producer and consumer operations on one queue; safe to share between threads."""

    def __init__(self, client: redis.Redis, prefix: str, max_attempts: int):
        self.client = client
        self.prefix = prefix
        self.max_attempts = max_attempts
        self.due_key = f"{prefix}:due"
        self.leases_key = f"{prefix}:leases"
        self.items_key = f"{prefix}:items"
        self.attempts_key = f"{prefix}:attempts"
        self.dead_key = f"{prefix}:dead"
        self._enqueue = client.register_script(ENQUEUE)
        self._claim = client.register_script(CLAIM)
        self._ack = client.register_script(ACK)
        self._fail = client.register_script(FAIL)
        self._extend = client.register_script(EXTEND)
        self._release = client.register_script(RELEASE)
        self._reap = client.register_script(REAP)
        self._stats = client.register_script(STATS)

    @staticmethod
    def from_config(config: WorkerConfig, client: redis.Redis | None = None) -> RedisQueue:
        return RedisQueue(client or connect(config), config.queue_key, config.max_receive_count)

    # --- producer --------------------------------------------------------------------

    def enqueue(self, payload: str, item_id: str | None = None, delay_seconds: float = 0.0) -> str:
        item_id = item_id or uuid.uuid4().hex
        self.enqueue_many([(item_id, payload)], delay_seconds)
        return item_id

    def enqueue_many(self, items: Iterable[tuple[str, str]], delay_seconds: float = 0.0,
                     chunk: int = 500) -> int:
        """Add (id, payload) pairs, due after `delay_seconds`; an id already queued is kept once."""
        added = 0
        batch: list[str] = []
        for item_id, payload in items:
            batch += [item_id, payload]
            if len(batch) >= 2 * chunk:
                added += int(self._enqueue(keys=[self.due_key, self.items_key], args=[delay_seconds, *batch]))
                batch = []
        if batch:
            added += int(self._enqueue(keys=[self.due_key, self.items_key], args=[delay_seconds, *batch]))
        return added

    # --- consumer --------------------------------------------------------------------

    def _keys4(self) -> list[str]:
        return [self.due_key, self.leases_key, self.items_key, self.attempts_key]

    def claim(self, count: int, lease_seconds: float) -> list[tuple[str, str, int]]:
        """Up to `count` due items as (id, payload, attempts), leased for `lease_seconds`."""
        flat = self._claim(keys=self._keys4(), args=[count, lease_seconds])
        return [(flat[i], flat[i + 1], int(flat[i + 2])) for i in range(0, len(flat), 3)]

    def ack(self, ids: list[str]) -> int:
        return int(self._ack(keys=self._keys4(), args=ids)) if ids else 0

    def fail(self, item_id: str, backoff_seconds: float, error: str = "") -> str:
        """`retried`, `dead_lettered`, or `lost` (the lease had already expired and been reaped)."""
        code = int(self._fail(keys=[*self._keys4(), self.dead_key],
                              args=[item_id, backoff_seconds, self.max_attempts, error[:DEAD_ERROR_CHARS]]))
        return {1: "retried", 0: "dead_lettered"}.get(code, "lost")

    def extend(self, ids: list[str], lease_seconds: float) -> int:
        return int(self._extend(keys=[self.leases_key], args=[lease_seconds, *ids])) if ids else 0

    def release(self, ids: list[str]) -> int:
        if not ids:
            return 0
        return int(self._release(keys=[self.due_key, self.leases_key, self.attempts_key], args=ids))

    def reap(self) -> tuple[int, int]:
        """Expired leases back to the queue (or to the dead list when out of attempts): (back, dead)."""
        back, dead = self._reap(keys=[*self._keys4(), self.dead_key], args=[self.max_attempts, REAP_BATCH])
        return int(back), int(dead)

    def stats(self) -> QueueStats:
        due, leased, dead, age_ms = self._stats(keys=[self.due_key, self.leases_key, self.dead_key])
        return QueueStats(int(due), int(leased), int(dead), int(age_ms) / 1000)

    def dead_letters(self, count: int = 100) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.client.lrange(self.dead_key, 0, count - 1)]


# --- the worker ----------------------------------------------------------------------


class RedisBroker(PublishesMetrics):
    """The engine's view of a RedisQueue: claim, ack in batches, fail with backoff, reap, publish."""

    name = "redis"

    def __init__(self, queue: RedisQueue, config: WorkerConfig, metrics: MetricsPublisher | None = None):
        self.queue = queue
        self.config = config
        self.metrics = metrics
        self.idle_sleep_seconds = limits.WORKER_REDIS_EMPTY_POLL_SECONDS
        self.endpoint = endpoint_of(queue.client)

    def probe(self) -> None:
        self.queue.client.ping()

    def fetch(self, count: int, wait_seconds: int) -> list[tuple[Message, Any]]:
        claimed = self.queue.claim(count, self.config.visibility_timeout_seconds)
        if not claimed:
            time.sleep(self.idle_sleep_seconds)
        return [(Message(id=i, body=payload, receive_count=attempts), i) for i, payload, attempts in claimed]

    def complete(self, tokens: list[Any]) -> None:
        """Ack; an item already gone (reaped and acknowledged by another worker) is simply not counted."""
        self.queue.ack(list(tokens))

    def fail(self, message: Message, token: Any, error: BaseException) -> str:
        outcome = self.queue.fail(token, self.config.backoff_seconds(message.receive_count), repr(error))
        return "dead_lettered" if outcome == "dead_lettered" else "retried"

    def release(self, tokens: list[Any]) -> None:
        self.queue.release(list(tokens))

    def extend(self, tokens: list[Any]) -> None:
        self.queue.extend(list(tokens), self.config.visibility_timeout_seconds)

    def housekeep(self) -> None:
        """Reap expired leases; queue the metrics when a period has passed (sent on their own thread)."""
        back, dead = self.queue.reap()
        if back or dead:
            log.warning(json.dumps({"event": "reaped", "returned": back, "dead_lettered": dead}))
        if self.metrics is not None:
            self.metrics.maybe_publish()


def redis_worker(handler: Handler, config: WorkerConfig, client: redis.Redis | None = None,
                 cloudwatch: Any | None = None, protection: TaskProtection | None = None) -> Engine:
    """A ready-to-run Redis worker: `redis_worker(handle, WorkerConfig.from_env()).run()`."""
    from worker.aws import cloudwatch_client

    queue = RedisQueue.from_config(config, client)
    watch = CallWatch(FaultLog())
    stats = ProcessingStats()
    metrics = None
    if config.publish_metrics:
        metrics = MetricsPublisher(queue, cloudwatch or cloudwatch_client(config), config, watch, processing=stats)
    protection = protection or TaskProtection(config.ecs_agent_uri, config.protection_idle_seconds,
                                              faults=watch.faults)
    return Engine(RedisBroker(queue, config, metrics), handler, config, protection, receivers=1, watch=watch,
                  stats=stats)
