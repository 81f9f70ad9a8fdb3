"""A Cloudflare Queues workload: shard queues, a dead-letter queue and a Worker consumer per shard.

Every number comes from the plan (capacity/plan.py, `_plan_cloudflare`); this module only
checks them against Cloudflare's limits and turns them into pulumi-cloudflare v6 resources.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from capacity import limits
from capacity.contract import Broker, Environment
from capacity.plan import WorkloadPlan
from capacity.routing import routing_rule as describe_routing

TYPE_TOKEN = "qcap:cloudflare:CloudflareQueue"
CONSUMER_TYPE_WORKER = "worker"


def shard_queue_name(workload: str, index: int) -> str:
    """The Cloudflare name of shard `index` of a workload (contract: `<plan.name>-<n>`)."""
    return f"{workload}-{index}"


def dlq_queue_name(workload: str) -> str:
    """The Cloudflare name of a workload's dead-letter queue (contract: `<plan.name>-dlq`)."""
    return f"{workload}-dlq"


def shard_routing_rule(workload: str, shards: int) -> str:
    """The rule producers follow to pick a shard, in words (also said for a single shard)."""
    names = [shard_queue_name(workload, i) for i in range(shards)]
    rule = describe_routing(workload, names, by_priority=False)
    if rule is None:
        return f"{workload}: one shard; every message goes to {names[0]} (fnv1a_32(partition key) mod 1 = 0)"
    return rule


def _check_range(field: str, value: int, low: int, high: int, source: str) -> None:
    if not low <= value <= high:
        raise ValueError(f"CloudflareQueueArgs.{field} is {value!r}; allowed: {low}-{high} ({source})")


@dataclass(frozen=True)
class CloudflareQueueArgs:
    """What one Cloudflare workload needs, taken from its WorkloadPlan and the stack's account."""

    name: str
    """The plan's workload name: queues are `<name>-<n>` and `<name>-dlq`."""
    account_id: str
    """Cloudflare account id (stack config `qcap:cloudflareAccountId`)."""
    script_name: str
    """The consumer Worker script bound to every shard."""
    shards: int
    batch_size: int
    max_wait_time_ms: int
    max_concurrency: int
    max_retries: int
    retry_delay_seconds: int
    retention_seconds: int
    """message_retention_period of every shard queue."""
    dlq_retention_seconds: int
    """message_retention_period of the dead-letter queue (longer: a dead letter keeps its enqueue time)."""
    protect: bool
    """Protect the queues from `pulumi destroy` (prod)."""

    def __post_init__(self) -> None:
        if not self.account_id:
            raise ValueError(
                "CloudflareQueueArgs.account_id is empty; set it with "
                "`pulumi config set qcap:cloudflareAccountId <account id>`"
            )
        if not self.script_name:
            raise ValueError(f"CloudflareQueueArgs.script_name is empty for {self.name!r}; set consumer.script_name")
        cf = "Cloudflare Queues limits"
        queues_left = limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT - 1
        _check_range("shards", self.shards, 1, queues_left, f"{cf}, one queue kept for the DLQ")
        _check_range("batch_size", self.batch_size, 1, limits.CLOUDFLARE_MAX_BATCH_SIZE, cf)
        _check_range("max_wait_time_ms", self.max_wait_time_ms, 0, limits.CLOUDFLARE_MAX_WAIT_TIME_MS, cf)
        _check_range("max_concurrency", self.max_concurrency, 1, limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY, cf)
        _check_range("max_retries", self.max_retries, 0, limits.CLOUDFLARE_MAX_RETRIES, cf)
        _check_range("retry_delay_seconds", self.retry_delay_seconds, 0,
                     limits.CLOUDFLARE_MAX_DELIVERY_DELAY_SECONDS, cf)
        for field in ("retention_seconds", "dlq_retention_seconds"):
            _check_range(field, getattr(self, field), limits.CLOUDFLARE_MIN_RETENTION_SECONDS,
                         limits.CLOUDFLARE_MAX_RETENTION_SECONDS, cf)

    @classmethod
    def from_plan(cls, plan: WorkloadPlan, account_id: str) -> CloudflareQueueArgs:
        """Args for a `broker: cloudflare` WorkloadPlan; a plan of another broker is an error."""
        if plan.broker != Broker.cloudflare:
            raise ValueError(
                f"workload {plan.name!r} has broker {str(plan.broker)!r}; CloudflareQueue needs broker cloudflare"
            )
        if plan.cloudflare is None or plan.script_name is None:
            missing = "script_name" if plan.cloudflare is not None else "Cloudflare settings"
            raise ValueError(f"workload {plan.name!r}: the plan has no {missing}; was it planned as cloudflare?")
        return cls(
            name=plan.name,
            account_id=account_id,
            script_name=plan.script_name,
            shards=plan.cloudflare.shards,
            batch_size=plan.cloudflare.batch_size,
            max_wait_time_ms=plan.cloudflare.max_wait_time_ms,
            max_concurrency=plan.cloudflare.max_concurrency,
            max_retries=plan.cloudflare.max_retries,
            retry_delay_seconds=plan.cloudflare.retry_delay_seconds,
            retention_seconds=plan.retention_seconds,
            dlq_retention_seconds=plan.dlq_retention_seconds,
            protect=plan.environment == Environment.prod,
        )


class CloudflareQueue(pulumi.ComponentResource):
    """`shards` queues `<name>-<n>`, a DLQ `<name>-dlq`, and one Worker consumer per shard."""

    queue_ids: list[pulumi.Output[str]]
    queue_names: list[str]
    dlq_id: pulumi.Output[str]
    dlq_name: str
    routing_rule: str

    def __init__(self, name: str, args: CloudflareQueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.queue_names = [shard_queue_name(args.name, i) for i in range(args.shards)]
        self.dlq_name = dlq_queue_name(args.name)
        self.routing_rule = shard_routing_rule(args.name, args.shards)

        dlq = self._create_queue(f"{name}-dlq", self.dlq_name, args.dlq_retention_seconds, args)
        shards = [
            self._create_queue(f"{name}-queue-{i}", queue_name, args.retention_seconds, args)
            for i, queue_name in enumerate(self.queue_names)
        ]
        for i, queue in enumerate(shards):
            self._create_consumer(f"{name}-consumer-{i}", queue, dlq, args)

        self.queue_ids = [q.id for q in shards]
        self.dlq_id = dlq.id
        self.register_outputs(
            {
                "queue_ids": self.queue_ids,
                "queue_names": self.queue_names,
                "dlq_id": self.dlq_id,
                "dlq_name": self.dlq_name,
                "routing_rule": self.routing_rule,
            }
        )

    def _create_queue(
        self, logical: str, queue_name: str, retention_seconds: int, args: CloudflareQueueArgs
    ) -> cloudflare.Queue:
        return cloudflare.Queue(
            logical,
            account_id=args.account_id,
            queue_name=queue_name,
            settings=cloudflare.QueueSettingsArgs(message_retention_period=retention_seconds),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _create_consumer(
        self, logical: str, queue: cloudflare.Queue, dlq: cloudflare.Queue, args: CloudflareQueueArgs
    ) -> cloudflare.QueueConsumer:
        return cloudflare.QueueConsumer(
            logical,
            account_id=args.account_id,
            # A v6 Queue's id is its queue_id (import form `<account_id>/<queue_id>`).
            queue_id=queue.id,
            type=CONSUMER_TYPE_WORKER,
            script_name=args.script_name,
            dead_letter_queue=self.dlq_name,
            settings=cloudflare.QueueConsumerSettingsArgs(
                batch_size=args.batch_size,
                max_wait_time_ms=args.max_wait_time_ms,
                max_concurrency=args.max_concurrency,
                max_retries=args.max_retries,
                retry_delay=args.retry_delay_seconds,
            ),
            # dead_letter_queue is a plain name, so nothing orders the DLQ first; Cloudflare
            # creates a missing DLQ by itself, which would then clash with ours.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[dlq]),
        )
