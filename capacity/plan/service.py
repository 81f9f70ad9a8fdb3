"""Service consumers (SQS, SQS FIFO, Redis on Fargate): the fleet's size, its queue settings and today's fleet."""

from __future__ import annotations

import math
from typing import Any

from capacity import limits
from capacity.plan.alarms import plan_service_alarms
from capacity.plan.autoscaling import plan_autoscaling
from capacity.plan.cache import plan_cache
from capacity.plan.caps import Cap, service_caps
from capacity.plan.costs import service_monthly_cost
from capacity.plan.delivery import plan_max_receive_count, plan_visibility_timeout
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num, tasks
from capacity.plan.lanes import Lane, Rates, rate_fields, rates_of
from capacity.plan.overrides import judge_autoscaling, judge_max_capacity
from capacity.plan.receiving import per_task_rate, receive_overhead
from capacity.plan.retention import plan_dlq_retention, plan_retention
from capacity.profile import Broker, Profile, Workload


def plan_service(profile: Profile, w: Workload, lane: Lane, d: Derivation) -> dict[str, Any]:
    c = w.consumer
    env = profile.environment.value
    rates = rates_of(w, lane, d)
    age = lane.max_age_seconds
    overhead, d.reasons["receive_overhead_seconds"] = receive_overhead(w.broker, c)
    mu, d.reasons["per_task_messages_per_second"] = per_task_rate(w.broker, c, overhead)
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
    capped_by: Cap | None = None
    caps = service_caps(w, mu, d, lane.budgets, required_rate)
    for cap in caps:
        if cap.tasks <= value:
            value, capped_by, binding = cap.tasks, cap, cap.limit
    if capped_by is not None:
        why += f"; capped at {capped_by.tasks} by {capped_by.limit}: {capped_by.detail}"
    why += f": {binding} binds"
    max_capacity = d.set("max_capacity", value, why)
    if d.overridden("max_capacity"):
        binding = "max_capacity override"
    d.binding = binding
    judge_max_capacity(d, caps, max_capacity)

    throughput = max_capacity * mu
    if throughput < required_rate:
        limit = capped_by.limit if capped_by and not d.overridden("max_capacity") else binding
        need_tasks = math.ceil(required_rate / mu)
        d.error(
            limit,
            f"{tasks(max_capacity)} x {num(mu)} msg/s = {num(round(throughput, 3))} msg/s is short of the "
            f"{num(round(required_rate, 3))} msg/s the objective needs (short by {num(round(required_rate - throughput, 3))} "
            f"msg/s, {tasks(need_tasks - max_capacity)})",
            capped_by.fix if capped_by and not d.overridden("max_capacity") else
            f"set overrides.max_capacity to at least {need_tasks} (or remove it)",
            capped_by.patch if capped_by and not d.overridden("max_capacity") else
            {"overrides.max_capacity": max(need_tasks, tasks_peak)},
        )
    elif max_capacity < tasks_peak:
        d.warn(
            "peak headroom",
            f"{max_capacity} tasks cover the peak at {num(round(rates.peak / throughput * 100, 1))}% utilisation, "
            f"above the planned {int(util * 100)}%",
            capped_by.fix if capped_by else None,
            capped_by.patch if capped_by else {"overrides.max_capacity": tasks_peak},
        )

    scaling = plan_autoscaling(d, c, rates, age, mu, max_capacity, w.traffic.daily_shape, overhead)
    min_capacity, target = scaling.min_capacity, scaling.target_backlog_per_task
    out_cd, in_cd = scaling.scale_out_cooldown_seconds, scaling.scale_in_cooldown_seconds
    judge_autoscaling(d, rates, age, mu, c.concurrency_per_task, c.p99_seconds, min_capacity, target, out_cd)

    visibility = plan_visibility_timeout(d, w, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS if w.sqs_like else None)
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
            "have the worker hold ECS task scale-in protection while busy (docs/workers.md)",
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
    retention = plan_retention(d, rates, 0 if math.isinf(drain) else drain, age, maximum)
    if math.isinf(drain):
        d.error(
            "backlog never drains",
            f"{max_capacity} tasks process {num(round(throughput, 3))} msg/s, no more than the {num(rates.average)} "
            "msg/s arriving: the backlog never shrinks",
            capped_by.fix if capped_by and not d.overridden("max_capacity") else
            f"set overrides.max_capacity to at least {math.floor(rates.average / mu) + 1} (or remove it)",
            capped_by.patch if capped_by and not d.overridden("max_capacity") else
            {"overrides.max_capacity": max(tasks_peak, math.floor(rates.average / mu) + 1)},
        )
    dlq_retention = plan_dlq_retention(d, retention)
    max_receive = plan_max_receive_count(d, w, env)

    fifo_high = False
    if w.broker is Broker.sqs_fifo:
        if rates.peak > limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND:
            d.error(
                "SQS FIFO throughput",
                f"peak {num(rates.peak)} msg/s is over FIFO high-throughput mode's "
                f"{num(limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND)}",
                "partition the workload across several FIFO queues, or use a standard queue",
            )
        fifo_high = fifo_high_throughput(d, rates.peak)

    alarms = plan_service_alarms(d, age, max_capacity, mu)
    saturation = alarms["alarm_saturation_messages"]
    cache = (plan_cache(d, w, env, rates, max_capacity, saturation, lane.budgets.redis_clients)
             if w.broker is Broker.redis else {})

    current = c.current_tasks
    current_drain = None
    if current is not None:
        d.reasons["current_tasks"] = f"{current} = consumer.current_tasks: the fleet running today"
        current_drain = _current_fleet(d, current, mu, rates, retention, age)

    total = service_monthly_cost(d, w, rates, mu, min_capacity, cache, scaling.expected_average_tasks)

    return dict(
        **rate_fields(rates, mu),
        receive_overhead_seconds=overhead,
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
        monthly_cost_usd=total,
        target_utilization=scaling.target_utilization,
        hourly_arrival_per_second=scaling.hourly_rates,
        time_zone=w.traffic.daily_shape.time_zone if w.traffic.daily_shape else None,
        scheduled_capacity=scaling.scheduled,
        **alarms,
        **cache,
    )


def fifo_high_throughput(d: Derivation, peak: float) -> bool:
    """High-throughput FIFO when the producers' SendMessage calls exceed FIFO's 300 calls/s.

    Producers are taken to send one message per SendMessage call (the cost counts requests the
    same way); with batches of 10 the same 300 calls carry 3,000 msg/s, but nothing in the
    profile says the producers batch, so the plan does not count on it.
    """
    calls = peak / limits.SQS_FIFO_PRODUCER_MESSAGES_PER_SEND
    on = calls > limits.SQS_FIFO_API_CALLS_PER_SECOND
    d.reasons["fifo_high_throughput"] = (
        f"{'on' if on else 'off'}: the producers send one message per SendMessage call (unbatched, as the cost "
        f"counts them), so the {num(round(peak, 2))} msg/s peak is {num(round(calls, 2))} calls/s against FIFO's "
        f"{limits.SQS_FIFO_API_CALLS_PER_SECOND} calls/s per action without high-throughput mode"
    )
    return on


def _current_fleet(
    d: Derivation, current: int, mu: float, rates: Rates, retention: int, age: float
) -> float | None:
    """Whether today's fleet keeps up: its drain time, or None when it never drains within the plan's retention."""
    throughput = current * mu
    head = f"{tasks(current)} x {num(mu)} = {num(round(throughput, 3))} msg/s against {num(rates.average)} arriving"
    if throughput <= rates.average:
        d.reasons["current_drain_seconds"] = f"never: {head}; the backlog only grows"
        enough = math.floor(rates.average / mu) + 1
        d.warn("current fleet", f"today's {tasks(current)} never drain the backlog: {head}",
               f"run more than {enough - 1} tasks now (consumer.current_tasks), up to max_capacity "
               f"{d.values['max_capacity']}",
               {"consumer.current_tasks": enough} if enough <= limits.ECS_MAX_TASKS_PER_SERVICE else None)
        return None
    if not rates.backlog:
        d.reasons["current_drain_seconds"] = f"0: no backlog; {head}"
        return 0.0
    drain = rates.backlog / (throughput - rates.average)
    if drain + age > retention:
        # Enough tasks that the oldest message is processed before the plan's retention deletes it.
        enough = math.floor((rates.average + rates.backlog / max(1.0, retention - age)) / mu) + 1
        d.reasons["current_drain_seconds"] = (
            f"never: {head}; at {num(round(throughput - rates.average, 3))} msg/s net the backlog needs "
            f"{duration(drain)}, and with the {duration(age)} objective that is longer than the plan's "
            f"{duration(retention)} retention, so the oldest messages expire first"
        )
        d.warn(
            "current fleet",
            f"today's {tasks(current)} would take {duration(drain)} to drain: the oldest messages expire (retention "
            f"{duration(retention)}) before they are processed",
            f"run at least {enough} tasks now (consumer.current_tasks), up to max_capacity {d.values['max_capacity']}",
            {"consumer.current_tasks": enough} if enough <= limits.ECS_MAX_TASKS_PER_SERVICE else None,
        )
        return None
    d.reasons["current_drain_seconds"] = (
        f"{duration(drain)} = backlog {num(rates.backlog)} / ({num(round(throughput, 3))} - {num(rates.average)}) msg/s"
    )
    return round(drain, 1)


# --- scheduled mode -------------------------------------------------------------------
