"""The planner: derive every provisioned number from a profile, each with its reason.

`plan(profile)` never raises for a profile that validated: a plan that cannot meet its
objective is a result (`feasible: false`) naming the binding limit, the shortfall and the
fix. DESIGN.md, "The capacity model", is the specification; the README says it in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from capacity import limits
from capacity.pricing import task_usd_per_hour
from capacity.profile import Broker, Cache, ConsumerMode, Profile, Workload
from capacity.routing import routing_rule

Severity = Literal["error", "warning"]


class Finding(BaseModel):
    """Something the plan cannot do (error) or does with less margin than it should (warning)."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    limit: str
    message: str
    fix: str | None = None


class WorkloadPlan(BaseModel):
    """Every derived number for one queue (a workload, or one partition or priority level of it)."""

    model_config = ConfigDict(frozen=True)

    name: str
    group: str
    lane: str | None
    broker: str
    mode: str
    environment: str
    feasible: bool
    binding_limit: str
    shortfall: str | None
    fix: str | None
    arrival_average_per_second: float
    arrival_peak_per_second: float
    arrival_trough_per_second: float
    per_task_messages_per_second: float
    max_age_seconds: float
    processing_seconds: float
    processing_p99_seconds: float
    message_bytes: int
    backlog_messages: int
    min_capacity: int
    max_capacity: int
    target_backlog_per_task: float | None
    scale_out_cooldown_seconds: int | None
    scale_in_cooldown_seconds: int | None
    concurrency_per_task: int
    receive_batch: int
    receive_wait_seconds: int
    task_cpu: int
    task_memory_mib: int
    architecture: str
    image: str | None
    script_name: str | None
    stop_timeout_seconds: int | None
    visibility_timeout_seconds: int | None
    retention_seconds: int
    dlq_retention_seconds: int
    max_receive_count: int
    max_message_bytes: int
    fifo_high_throughput: bool
    drain_seconds: float | None
    alarm_age_seconds: int | None
    alarm_dlq_messages: int
    alarm_saturation_messages: int | None
    alarm_max_tasks: int | None
    alarm_stalled_minutes: int | None
    shards: int | None
    batch_size: int | None
    max_wait_time_ms: int | None
    max_concurrency: int | None
    max_retries: int | None
    retry_delay_seconds: int | None
    sink_requests_per_second: float | None
    cache_node_type: str | None
    cache_nodes: int | None
    cache_memory_bytes: int | None
    cache_connections: int | None
    cache_connections_budget: int | None
    alarm_cache_connections: int | None
    cache_pool_size_per_task: int | None
    cache_producer_connections: int | None
    sink_name: str | None
    sink_max_connections: int | None
    sink_connections_per_slot: float | None
    batch_limit: int | None
    run_seconds: float | None
    interval_seconds: int | None
    current_tasks: int | None
    current_drain_seconds: float | None
    monthly_cost_usd: float
    reasons: dict[str, str]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")


class Plan(BaseModel):
    """The plan of a whole stack: one WorkloadPlan per queue, plus how producers route."""

    model_config = ConfigDict(frozen=True)

    environment: str
    alert_emails: tuple[str, ...]
    workloads: tuple[WorkloadPlan, ...]
    routing: dict[str, str]

    @property
    def feasible(self) -> bool:
        return all(w.feasible for w in self.workloads)

    @property
    def monthly_cost_usd(self) -> float:
        return round(sum(w.monthly_cost_usd for w in self.workloads), 2)

    def workload(self, name: str) -> WorkloadPlan:
        for w in self.workloads:
            if w.name == name:
                return w
        raise KeyError(f"no workload {name!r} in this plan; have: {', '.join(w.name for w in self.workloads)}")

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "feasible": self.feasible,
            "monthly_cost_usd": self.monthly_cost_usd,
            "alert_emails": list(self.alert_emails),
            "routing": self.routing,
            "workloads": [w.model_dump(mode="json") for w in self.workloads],
        }


# --- number formatting for reasons ----------------------------------------------------


def num(x: float | int | None) -> str:
    """A number as a reader would write it: 6.94, 2,800,000, 0.5."""
    if x is None:
        return "n/a"
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def duration(seconds: float | None) -> str:
    """Seconds as the largest sensible unit: 45 s, 12.5 min, 3.2 h, 12.68 days."""
    if seconds is None or math.isinf(seconds):
        return "never"
    if seconds < 120:
        return f"{num(round(seconds, 1))} s"
    if seconds < 2 * limits.SECONDS_PER_HOUR:
        return f"{num(round(seconds / 60, 1))} min"
    if seconds < 2 * limits.SECONDS_PER_DAY:
        return f"{num(round(seconds / limits.SECONDS_PER_HOUR, 2))} h"
    return f"{num(round(seconds / limits.SECONDS_PER_DAY, 2))} days"


# --- the derivation record ------------------------------------------------------------


@dataclass
class _Derivation:
    """Values derived so far with their reasons; applies a workload's overrides as it goes."""

    overrides: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    binding: str = ""

    def set(self, name: str, value: Any, reason: str) -> Any:
        if name in self.overrides:
            chosen = self.overrides[name]
            self.values[name] = chosen
            self.reasons[name] = f"{num(chosen)} set in overrides (the planner would choose {num(value)}: {reason})"
            return chosen
        self.values[name] = value
        self.reasons[name] = reason
        return value

    def overridden(self, name: str) -> bool:
        return name in self.overrides

    def error(self, limit: str, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding(severity="error", limit=limit, message=message, fix=fix))

    def warn(self, limit: str, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding(severity="warning", limit=limit, message=message, fix=fix))


@dataclass(frozen=True)
class _Lane:
    """One queue's share of a workload: the whole of it, a partition, or a priority level."""

    name: str
    lane: str | None
    share: float
    max_age_seconds: float


def _lanes(w: Workload) -> list[_Lane]:
    if w.priorities:
        return [_Lane(f"{w.name}-{p.name}", p.name, p.share, p.max_age_seconds) for p in w.priorities]
    if w.partitions > 1:
        share = 1 / w.partitions
        return [_Lane(f"{w.name}-{i}", str(i), share, w.objective.max_age_seconds) for i in range(w.partitions)]
    return [_Lane(w.name, None, 1.0, w.objective.max_age_seconds)]


def plan(profile: Profile) -> Plan:
    """Derive the plan of every workload in a profile."""
    plans: list[WorkloadPlan] = []
    routing: dict[str, str] = {}
    for w in profile.workloads:
        lanes = _lanes(w)
        plans.extend(_plan_lane(profile, w, lane) for lane in lanes)
        rule = routing_rule(w.name, [lane.name for lane in lanes], by_priority=bool(w.priorities))
        if rule:
            routing[w.name] = rule
    for p in plans:
        if p.broker == Broker.cloudflare.value and p.shards and p.shards > 1:
            routing[p.name] = routing_rule(p.name, [f"{p.name}-{i}" for i in range(p.shards)], by_priority=False)
    return Plan(
        environment=profile.environment.value,
        alert_emails=tuple(profile.alerts.emails),
        workloads=tuple(plans),
        routing=routing,
    )


# --- shared pieces --------------------------------------------------------------------


@dataclass(frozen=True)
class _Rates:
    average: float
    peak: float
    trough: float
    backlog: int
    drain_seconds_allowed: float


def _rates(w: Workload, lane: _Lane, d: _Derivation) -> _Rates:
    t = w.traffic
    average = t.messages_per_day / limits.SECONDS_PER_DAY * lane.share
    if t.peak_messages_per_second is not None:
        peak = t.peak_messages_per_second * lane.share
        peak_reason = f"peak_messages_per_second {num(t.peak_messages_per_second)}"
    else:
        peak = average * t.peak_to_average
        peak_reason = f"average {num(average)} x peak_to_average {num(t.peak_to_average)}"
    share = "" if lane.share == 1 else f" x share {num(round(lane.share, 4))}"
    trough = average * t.trough_to_average
    backlog = round(t.backlog_messages * lane.share)
    d.reasons["arrival_average_per_second"] = (
        f"{num(average)} = messages_per_day {num(t.messages_per_day)} / 86,400{share}"
    )
    d.reasons["arrival_peak_per_second"] = f"{num(peak)} = {peak_reason}{share if t.peak_messages_per_second else ''}"
    d.reasons["arrival_trough_per_second"] = f"{num(trough)} = average x trough_to_average {num(t.trough_to_average)}"
    allowed = w.objective.drain_backlog_within_hours * limits.SECONDS_PER_HOUR
    return _Rates(average, peak, trough, backlog, allowed)


def _rate_fields(rates: _Rates, per_task_per_second: float) -> dict[str, Any]:
    """The traffic a lane plans for, as plan fields."""
    return dict(
        arrival_average_per_second=rates.average,
        arrival_peak_per_second=rates.peak,
        arrival_trough_per_second=rates.trough,
        per_task_messages_per_second=per_task_per_second,
        backlog_messages=rates.backlog,
    )


def _retention(d: _Derivation, rates: _Rates, drain_seconds: float, age_seconds: float, maximum: int) -> int:
    """Retention that covers the longest wait (drain plus the age objective) with margin."""
    wait = drain_seconds + age_seconds
    wanted = max(limits.MIN_PLANNED_RETENTION_SECONDS, math.ceil(wait * limits.RETENTION_MARGIN / 3600) * 3600)
    if wait > maximum:
        d.error(
            "retention (data loss)",
            f"the longest wait ({duration(drain_seconds)} to drain plus the {duration(age_seconds)} objective) "
            f"is longer than the {duration(maximum)} a message can be kept: the oldest messages expire unprocessed",
            "add consumers (raise the caps that bind) so the backlog drains sooner, or shed the backlog deliberately",
        )
    retention = min(wanted, maximum)
    chosen = d.set("retention_seconds", retention, _retention_reason(rates, retention, wanted, maximum, drain_seconds, age_seconds))
    if wanted > maximum and wait <= maximum:
        d.warn(
            "retention margin",
            f"retention {duration(maximum)} leaves less than the {limits.RETENTION_MARGIN}x margin over the "
            f"{duration(wait)} longest wait",
            "drain the backlog faster (more tasks) to get the margin back",
        )
    if d.overridden("retention_seconds") and chosen < wait:
        d.error(
            "retention (data loss)",
            f"retention_seconds {num(chosen)} ({duration(chosen)}) is shorter than the longest wait, "
            f"{duration(wait)}: messages expire before they are processed",
            f"set retention_seconds to at least {num(math.ceil(wait))}",
        )
    return chosen


def _retention_reason(
    rates: _Rates, retention: int, wanted: int, maximum: int, drain_seconds: float, age_seconds: float
) -> str:
    if rates.backlog:
        why = (
            f"{duration(retention)}: covers the longest wait, {duration(drain_seconds)} to drain the backlog "
            f"plus the {duration(age_seconds)} objective, x {limits.RETENTION_MARGIN} margin"
        )
    else:
        why = f"{duration(retention)}: no backlog; the longest wait is the {duration(age_seconds)} objective"
    why += f"; at least {duration(limits.MIN_PLANNED_RETENTION_SECONDS)} so a long outage loses nothing"
    if wanted > maximum:
        why += f"; capped at {duration(maximum)}, one day under the dead-letter queue's 14 days"
    return why


def _dlq_retention(d: _Derivation, retention: int) -> int:
    value = d.set(
        "dlq_retention_seconds",
        limits.DLQ_RETENTION_SECONDS,
        f"{duration(limits.DLQ_RETENTION_SECONDS)}, the most the queue keeps: a dead-lettered message keeps its "
        f"original enqueue time, so the DLQ must outlive the source's {duration(retention)}",
    )
    if value <= retention:
        d.error(
            "dead-letter retention",
            f"dlq_retention_seconds {num(value)} is not longer than retention_seconds {num(retention)}: "
            "messages that fail late expire in the DLQ before anyone sees them",
            f"set dlq_retention_seconds above {num(retention)} (at most {num(limits.SQS_MAX_RETENTION_SECONDS)})",
        )
    return value


def _max_receive_count(d: _Derivation, w: Workload, environment: str) -> int:
    value = d.set(
        "max_receive_count",
        w.retries.max_receives,
        f"{w.retries.max_receives} = retries.max_receives: deliveries before a message moves to the DLQ",
    )
    if value == 1 and environment == "prod":
        d.warn(
            "retry budget",
            "max_receive_count 1 in prod: a single transient failure sends a message to the DLQ",
            "allow at least 3 deliveries (retries.max_receives: 3)",
        )
    return value


def _visibility(d: _Derivation, w: Workload, cap: int | None) -> int:
    c = w.consumer
    rounds = math.ceil(c.receive_batch / c.concurrency_per_task)
    worst = rounds * c.p99_seconds
    wanted = max(limits.MIN_VISIBILITY_TIMEOUT_SECONDS, math.ceil(limits.VISIBILITY_TIMEOUT_SAFETY_FACTOR * worst))
    value = d.set(
        "visibility_timeout_seconds",
        wanted,
        f"{num(wanted)} s = {limits.VISIBILITY_TIMEOUT_SAFETY_FACTOR:g} x the worst receive-to-delete time "
        f"ceil(receive_batch {c.receive_batch} / concurrency {c.concurrency_per_task}) x p99 {num(c.p99_seconds)} s "
        f"= {num(round(worst, 2))} s (at least {limits.MIN_VISIBILITY_TIMEOUT_SECONDS} s)",
    )
    if cap is not None and wanted > cap:
        d.error(
            "visibility timeout (12 h)",
            f"a received batch can take {duration(worst)}; twice that is over SQS's {duration(cap)} maximum",
            "extend visibility while processing (ChangeMessageVisibility heartbeat) or receive smaller batches",
        )
    elif value < worst:
        d.error(
            "visibility timeout",
            f"visibility_timeout_seconds {num(value)} is shorter than the worst receive-to-delete time "
            f"{num(round(worst, 2))} s: messages are delivered twice while still being processed",
            f"set it to at least {num(wanted)}",
        )
    return value


def _fargate_task_usd_per_hour(w: Workload) -> float:
    c = w.consumer
    return task_usd_per_hour(c.task_cpu, c.task_memory_mib, c.architecture)


def _sqs_requests_per_month(w: Workload, average: float, idle_tasks: float) -> float:
    chunks = math.ceil(w.traffic.message_bytes / limits.SQS_BILLING_CHUNK_BYTES)
    messages = average * limits.SECONDS_PER_DAY * 365 / 12
    per_message = chunks * (1 + 2 / w.consumer.receive_batch)
    idle = idle_tasks * limits.IDLE_RECEIVES_PER_TASK_PER_MINUTE * 60 * limits.HOURS_PER_MONTH
    return messages * per_message + idle


def _sqs_usd_per_million(w: Workload) -> float:
    if w.broker is Broker.sqs_fifo:
        return limits.SQS_FIFO_USD_PER_MILLION_REQUESTS
    return limits.SQS_STANDARD_USD_PER_MILLION_REQUESTS


# --- service mode (SQS, SQS FIFO, Redis) ----------------------------------------------


@dataclass(frozen=True)
class _Cap:
    limit: str
    tasks: int
    detail: str
    fix: str


def _service_caps(w: Workload, mu: float, d: _Derivation) -> list[_Cap]:
    """Every limit that bounds how many tasks may run, as a task count."""
    c = w.consumer
    caps: list[_Cap] = []
    sink = w.sink
    if sink is not None:
        if sink.requests_per_second is not None:
            per_request = sink.messages_per_request
            if sink.max_request_bytes is not None:
                fit = max(1, sink.max_request_bytes // w.traffic.message_bytes)
                if fit < per_request:
                    d.warn(
                        "sink request size",
                        f"{per_request} messages of {num(w.traffic.message_bytes)} bytes exceed the sink's "
                        f"{num(sink.max_request_bytes)}-byte request; planning with {fit} per request",
                        f"set sink.messages_per_request to {fit} or less",
                    )
                    per_request = fit
            rate = sink.requests_per_second * per_request
            caps.append(
                _Cap(
                    f"sink request rate ({sink.name} {num(sink.requests_per_second)} req/s)",
                    math.floor(rate / mu),
                    f"{num(sink.requests_per_second)} req/s x {per_request} messages per request = {num(rate)} msg/s",
                    f"pack more messages per sink request (sink.messages_per_request) or raise {sink.name}'s quota",
                )
            )
        if sink.bytes_per_second is not None:
            rate = sink.bytes_per_second / w.traffic.message_bytes
            caps.append(
                _Cap(
                    f"sink bandwidth ({sink.name} {num(sink.bytes_per_second)} B/s)",
                    math.floor(rate / mu),
                    f"{num(sink.bytes_per_second)} B/s / {num(w.traffic.message_bytes)} B = {num(round(rate, 2))} msg/s",
                    f"compress or trim messages, or raise {sink.name}'s bandwidth",
                )
            )
        if sink.max_connections is not None:
            per_task = c.concurrency_per_task * sink.connections_per_slot
            caps.append(
                _Cap(
                    f"sink connections ({sink.name} {sink.max_connections})",
                    math.floor(sink.max_connections / per_task),
                    f"{sink.max_connections} connections / (concurrency {c.concurrency_per_task} x "
                    f"{num(sink.connections_per_slot)} per message) = {num(sink.max_connections / per_task)} tasks",
                    f"pool connections (a proxy such as PgBouncer) or raise {sink.name}'s connection limit",
                )
            )
    if w.broker is Broker.redis:
        cache = w.cache or _default_cache()
        room = cache.max_clients - cache.producer_connections
        caps.append(
            _Cap(
                f"Redis connections (maxclients {cache.max_clients})",
                max(0, room // cache.pool_size_per_task),
                f"({cache.max_clients} maxclients - {cache.producer_connections} producer connections) / "
                f"pool {cache.pool_size_per_task} per task",
                "shrink cache.pool_size_per_task (a worker needs about one connection per concurrent message) "
                "or raise maxclients",
            )
        )
    if w.sqs_like:
        caps.append(
            _Cap(
                f"SQS in-flight messages ({num(limits.SQS_MAX_IN_FLIGHT_MESSAGES)})",
                limits.SQS_MAX_IN_FLIGHT_MESSAGES // c.concurrency_per_task,
                f"{num(limits.SQS_MAX_IN_FLIGHT_MESSAGES)} in flight / concurrency {c.concurrency_per_task}",
                "partition the workload across several queues (partitions)",
            )
        )
    caps.append(
        _Cap(
            f"ECS tasks per service ({num(limits.ECS_MAX_TASKS_PER_SERVICE)})",
            limits.ECS_MAX_TASKS_PER_SERVICE,
            "ECS service quota",
            "raise concurrency_per_task or partition the workload across several services",
        )
    )
    return caps


def _default_cache() -> Cache:
    return Cache()


def _plan_service(profile: Profile, w: Workload, lane: _Lane, d: _Derivation) -> dict[str, Any]:
    c = w.consumer
    env = profile.environment.value
    rates = _rates(w, lane, d)
    age = lane.max_age_seconds
    mu = c.concurrency_per_task / c.processing_seconds
    d.reasons["per_task_messages_per_second"] = (
        f"{num(mu)} = concurrency_per_task {c.concurrency_per_task} / processing_seconds {num(c.processing_seconds)}"
    )
    util = limits.TARGET_UTILIZATION
    tasks_peak = math.ceil(rates.peak / (mu * util))
    peak_why = f"ceil(peak {num(rates.peak)} / ({num(mu)} x {util})) = {tasks_peak} for the peak"

    drain_allowed = min(rates.drain_seconds_allowed, limits.MAX_SOURCE_RETENTION_SECONDS - age)
    drain_rate = rates.average + rates.backlog / drain_allowed if rates.backlog else 0.0
    tasks_drain = math.ceil(drain_rate / mu) if rates.backlog else 0
    drain_why = (
        f"ceil((average {num(rates.average)} + backlog {num(rates.backlog)} / {num(round(drain_allowed))} s) / {num(mu)}) "
        f"= {tasks_drain} to drain the backlog within {duration(drain_allowed)}"
    )
    if rates.backlog and drain_allowed < rates.drain_seconds_allowed:
        drain_why += f" (the {duration(limits.MAX_SOURCE_RETENTION_SECONDS)} retention bound minus the objective is tighter than drain_backlog_within_hours)"

    needed = max(tasks_peak, tasks_drain, 1)
    if tasks_drain > tasks_peak:
        binding = f"backlog drain within {duration(drain_allowed)}"
    else:
        binding = "peak arrivals"
    required_rate = max(rates.peak, drain_rate)
    value = needed
    parts = [peak_why] + ([drain_why] if rates.backlog else [])
    why = f"{needed} = the larger of " + "; ".join(parts) if rates.backlog else f"{needed} = {peak_why}"
    capped_by: _Cap | None = None
    for cap in _service_caps(w, mu, d):
        if cap.tasks <= value:
            value, capped_by, binding = cap.tasks, cap, cap.limit
    if capped_by is not None:
        why += f"; capped at {capped_by.tasks} by {capped_by.limit}: {capped_by.detail}"
    why += f": {binding} binds"
    max_capacity = d.set("max_capacity", value, why)
    if d.overridden("max_capacity"):
        binding = "max_capacity override"
    d.binding = binding

    throughput = max_capacity * mu
    if throughput < required_rate:
        limit = capped_by.limit if capped_by and not d.overridden("max_capacity") else binding
        need_tasks = math.ceil(required_rate / mu)
        d.error(
            limit,
            f"{max_capacity} tasks x {num(mu)} msg/s = {num(round(throughput, 3))} msg/s is short of the "
            f"{num(round(required_rate, 3))} msg/s the objective needs (short by {num(round(required_rate - throughput, 3))} "
            f"msg/s, {need_tasks - max_capacity} tasks)",
            capped_by.fix if capped_by and not d.overridden("max_capacity") else f"allow at least {need_tasks} tasks",
        )
    elif max_capacity < tasks_peak:
        d.warn(
            "peak headroom",
            f"{max_capacity} tasks cover the peak at {num(round(rates.peak / throughput * 100, 1))}% utilisation, "
            f"above the planned {int(util * 100)}%",
            capped_by.fix if capped_by else None,
        )

    # Scale to zero only when the objective outlasts a cold start with margin.
    cold_start = limits.CLOUDWATCH_METRIC_DELAY_SECONDS + limits.TARGET_TRACKING_DATAPOINT_SECONDS + limits.TASK_START_SECONDS
    reaction = (
        limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS * limits.TARGET_TRACKING_DATAPOINT_SECONDS
        + limits.CLOUDWATCH_METRIC_DELAY_SECONDS
        + limits.TASK_START_SECONDS
    )
    if age >= limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN * cold_start:
        min_value = 0
        min_why = (
            f"0: the {duration(age)} objective is at least {limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN:g} x the "
            f"{duration(cold_start)} it takes to come back from zero (metric delay + one datapoint + task start); "
            "a step policy on queue depth takes it from 0 to 1"
        )
    elif age < reaction:
        min_value = min(max(1, math.ceil(rates.peak / mu)), max_capacity)
        min_why = (
            f"{min_value} = ceil(peak {num(rates.peak)} / {num(mu)}): the {duration(age)} objective is shorter than the "
            f"autoscaler's {duration(reaction)} reaction ({limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS} datapoints + "
            "metric delay + task start), so the running tasks must absorb a surge to the peak on their own"
        )
    else:
        trough_tasks = math.ceil(rates.trough / mu)
        min_value = min(max(1, trough_tasks), max_capacity)
        min_why = (
            f"{min_value} = max(1, ceil(trough {num(rates.trough)} / {num(mu)})): the {duration(age)} objective is "
            f"shorter than {limits.SCALE_TO_ZERO_OBJECTIVE_MARGIN:g} x the {duration(cold_start)} cold start, so "
            "the service never scales to zero"
        )
    min_capacity = d.set("min_capacity", min_value, min_why)
    if min_capacity > max_capacity:
        d.error("capacity order", f"min_capacity {min_capacity} is above max_capacity {max_capacity}",
                "lower min_capacity or raise max_capacity")
    elif min_capacity == 0 and age < cold_start:
        d.error(
            "scale from zero",
            f"min_capacity 0 but the {duration(age)} objective is shorter than the {duration(cold_start)} cold start",
            "set min_capacity to 1 or more",
        )

    headroom = limits.BACKLOG_TARGET_HEADROOM
    target_value = round(c.concurrency_per_task + age * mu * headroom, 2)
    target = d.set(
        "target_backlog_per_task",
        target_value,
        f"{num(target_value)} = concurrency {c.concurrency_per_task} (messages a busy task holds in flight) + "
        f"objective {num(age)} s x {num(mu)} msg/s x headroom {headroom}; the metric is (visible + in flight) / "
        "running tasks",
    )
    implied_wait = max(0.0, target - c.concurrency_per_task) / mu
    if implied_wait > age:
        d.error(
            "age objective",
            f"target_backlog_per_task {num(target)} means a task's queue share waits {duration(implied_wait)} "
            f"before any scale-out, over the {duration(age)} objective",
            f"set it at most {num(round(c.concurrency_per_task + age * mu * headroom, 2))}",
        )

    out_cd = d.set(
        "scale_out_cooldown_seconds",
        limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS,
        f"{limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS} s: a second scale-out can follow within a minute while the "
        "backlog still grows (the 3-datapoint alarm already debounces)",
    )
    in_cd = d.set(
        "scale_in_cooldown_seconds",
        limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS,
        f"{limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS} s, ECS's default: scale in slowly, scale-in costs work in progress",
    )

    visibility = _visibility(d, w, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS if w.sqs_like else None)
    if w.broker is Broker.redis:
        d.reasons["visibility_timeout_seconds"] = (
            "claim timeout for the Redis workers: " + d.reasons["visibility_timeout_seconds"]
        )

    worst_batch = math.ceil(c.receive_batch / c.concurrency_per_task) * c.p99_seconds
    stop = min(limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS, math.ceil(worst_batch))
    d.set(
        "stop_timeout_seconds",
        stop,
        f"{stop} s = the worst batch in progress ({num(round(worst_batch, 2))} s), at most Fargate's "
        f"{limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS} s, so scale-in lets a task finish its batch",
    )
    if worst_batch > limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS:
        d.warn(
            "scale-in interrupts work",
            f"a batch can take {duration(worst_batch)}, longer than Fargate's {limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS} s "
            "stop timeout: scale-in can stop a task mid-batch",
            "have the worker set ECS task scale-in protection while busy (see the README)",
        )

    # Drain time at max capacity, against the retention bound.
    net = throughput - rates.average
    if rates.backlog:
        drain = rates.backlog / net if net > 0 else math.inf
        d.reasons["drain_seconds"] = (
            f"{duration(drain)} = backlog {num(rates.backlog)} / ({max_capacity} tasks x {num(mu)} - average "
            f"{num(rates.average)}) msg/s"
        )
    else:
        drain = 0.0
        d.reasons["drain_seconds"] = "0: no backlog"
    maximum = limits.MAX_SOURCE_RETENTION_SECONDS
    retention = _retention(d, rates, 0 if math.isinf(drain) else drain, age, maximum)
    if math.isinf(drain):
        d.error(
            "backlog never drains",
            f"{max_capacity} tasks process {num(round(throughput, 3))} msg/s, no more than the {num(rates.average)} "
            "msg/s arriving: the backlog never shrinks",
            f"allow at least {math.floor(rates.average / mu) + 1} tasks",
        )
    dlq_retention = _dlq_retention(d, retention)
    max_receive = _max_receive_count(d, w, env)

    fifo_high = False
    if w.broker is Broker.sqs_fifo:
        if rates.peak > limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND:
            d.error(
                "SQS FIFO throughput",
                f"peak {num(rates.peak)} msg/s is over FIFO high-throughput mode's "
                f"{num(limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND)}",
                "partition the workload across several FIFO queues, or use a standard queue",
            )
        fifo_high = rates.peak > limits.SQS_FIFO_MESSAGES_PER_SECOND_BATCHED
        d.reasons["fifo_high_throughput"] = (
            f"{'on' if fifo_high else 'off'}: peak {num(rates.peak)} msg/s against "
            f"{num(limits.SQS_FIFO_MESSAGES_PER_SECOND_BATCHED)} msg/s without high-throughput mode (batches of 10)"
        )

    alarms = _service_alarms(d, age, max_capacity, target)
    cache = _plan_cache(d, w, env, rates, max_capacity, target) if w.broker is Broker.redis else {}

    current = c.current_tasks
    current_drain = None
    if current is not None:
        d.reasons["current_tasks"] = f"{current} = consumer.current_tasks: the fleet running today"
        current_drain = _current_fleet(d, current, mu, rates)

    task_usd = _fargate_task_usd_per_hour(w)
    avg_tasks = max(min_capacity, math.ceil(rates.average / (mu * util)))
    tasks_usd = avg_tasks * limits.HOURS_PER_MONTH * task_usd
    cost_parts = [
        f"{avg_tasks} average tasks x {limits.HOURS_PER_MONTH} h x ${task_usd:.5f}/task-hour = ${tasks_usd:,.2f}"
    ]
    total = tasks_usd
    if w.sqs_like:
        requests = _sqs_requests_per_month(w, rates.average, avg_tasks)
        sqs_usd = requests / 1e6 * _sqs_usd_per_million(w)
        total += sqs_usd
        cost_parts.append(f"{num(round(requests / 1e6, 2))}M SQS requests = ${sqs_usd:,.2f}")
        alarm_count = limits.ALARMS_PER_QUEUE
    else:
        alarm_count = limits.ALARMS_PER_QUEUE - 1  # no SQS DLQ alarm; the workers' DLQ list is alarmed instead
    if cache:
        nodes_usd = cache["cache_nodes"] * limits.ELASTICACHE_NODE_USD_PER_HOUR[cache["cache_node_type"]] * limits.HOURS_PER_MONTH
        total += nodes_usd
        alarm_count += limits.ALARMS_PER_CACHE
        cost_parts.append(f"{cache['cache_nodes']} x {cache['cache_node_type']} = ${nodes_usd:,.2f}")
    alarms_usd = alarm_count * limits.CLOUDWATCH_USD_PER_ALARM_MONTH
    total += alarms_usd
    cost_parts.append(f"{alarm_count} alarms = ${alarms_usd:.2f}")
    d.reasons["monthly_cost_usd"] = f"${total:,.2f} = " + " + ".join(cost_parts)
    if rates.backlog:
        once = rates.backlog / mu / 3600 * task_usd
        d.reasons["monthly_cost_usd"] += f"; draining the backlog costs about ${max(once, 0.01):,.2f} once, on top"

    return dict(
        **_rate_fields(rates, mu),
        min_capacity=min_capacity,
        max_capacity=max_capacity,
        target_backlog_per_task=target,
        scale_out_cooldown_seconds=out_cd,
        scale_in_cooldown_seconds=in_cd,
        stop_timeout_seconds=d.values["stop_timeout_seconds"],
        visibility_timeout_seconds=visibility,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=max_receive,
        fifo_high_throughput=fifo_high,
        drain_seconds=None if math.isinf(drain) else round(drain, 1),
        current_tasks=current,
        current_drain_seconds=current_drain,
        monthly_cost_usd=round(total, 2),
        **alarms,
        **cache,
    )


def _service_alarms(d: _Derivation, age: float, max_capacity: int, target: float) -> dict[str, Any]:
    age_alarm = d.set(
        "alarm_age_seconds",
        math.ceil(age),
        f"{math.ceil(age)} s = the objective: alarm when the oldest message is older for "
        f"{limits.AGE_ALARM_EVALUATION_MINUTES} of {limits.AGE_ALARM_EVALUATION_MINUTES} minutes",
    )
    saturation = d.set(
        "alarm_saturation_messages",
        math.ceil(max_capacity * target),
        f"{num(math.ceil(max_capacity * target))} = max_capacity {max_capacity} x target {num(target)}: more waiting "
        f"than the whole fleet is meant to hold, for {limits.SATURATION_ALARM_MINUTES} minutes",
    )
    d.reasons["alarm_max_tasks"] = (
        f"{max_capacity} = max_capacity: the fleet pinned at its ceiling for {limits.MAX_TASKS_ALARM_MINUTES} minutes"
    )
    d.reasons["alarm_stalled_minutes"] = (
        f"{limits.STALLED_ALARM_MINUTES}: messages visible but none received for {limits.STALLED_ALARM_MINUTES} minutes"
    )
    d.reasons["alarm_dlq_messages"] = "1: any message in the dead-letter queue needs a person"
    if age_alarm > age:
        d.warn("age alarm", f"alarm_age_seconds {age_alarm} is later than the {num(age)} s objective",
               f"set it to {math.ceil(age)} or less")
    return dict(
        alarm_age_seconds=age_alarm,
        alarm_saturation_messages=saturation,
        alarm_max_tasks=max_capacity,
        alarm_stalled_minutes=limits.STALLED_ALARM_MINUTES,
    )


def _plan_cache(
    d: _Derivation, w: Workload, environment: str, rates: _Rates, max_capacity: int, target: float
) -> dict[str, Any]:
    cache = w.cache or _default_cache()
    connections = max_capacity * cache.pool_size_per_task + cache.producer_connections
    d.reasons["cache_connections"] = (
        f"{num(connections)} = max_capacity {max_capacity} x pool_size_per_task {cache.pool_size_per_task} + "
        f"producers {cache.producer_connections}, within maxclients {num(cache.max_clients)}"
    )
    d.reasons["cache_connections_budget"] = f"{num(cache.max_clients)} = cache.max_clients"
    alarm_connections = round(cache.max_clients * limits.REDIS_CONNECTIONS_ALARM_FRACTION)
    d.reasons["alarm_cache_connections"] = (
        f"{num(alarm_connections)} = maxclients {num(cache.max_clients)} x {limits.REDIS_CONNECTIONS_ALARM_FRACTION}: "
        "alarm before new connections are refused"
    )
    if connections > cache.max_clients:
        d.error(
            "Redis connections",
            f"{num(connections)} connections at max capacity exceed maxclients {num(cache.max_clients)}",
            "shrink cache.pool_size_per_task or lower max_capacity",
        )
    held = rates.backlog + math.ceil(max_capacity * target)
    item = w.traffic.message_bytes + cache.item_overhead_bytes
    memory = math.ceil(held * item / (1 - limits.ELASTICACHE_RESERVED_MEMORY_FRACTION))
    d.reasons["cache_memory_bytes"] = (
        f"{num(memory)} = (backlog {num(rates.backlog)} + saturation depth {num(math.ceil(max_capacity * target))}) "
        f"x ({num(w.traffic.message_bytes)} + {cache.item_overhead_bytes} overhead) bytes / "
        f"(1 - reserved {limits.ELASTICACHE_RESERVED_MEMORY_FRACTION})"
    )
    fitting = [n for n, gib in limits.ELASTICACHE_NODE_MEMORY_GIB.items() if gib * 2**30 >= memory]
    if fitting:
        node = fitting[0]
        node_why = f"{node}, the smallest with {limits.ELASTICACHE_NODE_MEMORY_GIB[node]} GiB >= {num(memory)} bytes"
    else:
        node = list(limits.ELASTICACHE_NODE_MEMORY_GIB)[-1]
        node_why = f"{node}, the largest qcap knows"
        d.error(
            "Redis memory",
            f"{num(memory)} bytes do not fit the largest node ({node}, "
            f"{limits.ELASTICACHE_NODE_MEMORY_GIB[node]} GiB)",
            "shard the queue across several replication groups (partitions) or keep items smaller",
        )
    node = d.set("cache_node_type", node, node_why)
    if node in limits.ELASTICACHE_NODE_MEMORY_GIB and limits.ELASTICACHE_NODE_MEMORY_GIB[node] * 2**30 < memory:
        d.error("Redis memory", f"cache_node_type {node} holds less than the {num(memory)} bytes needed",
                f"use {fitting[0] if fitting else 'a larger node'}")
    nodes = limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER if environment == "prod" else 1
    d.reasons["cache_nodes"] = (
        f"{nodes}: {'primary + replica for automatic failover in prod' if nodes > 1 else 'one node outside prod'}"
    )
    ops = rates.peak * limits.REDIS_OPS_PER_MESSAGE
    if ops > limits.REDIS_OPS_PER_SECOND_NO_PIPELINE:
        d.warn(
            "Redis throughput",
            f"peak needs about {num(round(ops))} ops/s ({limits.REDIS_OPS_PER_MESSAGE} per message), over the "
            f"{num(limits.REDIS_OPS_PER_SECOND_NO_PIPELINE)} one primary serves without pipelining",
            "pipeline writes and pops (5-7x, per redis-benchmark) or partition the queue",
        )
    return dict(
        cache_node_type=node,
        cache_nodes=nodes,
        cache_memory_bytes=memory,
        cache_connections=connections,
        cache_connections_budget=cache.max_clients,
        alarm_cache_connections=alarm_connections,
    )


def _current_fleet(d: _Derivation, current: int, mu: float, rates: _Rates) -> float | None:
    """Whether today's fleet keeps up: its drain time, or None when it never drains."""
    throughput = current * mu
    head = f"{current} tasks x {num(mu)} = {num(round(throughput, 3))} msg/s against {num(rates.average)} arriving"
    if throughput <= rates.average:
        d.reasons["current_drain_seconds"] = f"never: {head}; the backlog only grows"
        d.warn("current fleet", f"today's {current} tasks never drain the backlog: {head}",
               f"run at least {d.values['max_capacity']} tasks (max_capacity)")
        return None
    if not rates.backlog:
        d.reasons["current_drain_seconds"] = f"0: no backlog; {head}"
        return 0.0
    drain = rates.backlog / (throughput - rates.average)
    if drain > limits.SQS_MAX_RETENTION_SECONDS:
        d.reasons["current_drain_seconds"] = (
            f"never: {head}; at {num(round(throughput - rates.average, 3))} msg/s net the backlog needs "
            f"{duration(drain)}, longer than the 14 days a message can be kept, so it expires first"
        )
        d.warn(
            "current fleet",
            f"today's {current} tasks would take {duration(drain)} to drain: messages expire (14 days at most) "
            "before they are processed",
            f"run at least {d.values['max_capacity']} tasks (max_capacity)",
        )
        return None
    d.reasons["current_drain_seconds"] = (
        f"{duration(drain)} = backlog {num(rates.backlog)} / ({num(round(throughput, 3))} - {num(rates.average)}) msg/s"
    )
    return round(drain, 1)


# --- scheduled mode -------------------------------------------------------------------


def _plan_scheduled(profile: Profile, w: Workload, lane: _Lane, d: _Derivation) -> dict[str, Any]:
    c = w.consumer
    env = profile.environment.value
    rates = _rates(w, lane, d)
    age = lane.max_age_seconds
    interval = c.interval_seconds
    concurrency = c.concurrency_per_task
    mu = concurrency / c.processing_seconds
    d.reasons["per_task_messages_per_second"] = (
        f"{num(mu)} = concurrency_per_task {concurrency} / processing_seconds {num(c.processing_seconds)} while a run lasts"
    )
    batch_limit = d.set(
        "batch_limit", c.batch_limit, f"{c.batch_limit} = consumer.batch_limit: most messages one run takes"
    )
    rounds = math.ceil(batch_limit / concurrency)
    run = rounds * c.processing_seconds
    run_p99 = rounds * c.p99_seconds
    d.reasons["run_seconds"] = (
        f"{num(run)} s = ceil(batch_limit {batch_limit} / concurrency {concurrency}) = {rounds} rounds x "
        f"{num(c.processing_seconds)} s, {num(round(run / interval * 100, 1))}% of the {interval} s interval"
    )
    d.reasons["interval_seconds"] = f"{interval} s = consumer.interval_seconds"
    d.binding = "interval and batch limit"
    fits = math.floor(limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * interval / c.processing_seconds) * concurrency
    if run > limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * interval:
        d.error(
            "run time vs interval",
            f"a full run takes {num(run)} s, over {int(limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * 100)}% of the "
            f"{interval} s interval",
            f"lower batch_limit to {fits} or raise concurrency_per_task",
        )
    elif run_p99 >= interval:
        d.error(
            "run time vs interval",
            f"at p99 a full run takes {num(run_p99)} s, as long as the {interval} s interval: runs overlap",
            f"lower batch_limit to {fits}",
        )
    throughput = batch_limit / interval
    d.reasons["max_concurrency"] = f"{concurrency} = consumer.concurrency_per_task: messages in flight during a run"
    keep_up = math.ceil(rates.average * interval)
    if throughput <= rates.average and rates.average > 0:
        d.error(
            "batch limit vs arrivals",
            f"{batch_limit} per {interval} s = {num(round(throughput, 4))} msg/s is no more than the "
            f"{num(round(rates.average, 4))} msg/s arriving: the backlog only grows",
            f"raise batch_limit above {keep_up}",
        )
    elif throughput < rates.peak:
        spike = (rates.peak - throughput) * interval
        d.warn(
            "peak vs batch limit",
            f"at the peak ({num(round(rates.peak, 4))} msg/s) about {num(math.ceil(spike))} more messages arrive per "
            f"interval than a run takes ({batch_limit}); they wait for later runs",
            f"raise batch_limit to {math.ceil(rates.peak * interval)} to keep up with the peak",
        )
    worst_wait = interval + run
    if worst_wait > age:
        d.error(
            "age objective",
            f"a message arriving just after a run starts waits up to {duration(worst_wait)} (interval + run), "
            f"over the {duration(age)} objective",
            f"shorten the interval to at most {max(60, math.floor(age - run))} s",
        )
    sink = w.sink
    if sink is not None and sink.requests_per_second is not None:
        request_rate = mu / sink.messages_per_request
        d.reasons["sink_requests_per_second"] = (
            f"{num(round(request_rate, 3))} = {num(mu)} msg/s during a run / {sink.messages_per_request} per request, "
            f"against {sink.name}'s {num(sink.requests_per_second)}"
        )
        if request_rate > sink.requests_per_second:
            d.error(
                f"sink request rate ({sink.name})",
                f"a run sends {num(round(request_rate, 2))} req/s, over {sink.name}'s {num(sink.requests_per_second)}",
                f"lower concurrency_per_task to {math.floor(sink.requests_per_second * sink.messages_per_request * c.processing_seconds)}",
            )
    if sink is not None and sink.max_connections is not None:
        used = concurrency * sink.connections_per_slot
        if used > sink.max_connections:
            d.error(
                f"sink connections ({sink.name})",
                f"concurrency {concurrency} x {num(sink.connections_per_slot)} = {num(used)} connections, over "
                f"{sink.name}'s {sink.max_connections}",
                f"lower concurrency_per_task to {math.floor(sink.max_connections / sink.connections_per_slot)}",
            )
    d.reasons["max_capacity"] = "1: the schedule starts one task per run"
    d.reasons["min_capacity"] = "0: no task runs between runs"
    net = throughput - rates.average
    if rates.backlog:
        drain = rates.backlog / net if net > 0 else math.inf
        d.reasons["drain_seconds"] = (
            f"{duration(drain)} = backlog {num(rates.backlog)} / ({batch_limit} per {interval} s - average "
            f"{num(round(rates.average, 4))}) msg/s"
        )
        if drain > rates.drain_seconds_allowed:
            d.error(
                "backlog drain",
                f"the backlog takes {duration(drain)} to drain, over the {duration(rates.drain_seconds_allowed)} allowed",
                f"raise batch_limit to {math.ceil((rates.average + rates.backlog / rates.drain_seconds_allowed) * interval)}",
            )
    else:
        drain = 0.0
        d.reasons["drain_seconds"] = "0: no backlog"
    retention = _retention(d, rates, 0 if math.isinf(drain) else drain, max(age, worst_wait),
                           limits.MAX_SOURCE_RETENTION_SECONDS)
    dlq_retention = _dlq_retention(d, retention)
    max_receive = _max_receive_count(d, w, env)
    visibility = _visibility(d, w, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS)
    age_alarm = d.set(
        "alarm_age_seconds",
        math.ceil(age),
        f"{math.ceil(age)} s = the objective, for {limits.AGE_ALARM_EVALUATION_MINUTES} of "
        f"{limits.AGE_ALARM_EVALUATION_MINUTES} minutes",
    )
    d.reasons["alarm_dlq_messages"] = "1: any message in the dead-letter queue needs a person"

    runs = limits.HOURS_PER_MONTH * 3600 / interval
    billed = run + limits.TASK_START_SECONDS
    task_usd = _fargate_task_usd_per_hour(w)
    tasks_usd = runs * billed / 3600 * task_usd
    requests = _sqs_requests_per_month(w, rates.average, 0) + runs
    sqs_usd = requests / 1e6 * _sqs_usd_per_million(w)
    alarms_usd = 2 * limits.CLOUDWATCH_USD_PER_ALARM_MONTH
    total = tasks_usd + sqs_usd + alarms_usd
    d.reasons["monthly_cost_usd"] = (
        f"${total:,.2f} = {num(round(runs))} runs x ({num(run)} s run + {limits.TASK_START_SECONDS} s start) x "
        f"${task_usd:.5f}/task-hour = ${tasks_usd:,.2f} + {num(round(requests / 1e6, 3))}M SQS requests = "
        f"${sqs_usd:,.2f} + 2 alarms = ${alarms_usd:.2f}"
    )
    return dict(
        **_rate_fields(rates, mu),
        min_capacity=0,
        max_capacity=1,
        max_concurrency=concurrency,
        batch_limit=batch_limit,
        run_seconds=run,
        interval_seconds=interval,
        visibility_timeout_seconds=visibility,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=max_receive,
        drain_seconds=None if math.isinf(drain) else round(drain, 1),
        alarm_age_seconds=age_alarm,
        sink_requests_per_second=(mu / sink.messages_per_request) if sink and sink.requests_per_second else None,
        monthly_cost_usd=round(total, 2),
    )


# --- Cloudflare Queues ----------------------------------------------------------------


@dataclass(frozen=True)
class _Stage:
    """One stage a message passes: its load at the peak (1.0 = full) and its ceiling in msg/s."""

    name: str
    load: float
    ceiling_per_second: float
    fix: str


def _plan_cloudflare(profile: Profile, w: Workload, lane: _Lane, d: _Derivation) -> dict[str, Any]:
    c = w.consumer
    rates = _rates(w, lane, d)
    age = lane.max_age_seconds
    sink = w.sink
    t_batch = c.processing_seconds
    t_batch99 = c.p99_seconds

    # Batch size: as large as Cloudflare, the profile and the sink's request size allow.
    size = min(limits.CLOUDFLARE_MAX_BATCH_SIZE, c.receive_batch)
    size_why = f"min(Cloudflare's {limits.CLOUDFLARE_MAX_BATCH_SIZE}, consumer.receive_batch {c.receive_batch})"
    if sink is not None and sink.max_request_bytes is not None:
        fit = max(1, sink.max_request_bytes // w.traffic.message_bytes)
        if fit < size:
            size = fit
            size_why += f", {sink.name}'s {num(sink.max_request_bytes)}-byte request / {num(w.traffic.message_bytes)} B = {fit}"
    batch_size = d.set("batch_size", size, f"{size} = {size_why}: larger batches mean fewer sink requests")

    util = limits.CLOUDFLARE_SHARD_UTILIZATION
    ingest_cap = limits.CLOUDFLARE_MAX_MESSAGES_PER_SECOND_PER_QUEUE
    shards_ingest = max(1, math.ceil(rates.peak / (ingest_cap * util)))
    per_invocation = batch_size / t_batch
    consumer_cap = limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY * per_invocation
    shards_consumer = max(1, math.ceil(rates.peak / (consumer_cap * util)))
    if shards_consumer > shards_ingest:
        shard_value = shards_consumer
        shard_why = (
            f"{shards_consumer} = ceil(peak {num(rates.peak)} / ({limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY} consumers x {batch_size} per batch / "
            f"{num(t_batch)} s x {util})): one queue's consumers cannot keep up"
        )
    else:
        shard_value = shards_ingest
        shard_why = (
            f"{shards_ingest} = ceil(peak {num(rates.peak)} / ({num(ingest_cap)} msg/s per queue x {util}))"
        )
    shards = d.set("shards", shard_value, shard_why)
    if shards > limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT - 1:
        d.error("Cloudflare queues per account", f"{shards} shards plus a DLQ exceed {limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT}")

    per_shard = rates.peak / shards
    concurrency_value = max(1, math.ceil(per_shard * t_batch / (batch_size * util)))
    concurrency = d.set(
        "max_concurrency",
        concurrency_value,
        f"{concurrency_value} = ceil(peak per shard {num(round(per_shard, 2))} x batch time {num(t_batch)} s / "
        f"({batch_size} per batch x {util})), at most {limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY}",
    )
    if concurrency > limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY:
        d.error(
            "Cloudflare consumer concurrency (250)",
            f"each shard needs {concurrency} concurrent consumers, over Cloudflare's "
            f"{limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY}",
            f"use at least {shards_consumer} shards (overrides.shards) or make a batch faster",
        )
    budget_ms = (age - t_batch99) * 1000
    fill_ms = batch_size / (rates.average / shards) * 1000 if rates.average > 0 else math.inf
    fill_ms = math.inf if math.isinf(fill_ms) else math.ceil(round(fill_ms, 6))
    wait_value = int(max(0, min(limits.CLOUDFLARE_MAX_WAIT_TIME_MS, budget_ms, fill_ms)))
    wait = d.set(
        "max_wait_time_ms",
        wait_value,
        f"{num(wait_value)} ms = min(Cloudflare's {num(limits.CLOUDFLARE_MAX_WAIT_TIME_MS)} ms, objective "
        f"{num(age)} s - p99 batch time {num(t_batch99)} s, time to fill a batch of {batch_size} at the average "
        f"{num(round(rates.average / shards, 2))} msg/s per shard)",
    )
    if budget_ms <= 0:
        d.error(
            "age objective",
            f"a batch takes {num(t_batch99)} s at p99, as long as the {duration(age)} objective",
            "make batches faster (smaller batch_size) or relax objective.max_age_seconds",
        )
    elif wait / 1000 + t_batch99 > age:
        d.error("age objective", f"max wait {num(wait)} ms + p99 batch {num(t_batch99)} s exceed the {num(age)} s objective",
                f"set max_wait_time_ms to at most {int(budget_ms)}")

    # Each stage's load at the peak and its ceiling. Queues and consumers grow with shards,
    # so the stage that binds is the one with the lowest ceiling the shard count cannot lift.
    most_queues = limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT - 1
    stages: list[_Stage] = [
        _Stage(
            f"Cloudflare queue ingest ({num(ingest_cap)} msg/s per queue)",
            per_shard / ingest_cap,
            ingest_cap * most_queues,
            f"use more shards (at least {math.ceil(rates.peak / ingest_cap)})",
        ),
        _Stage(
            f"Cloudflare consumer concurrency ({limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY} per queue)",
            per_shard * t_batch / batch_size / limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY,
            consumer_cap * most_queues,
            "use more shards or make a batch faster",
        ),
    ]
    request_rate = None
    if sink is not None:
        requests_per_batch = math.ceil(batch_size / sink.messages_per_request)
        request_rate = rates.peak / batch_size * requests_per_batch
        d.reasons["sink_requests_per_second"] = (
            f"{num(round(request_rate, 2))} = peak {num(rates.peak)} / batch {batch_size} x {requests_per_batch} "
            f"request(s) per batch"
        )
        if sink.requests_per_second is not None:
            most = sink.requests_per_second * batch_size / requests_per_batch
            targets = math.ceil(request_rate / (sink.requests_per_second * util))
            quota = math.ceil(request_rate / util)
            stages.append(
                _Stage(
                    f"sink request rate ({sink.name} {num(sink.requests_per_second)} req/s)",
                    request_rate / sink.requests_per_second,
                    most,
                    f"a Cloudflare batch holds at most {limits.CLOUDFLARE_MAX_BATCH_SIZE} messages, so {sink.name} takes "
                    f"at most {num(most)} msg/s however many shards there are; split the traffic across {targets} sink "
                    f"targets (for Tinybird, one data source per group of shards) or raise {sink.name}'s quota to "
                    f"{num(quota)} req/s, so it runs at {int(util * 100)}% at the peak",
                )
            )
        if sink.bytes_per_second is not None:
            most = sink.bytes_per_second / w.traffic.message_bytes
            stages.append(
                _Stage(
                    f"sink bandwidth ({sink.name} {num(sink.bytes_per_second)} B/s)",
                    rates.peak / most,
                    most,
                    "trim or compress messages, or split the traffic across sink targets",
                )
            )
    binding = min(stages, key=lambda s: s.ceiling_per_second)
    d.binding = binding.name
    d.reasons["binding_limit"] = (
        f"{binding.name}: ceiling {num(round(binding.ceiling_per_second))} msg/s, "
        f"{num(round(binding.load * 100, 1))}% used at the {num(rates.peak)} msg/s peak"
        + ("; queues and consumers grow with shards" if not binding.name.startswith("Cloudflare") else "")
        + ". Load at the peak: "
        + ", ".join(f"{s.name.split(' (')[0]} {num(round(s.load * 100, 1))}%" for s in stages)
    )
    for stage in stages:
        if stage.load > 1:
            who = "the queue" if stage.name.startswith("Cloudflare") else "the sink, not the queue,"
            d.error(
                stage.name,
                f"at the {num(rates.peak)} msg/s peak {stage.name} runs at {num(round(stage.load * 100, 1))}%: {who} is "
                f"the limit (it takes {num(round(min(stage.ceiling_per_second, rates.peak / stage.load)))} msg/s, short by "
                f"{num(round(rates.peak * (1 - 1 / stage.load), 1))} msg/s)",
                stage.fix,
            )
        elif stage.load > util and not stage.name.startswith("Cloudflare"):
            d.warn(stage.name, f"{stage.name} runs at {num(round(stage.load * 100, 1))}% at the peak, no headroom for a burst",
                   stage.fix)

    retries_value = max(0, w.retries.max_receives - 1)
    max_retries = d.set(
        "max_retries",
        retries_value,
        f"{retries_value} = retries.max_receives {w.retries.max_receives} - 1 (the first delivery is not a retry)",
    )
    if max_retries > limits.CLOUDFLARE_MAX_RETRIES:
        d.error("Cloudflare retries (100)", f"max_retries {max_retries} is over Cloudflare's {limits.CLOUDFLARE_MAX_RETRIES}",
                "lower retries.max_receives to 101 or less")
    retry_delay = d.set(
        "retry_delay_seconds",
        limits.CLOUDFLARE_RETRY_DELAY_SECONDS,
        f"{limits.CLOUDFLARE_RETRY_DELAY_SECONDS} s: room for a sink answering 429 with Retry-After to recover",
    )
    delivered = shards * concurrency * batch_size / t_batch
    if sink is not None and sink.requests_per_second is not None and request_rate:
        delivered = min(delivered, rates.peak * sink.requests_per_second / request_rate)
    net = delivered - rates.average
    if rates.backlog:
        drain = rates.backlog / net if net > 0 else math.inf
        d.reasons["drain_seconds"] = (
            f"{duration(drain)} = backlog {num(rates.backlog)} / ({num(round(delivered, 1))} delivered - average "
            f"{num(round(rates.average, 2))}) msg/s"
        )
        backlog_bytes = rates.backlog * w.traffic.message_bytes / shards
        if backlog_bytes > limits.CLOUDFLARE_MAX_BACKLOG_BYTES:
            d.error("Cloudflare backlog (25 GB per queue)", f"{num(round(backlog_bytes))} bytes per shard",
                    "use more shards")
    else:
        drain = 0.0
        d.reasons["drain_seconds"] = "0: no backlog"
    retention = _retention(d, rates, 0 if math.isinf(drain) else drain, age, limits.MAX_SOURCE_RETENTION_SECONDS)
    dlq_retention = _dlq_retention(d, retention)
    d.reasons["max_capacity"] = f"{shards * concurrency} = {shards} shards x {concurrency} concurrent consumers"
    d.reasons["min_capacity"] = "0: Cloudflare starts consumers only when messages wait"
    d.reasons["visibility_timeout_seconds"] = "not applicable: Cloudflare retries a batch whose invocation fails"
    d.reasons["max_receive_count"] = f"{w.retries.max_receives} deliveries = max_retries + 1"

    chunks = math.ceil(w.traffic.message_bytes / limits.CLOUDFLARE_BILLING_CHUNK_BYTES)
    operations = rates.average * limits.SECONDS_PER_DAY * 365 / 12 * limits.CLOUDFLARE_OPERATIONS_PER_MESSAGE * chunks
    billable = max(0.0, operations - limits.CLOUDFLARE_FREE_OPERATIONS_PER_MONTH)
    total = billable / 1e6 * limits.CLOUDFLARE_USD_PER_MILLION_OPERATIONS
    d.reasons["monthly_cost_usd"] = (
        f"${total:,.2f} = ({num(round(operations / 1e6, 1))}M operations ({limits.CLOUDFLARE_OPERATIONS_PER_MESSAGE} "
        f"per message) - 1M free) x ${limits.CLOUDFLARE_USD_PER_MILLION_OPERATIONS}/M; Worker invocations not included"
    )
    return dict(
        **_rate_fields(rates, per_invocation),
        min_capacity=0,
        max_capacity=shards * concurrency,
        shards=shards,
        batch_size=batch_size,
        max_wait_time_ms=wait,
        max_concurrency=concurrency,
        max_retries=max_retries,
        retry_delay_seconds=retry_delay,
        sink_requests_per_second=round(request_rate, 3) if request_rate is not None else None,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=w.retries.max_receives,
        drain_seconds=None if math.isinf(drain) else round(drain, 1),
        monthly_cost_usd=round(total, 2),
    )


# --- assembling one lane ----------------------------------------------------------------

_DEFAULTS: dict[str, Any] = dict(
    target_backlog_per_task=None,
    scale_out_cooldown_seconds=None,
    scale_in_cooldown_seconds=None,
    stop_timeout_seconds=None,
    visibility_timeout_seconds=None,
    fifo_high_throughput=False,
    alarm_age_seconds=None,
    alarm_saturation_messages=None,
    alarm_max_tasks=None,
    alarm_stalled_minutes=None,
    shards=None,
    batch_size=None,
    max_wait_time_ms=None,
    max_concurrency=None,
    max_retries=None,
    retry_delay_seconds=None,
    sink_requests_per_second=None,
    cache_node_type=None,
    cache_nodes=None,
    cache_memory_bytes=None,
    cache_connections=None,
    cache_connections_budget=None,
    alarm_cache_connections=None,
    batch_limit=None,
    run_seconds=None,
    interval_seconds=None,
    current_tasks=None,
    current_drain_seconds=None,
)


def _plan_lane(profile: Profile, w: Workload, lane: _Lane) -> WorkloadPlan:
    d = _Derivation(overrides=w.overrides.model_dump(exclude_none=True))
    if w.broker is Broker.cloudflare:
        derived = _plan_cloudflare(profile, w, lane, d)
    elif w.consumer.mode is ConsumerMode.scheduled:
        derived = _plan_scheduled(profile, w, lane, d)
    else:
        derived = _plan_service(profile, w, lane, d)
    values = {**_DEFAULTS, **derived}
    errors = [f for f in d.findings if f.severity == "error"]
    first = errors[0] if errors else None
    c = w.consumer
    cache = (w.cache or Cache()) if w.broker is Broker.redis else None
    message_cap = limits.CLOUDFLARE_MAX_MESSAGE_BYTES if w.broker is Broker.cloudflare else limits.SQS_MAX_MESSAGE_BYTES
    d.reasons.setdefault(
        "max_message_bytes",
        f"{num(message_cap)}: the broker's maximum, set explicitly (pulumi-aws defaults to 262,144)",
    )
    d.reasons.setdefault("binding_limit", d.binding)
    return WorkloadPlan(
        name=lane.name,
        group=w.name,
        lane=lane.lane,
        broker=w.broker.value,
        mode=c.mode.value,
        environment=profile.environment.value,
        feasible=not errors,
        binding_limit=first.limit if first else d.binding,
        shortfall=first.message if first else None,
        fix=first.fix if first else None,
        max_age_seconds=lane.max_age_seconds,
        processing_seconds=c.processing_seconds,
        processing_p99_seconds=c.p99_seconds,
        message_bytes=w.traffic.message_bytes,
        concurrency_per_task=c.concurrency_per_task,
        receive_batch=c.receive_batch,
        receive_wait_seconds=limits.SQS_MAX_RECEIVE_WAIT_SECONDS,
        task_cpu=c.task_cpu,
        task_memory_mib=c.task_memory_mib,
        architecture=c.architecture,
        image=c.image,
        script_name=c.script_name,
        max_message_bytes=message_cap,
        alarm_dlq_messages=1,
        cache_pool_size_per_task=cache.pool_size_per_task if cache else None,
        cache_producer_connections=cache.producer_connections if cache else None,
        sink_name=w.sink.name if w.sink else None,
        sink_max_connections=w.sink.max_connections if w.sink else None,
        sink_connections_per_slot=w.sink.connections_per_slot if w.sink and w.sink.max_connections else None,
        reasons=d.reasons,
        findings=tuple(d.findings),
        **values,
    )
