"""Cloudflare Queues: where shards, batch size, wait, consumer concurrency and the binding stage are decided.

`plan_cloudflare` runs named steps: rates, the batch size, shards, consumer concurrency, the
batch wait, the stage that binds (queue ingest, consumers, the sink), retries, drain and
retention, and the cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from capacity import limits
from capacity.plan.costs import cloudflare_monthly_cost
from capacity.plan.derivation import Derivation
from capacity.plan.drain import drain_field, plan_drain
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Lane, Rates, rate_fields, rates_of
from capacity.plan.models import AlarmPlan, CloudflarePlan, Derived
from capacity.plan.overrides import judge_cloudflare
from capacity.plan.retention import plan_dlq_retention, plan_retention
from capacity.profile import Profile, Workload


@dataclass(frozen=True)
class _Stage:
    """One stage a message passes: its load at the peak (1.0 = full) and its ceiling in msg/s."""

    name: str
    load: float
    ceiling_per_second: float
    fix: str
    patch: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Shards:
    """The shard count and the shards each limit alone would need."""

    shards: int
    for_consumers: int


def plan_cloudflare(profile: Profile, workload: Workload, lane: Lane, record: Derivation) -> Derived:
    consumer = workload.consumer
    rates = rates_of(workload, lane, record)
    age = lane.max_age_seconds
    batch_size = plan_batch_size(record, workload)
    per_invocation = batch_size / consumer.processing_seconds
    record.reasons["per_task_messages_per_second"] = (
        f"{num(per_invocation)} = batch_size {batch_size} / batch time {num(consumer.processing_seconds)} s: "
        "one consumer invocation's rate"
    )
    record.reasons["receive_overhead_seconds"] = "0: Cloudflare pushes batches to the consumer, nothing polls"
    shards = plan_shards(record, rates, batch_size, consumer.processing_seconds)
    concurrency = plan_concurrency(record, rates, shards, batch_size, consumer.processing_seconds)
    judge_cloudflare(record, workload, rates.peak, shards.shards, concurrency, batch_size)
    wait = plan_max_wait(record, rates, age, shards.shards, batch_size, consumer.p99_seconds)
    request_rate = binding_stage(record, workload, lane, rates, shards.shards, batch_size)
    max_retries, retry_delay = plan_retries(record, workload)

    delivered = shards.shards * concurrency * batch_size / consumer.processing_seconds
    sink = workload.sink
    if sink is not None and sink.requests_per_second is not None and request_rate:
        delivered = min(delivered, rates.peak * sink.requests_per_second / request_rate)
    drain = plan_drain(record, rates, delivered, f"{num(round(delivered, 1))} delivered", num(round(rates.average, 2)))
    backlog_bytes = rates.backlog * workload.traffic.message_bytes / shards.shards
    if backlog_bytes > limits.CLOUDFLARE_MAX_BACKLOG_BYTES:
        record.error("Cloudflare backlog (25 GB per queue)", f"{num(round(backlog_bytes))} bytes per shard",
                     "use more shards")
    retention = plan_retention(record, rates, 0 if math.isinf(drain) else drain, age,
                               limits.MAX_SOURCE_RETENTION_SECONDS)
    dlq_retention = plan_dlq_retention(record, retention)
    record.reasons["max_capacity"] = (
        f"{shards.shards * concurrency} = {shards.shards} shards x {concurrency} concurrent consumers"
    )
    record.reasons["min_capacity"] = "0: Cloudflare starts consumers only when messages wait"
    record.reasons["visibility_timeout_seconds"] = "not applicable: Cloudflare retries a batch whose invocation fails"
    record.reasons["max_receive_count"] = f"{workload.retries.max_receives} deliveries = max_retries + 1"
    record.reasons["alarm_dlq_messages"] = (
        "1: any message in the dead-letter queue needs a person (Cloudflare publishes no CloudWatch metrics, so no "
        "alarm is built)"
    )
    cost = cloudflare_monthly_cost(record, workload, rates)
    return Derived(
        **rate_fields(rates, per_invocation),
        receive_overhead_seconds=0.0,
        min_capacity=0,
        max_capacity=shards.shards * concurrency,
        visibility_timeout_seconds=None,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=workload.retries.max_receives,
        drain_seconds=drain_field(drain),
        sink_requests_per_second=round(request_rate, 3) if request_rate is not None else None,
        monthly_cost_usd=cost,
        alarms=AlarmPlan(age_seconds=None, dlq_messages=1, saturation_messages=None, max_tasks=None,
                         stalled_minutes=None),
        cloudflare=CloudflarePlan(
            shards=shards.shards,
            batch_size=batch_size,
            max_wait_time_ms=wait,
            max_concurrency=concurrency,
            max_retries=max_retries,
            retry_delay_seconds=retry_delay,
        ),
    )


def plan_batch_size(record: Derivation, workload: Workload) -> int:
    """As large as Cloudflare, the profile and the sink's request size allow: fewer sink requests."""
    consumer, sink = workload.consumer, workload.sink
    size = min(limits.CLOUDFLARE_MAX_BATCH_SIZE, consumer.receive_batch)
    size_why = f"min(Cloudflare's {limits.CLOUDFLARE_MAX_BATCH_SIZE}, consumer.receive_batch {consumer.receive_batch})"
    if sink is not None and sink.max_request_bytes is not None:
        fit = max(1, sink.max_request_bytes // workload.traffic.message_bytes)
        if fit < size:
            size = fit
            size_why += (f", {sink.name}'s {num(sink.max_request_bytes)}-byte request / "
                         f"{num(workload.traffic.message_bytes)} B = {fit}")
    return record.set("batch_size", size, f"{size} = {size_why}: larger batches mean fewer sink requests")


def plan_shards(record: Derivation, rates: Rates, batch_size: int, batch_seconds: float) -> Shards:
    """Enough queues for the peak's ingest and for their consumers, each at the planned utilization."""
    util = limits.CLOUDFLARE_SHARD_UTILIZATION
    ingest_cap = limits.CLOUDFLARE_MAX_MESSAGES_PER_SECOND_PER_QUEUE
    for_ingest = max(1, math.ceil(rates.peak / (ingest_cap * util)))
    consumer_cap = limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY * batch_size / batch_seconds
    for_consumers = max(1, math.ceil(rates.peak / (consumer_cap * util)))
    if for_consumers > for_ingest:
        value, why = for_consumers, (
            f"{for_consumers} = ceil(peak {num(rates.peak)} / ({limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY} consumers x "
            f"{batch_size} per batch / {num(batch_seconds)} s x {util})): one queue's consumers cannot keep up"
        )
    else:
        value, why = for_ingest, f"{for_ingest} = ceil(peak {num(rates.peak)} / ({num(ingest_cap)} msg/s per queue x {util}))"
    shards = record.set("shards", value, why)
    if shards > limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT - 1:
        record.error("Cloudflare queues per account",
                     f"{shards} shards plus a DLQ exceed {limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT}")
    return Shards(shards, for_consumers)


def plan_concurrency(record: Derivation, rates: Rates, shards: Shards, batch_size: int, batch_seconds: float) -> int:
    """Concurrent consumers per shard for the peak at the planned utilization, within Cloudflare's 250."""
    util = limits.CLOUDFLARE_SHARD_UTILIZATION
    per_shard = rates.peak / shards.shards
    value = max(1, math.ceil(per_shard * batch_seconds / (batch_size * util)))
    concurrency = record.set(
        "max_concurrency",
        value,
        f"{value} = ceil(peak per shard {num(round(per_shard, 2))} x batch time {num(batch_seconds)} s / "
        f"({batch_size} per batch x {util})), at most {limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY}",
    )
    if concurrency > limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY:
        record.error(
            "Cloudflare consumer concurrency (250)",
            f"each shard needs {concurrency} concurrent consumers, over Cloudflare's "
            f"{limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY}",
            f"use at least {shards.for_consumers} shards (overrides.shards) or make a batch faster",
            {"overrides.shards": shards.for_consumers} if record.overridden("shards") else None,
        )
    return concurrency


def plan_max_wait(record: Derivation, rates: Rates, age: float, shards: int, batch_size: int,
                  batch_p99_seconds: float) -> int:
    """How long a batch may wait to fill: within Cloudflare's maximum and the objective less a p99 batch."""
    budget_ms = (age - batch_p99_seconds) * 1000
    fill_ms = batch_size / (rates.average / shards) * 1000 if rates.average > 0 else math.inf
    fill_ms = math.inf if math.isinf(fill_ms) else math.ceil(round(fill_ms, 6))
    value = int(max(0, min(limits.CLOUDFLARE_MAX_WAIT_TIME_MS, budget_ms, fill_ms)))
    wait = record.set(
        "max_wait_time_ms",
        value,
        f"{num(value)} ms = min(Cloudflare's {num(limits.CLOUDFLARE_MAX_WAIT_TIME_MS)} ms, objective "
        f"{num(age)} s - p99 batch time {num(batch_p99_seconds)} s, time to fill a batch of {batch_size} at the average "
        f"{num(round(rates.average / shards, 2))} msg/s per shard)",
    )
    if budget_ms <= 0:
        record.error(
            "age objective",
            f"a batch takes {num(batch_p99_seconds)} s at p99, as long as the {duration(age)} objective",
            "make batches faster (a smaller consumer.receive_batch) or relax objective.max_age_seconds",
        )
    elif wait / 1000 + batch_p99_seconds > age:
        record.error("age objective",
                     f"max wait {num(wait)} ms + p99 batch {num(batch_p99_seconds)} s exceed the {num(age)} s objective",
                     f"set overrides.max_wait_time_ms to at most {int(budget_ms)}",
                     {"overrides.max_wait_time_ms": int(budget_ms)})
    return wait


def binding_stage(record: Derivation, workload: Workload, lane: Lane, rates: Rates, shards: int,
                  batch_size: int) -> float | None:
    """Each stage's load at the peak and its ceiling; the lowest ceiling the shard count cannot lift binds.

    Returns the sink's request rate at the peak (None without a sink).
    """
    batch_seconds = workload.consumer.processing_seconds
    sink = workload.sink
    per_shard = rates.peak / shards
    ingest_cap = limits.CLOUDFLARE_MAX_MESSAGES_PER_SECOND_PER_QUEUE
    consumer_cap = limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY * batch_size / batch_seconds
    most_queues = limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT - 1
    stages: list[_Stage] = [
        _Stage(f"Cloudflare queue ingest ({num(ingest_cap)} msg/s per queue)", per_shard / ingest_cap,
               ingest_cap * most_queues, f"use more shards (at least {math.ceil(rates.peak / ingest_cap)})"),
        _Stage(f"Cloudflare consumer concurrency ({limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY} per queue)",
               per_shard * batch_seconds / batch_size / limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY,
               consumer_cap * most_queues, "use more shards or make a batch faster"),
    ]
    request_rate = None
    if sink is not None:
        requests_per_batch = math.ceil(batch_size / sink.messages_per_request)
        request_rate = rates.peak / batch_size * requests_per_batch
        record.reasons["sink_requests_per_second"] = (
            f"{num(round(request_rate, 2))} = peak {num(rates.peak)} / batch {batch_size} x {requests_per_batch} "
            f"request(s) per batch"
        )
        if sink.requests_per_second is not None:
            quota = lane.budgets.requests.apply(sink.requests_per_second)
            fix, patch = _sink_rate_fix(workload, batch_size, requests_per_batch, quota, request_rate,
                                        lane.budgets.requests.describe(sink.requests_per_second, " req/s"))
            stages.append(_Stage(f"sink request rate ({sink.name} {num(sink.requests_per_second)} req/s)",
                                 request_rate / quota, quota * batch_size / requests_per_batch, fix, patch))
        if sink.bytes_per_second is not None:
            most = lane.budgets.bandwidth.apply(sink.bytes_per_second) / workload.traffic.message_bytes
            stages.append(_Stage(f"sink bandwidth ({sink.name} {num(sink.bytes_per_second)} B/s)", rates.peak / most,
                                 most, "trim or compress messages, or split the traffic across sink targets"))
    binding = min(stages, key=lambda s: s.ceiling_per_second)
    record.binding = binding.name
    record.reasons["binding_limit"] = (
        f"{binding.name}: ceiling {num(round(binding.ceiling_per_second))} msg/s, "
        f"{num(round(binding.load * 100, 1))}% used at the {num(rates.peak)} msg/s peak"
        + ("; queues and consumers grow with shards" if not binding.name.startswith("Cloudflare") else "")
        + ". Load at the peak: "
        + ", ".join(f"{s.name.split(' (')[0]} {num(round(s.load * 100, 1))}%" for s in stages)
    )
    _judge_stages(record, stages, rates.peak)
    return request_rate


def _judge_stages(record: Derivation, stages: list[_Stage], peak: float) -> None:
    """An error for a stage over its ceiling at the peak; a warning for a sink stage without burst headroom."""
    for stage in stages:
        if stage.load > 1:
            who = "the queue" if stage.name.startswith("Cloudflare") else "the sink, not the queue,"
            record.error(
                stage.name,
                f"at the {num(peak)} msg/s peak {stage.name} runs at {num(round(stage.load * 100, 1))}%: {who} is "
                f"the limit (it takes {num(round(min(stage.ceiling_per_second, peak / stage.load)))} msg/s, short by "
                f"{num(round(peak * (1 - 1 / stage.load), 1))} msg/s)",
                stage.fix,
                stage.patch,
            )
        elif stage.load > limits.CLOUDFLARE_SHARD_UTILIZATION and not stage.name.startswith("Cloudflare"):
            record.warn(stage.name,
                        f"{stage.name} runs at {num(round(stage.load * 100, 1))}% at the peak, no headroom for a burst",
                        stage.fix, stage.patch)


def plan_retries(record: Derivation, workload: Workload) -> tuple[int, int]:
    """max_retries from the retry budget (the first delivery is not a retry) and the delay between tries."""
    value = max(0, workload.retries.max_receives - 1)
    max_retries = record.set(
        "max_retries",
        value,
        f"{value} = retries.max_receives {workload.retries.max_receives} - 1 (the first delivery is not a retry)",
    )
    if max_retries > limits.CLOUDFLARE_MAX_RETRIES:
        record.error("Cloudflare retries (100)",
                     f"max_retries {max_retries} is over Cloudflare's {limits.CLOUDFLARE_MAX_RETRIES}",
                     "lower retries.max_receives to 101 or less",
                     {"retries.max_receives": limits.CLOUDFLARE_MAX_RETRIES + 1})
    retry_delay = record.set(
        "retry_delay_seconds",
        limits.CLOUDFLARE_RETRY_DELAY_SECONDS,
        f"{limits.CLOUDFLARE_RETRY_DELAY_SECONDS} s: room for a sink answering 429 with Retry-After to recover",
    )
    return max_retries, retry_delay


def _sink_rate_fix(
    w: Workload, batch_size: int, requests_per_batch: int, quota: float, request_rate: float, quota_text: str
) -> tuple[str, list[dict[str, Any]] | None]:
    """What lifts the sink's request ceiling: the setting that binds (the consumer's batch or the
    messages packed per sink request), by how much, or else more sink targets or a higher quota."""
    sink = w.sink
    assert sink is not None
    c = w.consumer
    util = limits.CLOUDFLARE_SHARD_UTILIZATION
    peak = request_rate * batch_size / requests_per_batch
    per_request = batch_size / requests_per_batch
    feasible_at = math.ceil(peak / quota)          # messages per request at 100% of the quota
    headroom_at = math.ceil(peak / (quota * util))  # ... at 80%
    fit = sink.max_request_bytes // w.traffic.message_bytes if sink.max_request_bytes else None
    largest = min(limits.CLOUDFLARE_MAX_BATCH_SIZE, fit or limits.CLOUDFLARE_MAX_BATCH_SIZE)
    bound_by = []
    if sink.messages_per_request < batch_size:
        bound_by.append(f"sink.messages_per_request {sink.messages_per_request}")
    if batch_size < largest and batch_size == c.receive_batch:
        bound_by.append(f"consumer.receive_batch {c.receive_batch}")
    head = (f"{sink.name} takes {quota_text} x {num(round(per_request, 2))} messages per request = "
            f"{num(round(quota * per_request, 1))} msg/s")
    if feasible_at <= largest and bound_by:
        wanted = headroom_at if headroom_at <= largest else feasible_at
        patch: dict[str, Any] = {}
        batch = batch_size
        if c.receive_batch < wanted:
            patch["consumer.receive_batch"] = batch = wanted
        if sink.messages_per_request < wanted:
            # A batch goes out in ceil(batch / per request) requests: pack so that each carries >= wanted.
            patch["sink.messages_per_request"] = math.ceil(batch / (batch // wanted))
        names = " and ".join(f"{path} to {value}" for path, value in patch.items())
        wanted = min(batch, patch.get("sink.messages_per_request", sink.messages_per_request))
        return (f"{head}, bound by {' and '.join(bound_by)}: raise {names} (from {feasible_at} it is feasible; at "
                f"{wanted} the sink runs at {num(round(peak / (quota * wanted) * 100, 1))}% at the peak)", [patch])
    targets = math.ceil(request_rate / (quota * util))
    raise_to = math.ceil(request_rate / util)
    why = (f"a request holds at most {largest} messages here (Cloudflare's batch of {limits.CLOUDFLARE_MAX_BATCH_SIZE}"
           + (f", {sink.name}'s {num(sink.max_request_bytes)}-byte request" if fit is not None else "") + ")")
    tinybird = " (for Tinybird, one data source per group of shards)" if "tinybird" in sink.name.lower() else ""
    return (f"{head}; {why}, so more shards do not help: split the traffic across {targets} sink targets{tinybird} "
            f"or raise {sink.name}'s quota to {num(raise_to)} req/s (sink.requests_per_second), so it runs at "
            f"{int(util * 100)}% at the peak", None)
