"""A whole stack's plan: one WorkloadPlan per lane, each from its broker's planner, plus routing.

Budgets lanes share (a sink, Redis maxclients) are split first (budgets.py); each finding's
candidate patches are checked last (patches.py), against a re-plan of the patched profile.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from capacity import limits
from capacity.plan.budgets import shared_budgets
from capacity.plan.cloudflare import plan_cloudflare
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.lanes import Lane, lanes_of
from capacity.plan.models import Plan, WorkloadPlan
from capacity.plan.patches import attach_patches
from capacity.plan.scheduled import plan_scheduled
from capacity.plan.service import plan_service
from capacity.profile import Broker, Cache, ConsumerMode, Profile, Workload
from capacity.routing import routing_rule, shard_rule


def plan(profile: Profile, check_patches: bool = True) -> Plan:
    """Derive the plan of every workload in a profile; with `check_patches`, each finding's patch is checked."""
    result = _plan_stack(profile)
    if check_patches:
        result = attach_patches(profile, result, _plan_stack)
    return result


def _plan_stack(profile: Profile) -> Plan:
    plans: list[WorkloadPlan] = []
    routing: dict[str, str] = {}
    budgets = shared_budgets(profile)
    for index, w in enumerate(profile.workloads):
        lanes = [dataclasses.replace(lane, budgets=budgets[lane.name]) if lane.name in budgets else lane
                 for lane in lanes_of(w)]
        plans.extend(_plan_lane(profile, index, w, lane) for lane in lanes)
        rule = routing_rule(w.name, [lane.name for lane in lanes], by_priority=bool(w.priorities))
        if rule:
            routing[w.name] = rule
    for p in plans:
        if p.broker == Broker.cloudflare.value and p.shards and p.shards > 1:
            # No list of names: a typo can derive millions of shards (flagged as an error finding).
            routing[p.name] = shard_rule(p.name, p.shards)
    return Plan(
        environment=profile.environment.value,
        alert_emails=tuple(profile.alerts.emails),
        workloads=tuple(plans),
        routing=routing,
    )



# Fields a broker's planner leaves unset, so every WorkloadPlan has every field.
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
    receive_overhead_seconds=0.0,
)


def _plan_lane(profile: Profile, index: int, w: Workload, lane: Lane) -> WorkloadPlan:
    d = Derivation(overrides=w.overrides.model_dump(exclude_none=True), prefix=f"workloads[{index}]")
    if w.broker is Broker.cloudflare:
        derived = plan_cloudflare(profile, w, lane, d)
    elif w.consumer.mode is ConsumerMode.scheduled:
        derived = plan_scheduled(profile, w, lane, d)
    else:
        derived = plan_service(profile, w, lane, d)
    values = {**_DEFAULTS, **derived}
    _propose_planned_values(d)
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
        cache_producer_connections=(math.ceil(lane.budgets.redis_clients.apply(cache.producer_connections))
                                    if cache else None),
        sink_name=w.sink.name if w.sink else None,
        sink_max_connections=w.sink.max_connections if w.sink else None,
        sink_connections_per_slot=w.sink.connections_per_slot if w.sink and w.sink.max_connections else None,
        reasons=d.reasons,
        findings=tuple(d.findings),
        **values,
    )


def _propose_planned_values(d: Derivation) -> None:
    """An error with no patch of its own, in a workload with overrides, may be the overrides' doing:
    propose, one at a time, the value the planner would have chosen for each overridden field."""
    fallback = [{f"overrides.{name}": d.planned[name]} for name in d.overrides if name in d.planned]
    if not fallback:
        return
    d.findings[:] = [
        f.model_copy(update={"candidates": d.candidates(fallback)})
        if f.severity == "error" and not f.candidates else f
        for f in d.findings
    ]
