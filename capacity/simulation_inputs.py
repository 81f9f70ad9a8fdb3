"""Simulation inputs from a plan: the queue model, the plan's fleet and the fleets it is compared with.

It lives beside the verifier, not in capacity/simulate: the simulator knows queues and fleets,
never the planner's models, so the two never import each other.
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from capacity import limits
from capacity.plan import WorkloadPlan
from capacity.scenarios import Scenario
from capacity.pricing import cloudflare_usd_per_message, task_usd_per_hour
from capacity.profile import Broker, Sink
from capacity.simulate import (
    CdkDefaultFleet,
    CloudflareFleet,
    Fleet,
    QueueModel,
    ScheduledFleet,
    Settings,
    StaticFleet,
    TargetTrackingFleet,
)
from capacity.simulate.sizing import fewest_static_tasks, lowest_static_tasks, static_label


def sink_messages_per_second(sink: Sink | None, plan: WorkloadPlan, share: float = 1.0) -> float | None:
    """The messages per second the sink accepts from this queue (its share of it), or None when uncapped."""
    if sink is None:
        return None
    caps: list[float] = []
    if sink.requests_per_second is not None:
        per_request = sink.messages_per_request
        if sink.max_request_bytes is not None:
            per_request = min(per_request, max(1, sink.max_request_bytes // plan.message_bytes))
        if plan.cloudflare is not None:
            batch = plan.cloudflare.batch_size
            per_request = min(per_request, batch)
            caps.append(sink.requests_per_second * batch / math.ceil(batch / per_request))
        else:
            caps.append(sink.requests_per_second * per_request)
    if sink.bytes_per_second is not None:
        caps.append(sink.bytes_per_second / plan.message_bytes)
    if sink.max_connections is not None and plan.cloudflare is None:
        slots = sink.max_connections / sink.connections_per_slot
        caps.append(slots / plan.processing_seconds)
    return min(caps) * share if caps else None


def _slot_seconds(plan: WorkloadPlan) -> float:
    """One slot's cycle per message as the plan rates it: processing + receive overhead (c / mu for our workers)."""
    if plan.broker is Broker.cloudflare or plan.per_task_messages_per_second <= 0:
        return plan.processing_seconds
    return plan.concurrency_per_task / plan.per_task_messages_per_second


def model_from_plan(plan: WorkloadPlan, sink: Sink | None = None, share: float = 1.0) -> QueueModel:
    """The queue model of one WorkloadPlan; share is this queue's part of a sink its group shares."""
    cloudflare = plan.cloudflare
    return QueueModel(
        name=plan.name,
        processing_seconds=_slot_seconds(plan),
        concurrency_per_task=cloudflare.batch_size if cloudflare else plan.concurrency_per_task,
        max_age_seconds=plan.max_age_seconds,
        sink_messages_per_second=None if plan.scheduled else sink_messages_per_second(sink, plan, share),
        task_usd_per_hour=0.0 if cloudflare else task_usd_per_hour(plan.task_cpu, plan.task_memory_mib, plan.architecture),
        usd_per_message=cloudflare_usd_per_message(plan.message_bytes) if cloudflare else 0.0,
        processing_p99_seconds=plan.processing_p99_seconds + plan.receive_overhead_seconds,
    )


def plan_fleet(
    plan: WorkloadPlan, min_capacity: int | None = None, target_backlog_per_task: float | None = None,
    start_second_of_day: int = 0, first_deploy: bool = False,
) -> Fleet:
    """The fleet the plan provisions; min_capacity and target override the plan's (for tuning); a run that starts
    at start_second_of_day of the schedule's local day finds the schedule's floor of that hour in force; a
    first_deploy starts with the tasks the service is created with (deploy_min_capacity with a schedule)."""
    if plan.cloudflare is not None:
        return CloudflareFleet(
            shards=plan.cloudflare.shards,
            batch_size=plan.cloudflare.batch_size,
            max_wait_seconds=plan.cloudflare.max_wait_time_ms / 1000,
            max_concurrency=plan.cloudflare.max_concurrency,
        )
    if plan.scheduled is not None:
        return ScheduledFleet(interval_seconds=plan.scheduled.interval_seconds, batch_limit=plan.scheduled.batch_limit)
    scaling = plan.scaling
    if scaling is None:
        raise ValueError(f"plan of {plan.name!r} ({plan.broker}, {plan.mode}) has no autoscaling to simulate")
    target = target_backlog_per_task if target_backlog_per_task is not None else scaling.target_backlog_per_task
    return TargetTrackingFleet(
        min_capacity=plan.min_capacity if min_capacity is None else min_capacity,
        max_capacity=plan.max_capacity,
        target_backlog_per_task=target,
        scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
        scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
        schedule=schedule_of(plan) if min_capacity is None else (),
        start_second_of_day=start_second_of_day,
        deploy_min_capacity=(scaling.deploy_min_capacity or plan.min_capacity) if first_deploy else None,
        scale_in_fraction=(None if scaling.scale_in_backlog_per_task is None
                           else scaling.scale_in_backlog_per_task / scaling.target_backlog_per_task),
    )


def schedule_of(plan: WorkloadPlan) -> tuple[tuple[int, int], ...]:
    """The plan's scheduled actions as (second of the local day, min capacity) for the simulator."""
    actions = plan.scaling.scheduled_capacity if plan.scaling else ()
    return tuple((a.hour * limits.SECONDS_PER_HOUR, a.min_capacity) for a in actions)


def comparison_fleets(plan: WorkloadPlan, start_second_of_day: int = 0, first_deploy: bool = False,
                      static: StaticFleet | None = None) -> list[Fleet]:
    """The plan's fleet and, for autoscaled services, a static fleet (`static`, else one at max capacity) and CDK's
    default scaling; a plan that is itself static (min = max) is compared with CDK's scaling alone."""
    own = plan_fleet(plan, start_second_of_day=start_second_of_day, first_deploy=first_deploy)
    if not isinstance(own, TargetTrackingFleet):
        return [own]
    cdk = CdkDefaultFleet(min_capacity=max(plan.min_capacity, 1), max_capacity=plan.max_capacity)
    if plan.min_capacity >= plan.max_capacity and not plan.scaling.scheduled_capacity:
        return [own, cdk]
    return [own, static or StaticFleet(tasks=plan.max_capacity, label=static_label(plan.max_capacity)), cdk]


def smallest_static_fleet(plan: WorkloadPlan, model: QueueModel, scenario: Scenario, settings: Settings) -> StaticFleet:
    """The fewest static tasks, up to max capacity, that hold the objective in this run (it ends clearing in time);
    max capacity, labelled so, when none does."""
    from capacity.simulate import simulate

    lowest = lowest_static_tasks(model, float(scenario.arrivals_per_second.mean()))
    sizing = fewest_static_tasks(simulate, model, [(scenario, settings)], lambda tasks, proved: [],
                                 min(lowest, plan.max_capacity), plan.max_capacity)
    if sizing is None:
        return StaticFleet(tasks=plan.max_capacity, label=f"{static_label(plan.max_capacity)} (max capacity; it misses)")
    return StaticFleet(tasks=sizing.tasks, label=f"{static_label(sizing.tasks)} (the fewest that hold)")


def schedule_time_zone(plan: WorkloadPlan) -> str:
    """The time zone the plan's scheduled actions run in (its daily shape's), UTC when it has none."""
    return (plan.scaling.time_zone if plan.scaling is not None else None) or "UTC"


def run_start(scenario: Scenario, plan: WorkloadPlan) -> tuple[int, str]:
    """(second of the schedule's local day the run starts at, what to say of it): a trace's first timestamp in
    the plan's time zone; a run without one starts at local midnight, and says it assumes so."""
    zone = schedule_time_zone(plan)
    if scenario.start is None and scenario.start_second_of_day is not None:
        hour, minute = divmod(scenario.start_second_of_day // 60, 60)
        return scenario.start_second_of_day, f"starts {hour:02d}:{minute:02d} {zone}"
    if scenario.start is None:
        return 0, f"starts 00:00 {zone} (no timestamps: assumed)"
    local = scenario.start.astimezone(ZoneInfo(zone))
    second = local.hour * limits.SECONDS_PER_HOUR + local.minute * 60 + local.second
    return second, f"starts {local:%Y-%m-%d %H:%M} {zone}"
