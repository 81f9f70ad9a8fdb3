"""Service consumers (SQS, SQS FIFO, Redis on Fargate): the fleet's size, its queue settings and today's fleet.

`plan_service` runs named steps in order: rates, the per-task rate, the fleet the objective
needs, the caps that bound it, autoscaling, delivery and retention, alarms, the cache, today's
fleet and the cost. Each step records its values and reasons in the lane's Derivation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from capacity import limits
from capacity.plan.alarms import plan_service_alarms
from capacity.plan.autoscaling import plan_autoscaling, plan_average_tasks
from capacity.plan.erlang import DEFAULT_MISS_PROBABILITY, fewest_tasks
from capacity.plan.cache import plan_cache
from capacity.plan.caps import Cap, service_caps
from capacity.plan.costs import service_monthly_cost
from capacity.plan.current import plan_current_fleet
from capacity.plan.delivery import plan_max_receive_count, plan_visibility_timeout
from capacity.plan.derivation import Derivation
from capacity.plan.drain import drain_field, plan_drain
from capacity.plan.formatting import duration, num, tasks
from capacity.plan.lanes import Lane, Rates, rate_fields, rates_of
from capacity.plan.models import Derived, ScalingPlan, ServicePlan
from capacity.plan.overrides import judge_autoscaling, judge_max_capacity
from capacity.plan.peak_room import room_ceiling, room_for_resting_peak
from capacity.plan.predictive import plan_predictive
from capacity.plan.receiving import per_task_rate, receive_overhead
from capacity.plan.resting import resting_peak_tasks
from capacity.plan.retention import plan_dlq_retention, plan_retention
from capacity.plan.static_fleet import plan_static_fleet, recovery
from capacity.plan.tail import judge_processing_tail
from capacity.profile import Broker, Profile, Workload


@dataclass(frozen=True)
class Need:
    """The fleet the objective needs before any cap: for the peak, for draining the backlog, and why."""

    peak_tasks: int
    drain_tasks: int
    drain_seconds_allowed: float
    required_per_second: float
    binding: str
    reason: str

    @property
    def tasks(self) -> int:
        return max(self.peak_tasks, self.drain_tasks, 1)


@dataclass(frozen=True)
class Fleet:
    """max_capacity as chosen, the cap that bound it (if any) and what the binding limit is."""

    max_capacity: int
    capped_by: Cap | None
    binding: str
    caps: tuple[Cap, ...] = ()


def plan_service(profile: Profile, workload: Workload, lane: Lane, record: Derivation) -> Derived:
    consumer = workload.consumer
    environment = profile.environment.value
    rates = rates_of(workload, lane, record)
    age = lane.max_age_seconds
    overhead, record.reasons["receive_overhead_seconds"] = receive_overhead(workload.broker, consumer)
    per_task, record.reasons["per_task_messages_per_second"] = per_task_rate(workload.broker, consumer, overhead)

    need = tasks_for_objective(rates, per_task, age)
    fleet = capped_fleet(record, workload, lane, per_task, need)
    check_throughput(record, fleet, need, per_task, rates)

    scaling = plan_autoscaling(record, consumer, rates, age, per_task, fleet.max_capacity,
                               workload.traffic.daily_shape, overhead, room_ceiling(record, list(fleet.caps)))
    judge_autoscaling(record, rates, age, per_task, consumer.concurrency_per_task, consumer.p99_seconds,
                      scaling.min_capacity, scaling.target_backlog_per_task, scaling.scale_out_cooldown_seconds)
    judge_processing_tail(record, consumer.processing_seconds, consumer.processing_p99_seconds, rates.average, age)
    fleet = room_for_resting_peak(record, fleet, list(fleet.caps), rates.peak, per_task, scaling.target_utilization,
                                 scaling.min_capacity)
    static = plan_static_fleet(record, scaling, fleet.max_capacity, recovery(
        rates.average, rates.peak, rates.backlog, per_task, need.drain_seconds_allowed))
    if static is not None:
        scaling, most = static
        fleet = replace(fleet, max_capacity=most)

    predictive = plan_predictive(record, workload, per_task, scaling, age)

    visibility = plan_visibility_timeout(record, workload,
                                         limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS if workload.sqs_like else None)
    if workload.broker is Broker.redis:
        record.reasons["visibility_timeout_seconds"] = (
            "claim timeout for the Redis workers: " + record.reasons["visibility_timeout_seconds"]
        )
    stop_timeout = plan_stop_timeout(record, workload)
    drain = plan_drain(record, rates, fleet.max_capacity * per_task, f"{fleet.max_capacity} tasks x {num(per_task)}",
                       num(rates.average))
    retention = plan_retention(record, rates, 0 if math.isinf(drain) else drain, age,
                               limits.MAX_SOURCE_RETENTION_SECONDS)
    if math.isinf(drain):
        never_drains(record, fleet, need, per_task, rates)
    dlq_retention = plan_dlq_retention(record, retention)
    max_receive = plan_max_receive_count(record, workload, environment)
    fifo_high = plan_fifo_throughput(record, workload, rates.peak)

    alarms = plan_service_alarms(record, age, scaling.min_capacity, fleet.max_capacity, per_task)
    cache = (plan_cache(record, workload, environment, rates, fleet.max_capacity, alarms.saturation_messages,
                        lane.budgets.redis_clients) if workload.broker is Broker.redis else None)
    current_tasks, current_drain = plan_current_fleet(record, consumer.current_tasks, per_task, rates, retention, age)
    erlang = plan_erlang_cross_check(record, rates, per_task, consumer.concurrency_per_task, age,
                                     scaling.target_utilization, fleet.max_capacity, scaling.min_capacity)
    average_tasks, average_why = plan_average_tasks(record, scaling, per_task, fleet.max_capacity)
    cost = service_monthly_cost(record, workload, rates, per_task, cache, average_tasks, average_why)

    return Derived(
        **rate_fields(rates, per_task),
        receive_overhead_seconds=overhead,
        min_capacity=scaling.min_capacity,
        max_capacity=fleet.max_capacity,
        visibility_timeout_seconds=visibility,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=max_receive,
        drain_seconds=drain_field(drain),
        sink_requests_per_second=None,
        monthly_cost_usd=cost,
        alarms=alarms,
        cache=cache,
        scaling=ScalingPlan(
            target_backlog_per_task=scaling.target_backlog_per_task,
            scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
            scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
            target_utilization=scaling.target_utilization,
            scheduled_capacity=scaling.scheduled,
            deploy_min_capacity=scaling.deploy_min_capacity,
            scale_in_backlog_per_task=scaling.scale_in_backlog_per_task,
            hourly_arrival_per_second=scaling.hourly_rates,
            time_zone=workload.traffic.daily_shape.time_zone if workload.traffic.daily_shape else None,
            predictive=predictive,
        ),
        service=ServicePlan(
            stop_timeout_seconds=stop_timeout,
            fifo_high_throughput=fifo_high,
            current_tasks=current_tasks,
            current_drain_seconds=current_drain,
            erlang_peak_tasks=erlang,
        ),
    )


def plan_erlang_cross_check(d: Derivation, rates: Rates, per_task: float, concurrency: int, age: float,
                            utilization: float, max_capacity: int, min_capacity: int = 0) -> int | None:
    """Erlang C's fewest tasks at the steady peak, beside the plan's own fleet there and why the two differ."""
    if rates.peak <= 0 or per_task <= 0:
        return None
    staffing = fewest_tasks(rates.peak, concurrency / per_task, concurrency, age)
    tracked, _ = resting_peak_tasks(rates.peak, per_task, utilization)
    resting = max(tracked, min_capacity)
    if resting > staffing.tasks and min_capacity > tracked:
        why = (f"the plan rests at {tasks(resting)} at the peak, more: its min capacity, above the {tasks(tracked)} "
               "target tracking would rest at (see min_capacity)")
    elif resting > staffing.tasks:
        why = (f"the plan rests at {tasks(resting)} at the peak, more: target tracking keeps each task "
               f"{round(utilization * 100)}% busy so that a surge lifts its metric while messages are young (it "
               "reacts in minutes, which a steady M/M/c queue never has to)")
    elif resting == staffing.tasks:
        why = f"the plan rests at the same {tasks(resting)} at the peak"
    else:
        why = (f"the plan rests at {tasks(resting)} at the peak, fewer: the objective bounds the oldest message, "
               f"which a fleet can hold while more than {DEFAULT_MISS_PROBABILITY:.0%} of messages wait a little (its "
               "simulation checked it)")
    room = max_capacity - max(resting, staffing.tasks)
    why += (f"; max capacity {max_capacity} leaves {tasks(room)} above that to drain a spike's backlog" if room > 0
            else f"; max capacity {max_capacity} leaves no room above that (see max_capacity)")
    return d.set("erlang_peak_tasks", staffing.tasks, f"{staffing.reason}; {why}")


def tasks_for_objective(rates: Rates, per_task: float, age: float) -> Need:
    """Tasks for the peak at the planned utilization, and for draining the backlog in the time allowed."""
    util = limits.TARGET_UTILIZATION
    peak_tasks = math.ceil(rates.peak / (per_task * util))
    peak_why = f"ceil(peak {num(rates.peak)} / ({num(per_task)} x {util})) = {peak_tasks} for the peak"
    allowed = min(rates.drain_seconds_allowed, limits.MAX_SOURCE_RETENTION_SECONDS - age)
    drain_rate = rates.average + rates.backlog / allowed if rates.backlog else 0.0
    drain_tasks = math.ceil(drain_rate / per_task) if rates.backlog else 0
    needed = max(peak_tasks, drain_tasks, 1)
    if not rates.backlog:
        reason = f"{needed} = {peak_why}"
    else:
        drain_why = (
            f"ceil((average {num(rates.average)} + backlog {num(rates.backlog)} / {num(round(allowed))} s) / "
            f"{num(per_task)}) = {drain_tasks} to drain the backlog within {duration(allowed)}"
        )
        if allowed < rates.drain_seconds_allowed:
            drain_why += (f" (the {duration(limits.MAX_SOURCE_RETENTION_SECONDS)} retention bound minus the objective "
                          "is tighter than drain_backlog_within_hours)")
        reason = f"{needed} = the larger of {peak_why}; {drain_why}"
    binding = f"backlog drain within {duration(allowed)}" if drain_tasks > peak_tasks else "peak arrivals"
    return Need(peak_tasks, drain_tasks, allowed, max(rates.peak, drain_rate), binding, reason)


def capped_fleet(record: Derivation, workload: Workload, lane: Lane, per_task: float, need: Need) -> Fleet:
    """max_capacity: what the objective needs, capped by every budget that binds (the sink, connections, ECS)."""
    value, capped_by, binding = need.tasks, None, need.binding
    caps = service_caps(workload, per_task, record, lane.budgets, need.required_per_second)
    for cap in caps:
        if cap.tasks <= value:
            value, capped_by, binding = cap.tasks, cap, cap.limit
    why = need.reason
    if capped_by is not None:
        why += f"; capped at {capped_by.tasks} by {capped_by.limit}: {capped_by.detail}"
    why += f": {binding} binds"
    max_capacity = record.set("max_capacity", value, why)
    if record.overridden("max_capacity"):
        binding = "max_capacity override"
    record.binding = binding
    judge_max_capacity(record, caps, max_capacity)
    return Fleet(max_capacity, capped_by, binding, tuple(caps))


def _lift(record: Derivation, fleet: Fleet) -> Cap | None:
    """The cap whose fix and patch apply to a shortfall: the one that bound, unless the user overrode the size."""
    return fleet.capped_by if fleet.capped_by and not record.overridden("max_capacity") else None


def check_throughput(record: Derivation, fleet: Fleet, need: Need, per_task: float, rates: Rates) -> None:
    """An error when max capacity is short of what the objective needs; a warning when it runs the peak hot."""
    throughput = fleet.max_capacity * per_task
    lift = _lift(record, fleet)
    if throughput < need.required_per_second:
        need_tasks = math.ceil(need.required_per_second / per_task)
        record.error(
            lift.limit if lift else fleet.binding,
            f"{tasks(fleet.max_capacity)} x {num(per_task)} msg/s = {num(round(throughput, 3))} msg/s is short of the "
            f"{num(round(need.required_per_second, 3))} msg/s the objective needs (short by "
            f"{num(round(need.required_per_second - throughput, 3))} msg/s, {tasks(need_tasks - fleet.max_capacity)})",
            lift.fix if lift else f"set overrides.max_capacity to at least {need_tasks} (or remove it)",
            lift.patch if lift else {"overrides.max_capacity": max(need_tasks, need.peak_tasks)},
        )
    elif fleet.max_capacity < need.peak_tasks:
        cap = fleet.capped_by
        record.warn(
            "peak headroom",
            f"{fleet.max_capacity} tasks cover the peak at {num(round(rates.peak / throughput * 100, 1))}% utilisation, "
            f"above the planned {int(limits.TARGET_UTILIZATION * 100)}%",
            cap.fix if cap else None,
            cap.patch if cap else {"overrides.max_capacity": need.peak_tasks},
        )


def never_drains(record: Derivation, fleet: Fleet, need: Need, per_task: float, rates: Rates) -> None:
    """The error for a fleet that does no more than keep up, so the backlog never shrinks."""
    lift = _lift(record, fleet)
    enough = math.floor(rates.average / per_task) + 1
    record.error(
        "backlog never drains",
        f"{fleet.max_capacity} tasks process {num(round(fleet.max_capacity * per_task, 3))} msg/s, no more than the "
        f"{num(rates.average)} msg/s arriving: the backlog never shrinks",
        lift.fix if lift else f"set overrides.max_capacity to at least {enough} (or remove it)",
        lift.patch if lift else {"overrides.max_capacity": max(need.peak_tasks, enough)},
    )


def plan_stop_timeout(record: Derivation, workload: Workload) -> int:
    """The container's stop timeout: the worst batch in progress plus the worker's teardown budget, at most
    Fargate's maximum; a warning where a batch at p99 cannot finish inside it."""
    consumer = workload.consumer
    worst_batch = math.ceil(consumer.receive_batch / consumer.concurrency_per_task) * consumer.p99_seconds
    budget = limits.WORKER_SHUTDOWN_BUDGET_SECONDS
    wanted = math.ceil(worst_batch + budget)
    stop = min(limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS, wanted)
    chosen = record.set(
        "stop_timeout_seconds",
        stop,
        f"{stop} s = ceil(the worst batch in progress {num(round(worst_batch, 2))} s + the worker's "
        f"{num(budget)} s teardown budget), at most Fargate's {limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS} s, so "
        "scale-in lets a task finish its batch and release what it holds before SIGKILL",
    )
    if wanted > limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS:
        record.warn(
            "scale-in interrupts work",
            f"a batch can take {duration(worst_batch)} at p99, and with the worker's {num(budget)} s teardown that "
            f"is longer than Fargate's {limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS} s stop timeout: scale-in can stop a "
            "task mid-batch (its messages come back after the visibility timeout)",
            "have the worker hold ECS task scale-in protection while busy (docs/workers.md)",
        )
    return chosen


def plan_fifo_throughput(record: Derivation, workload: Workload, peak: float) -> bool:
    """FIFO only: an error past high-throughput mode's ceiling, and whether that mode is on."""
    if workload.broker is not Broker.sqs_fifo:
        return False
    if peak > limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND:
        record.error(
            "SQS FIFO throughput",
            f"peak {num(peak)} msg/s is over FIFO high-throughput mode's "
            f"{num(limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND)}",
            "partition the workload across several FIFO queues, or use a standard queue",
        )
    return fifo_high_throughput(record, peak)


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
