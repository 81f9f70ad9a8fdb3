"""A whole stack's plan: one WorkloadPlan per lane, each from its broker's planner, plus routing.

Budgets lanes share (a sink, Redis maxclients) are split first (budgets.py); each finding's
candidate patches are checked last (patches.py), against a re-plan of the patched profile.
"""

from __future__ import annotations

import dataclasses

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
from capacity.plan.units import check_units
from capacity.profile import Broker, ConsumerMode, Profile, Workload
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
        if p.cloudflare is not None and p.cloudflare.shards > 1:
            # No list of names: a typo can derive millions of shards (flagged as an error finding).
            routing[p.name] = shard_rule(p.name, p.cloudflare.shards)
    return Plan(
        environment=profile.environment.value,
        alert_emails=tuple(profile.alerts.emails),
        workloads=tuple(plans),
        routing=routing,
    )



def _plan_lane(profile: Profile, index: int, w: Workload, lane: Lane) -> WorkloadPlan:
    record = Derivation(overrides=w.overrides.model_dump(exclude_none=True), prefix=f"workloads[{index}]")
    check_units(record, w.consumer)
    if w.broker is Broker.cloudflare:
        derived = plan_cloudflare(profile, w, lane, record)
    elif w.consumer.mode is ConsumerMode.scheduled:
        derived = plan_scheduled(profile, w, lane, record)
    else:
        derived = plan_service(profile, w, lane, record)
    _propose_planned_values(record)
    errors = [f for f in record.findings if f.severity == "error"]
    first = errors[0] if errors else None
    consumer = w.consumer
    message_cap = limits.CLOUDFLARE_MAX_MESSAGE_BYTES if w.broker is Broker.cloudflare else limits.SQS_MAX_MESSAGE_BYTES
    record.reasons.setdefault(
        "max_message_bytes",
        f"{num(message_cap)}: the broker's maximum, set explicitly (pulumi-aws defaults to 262,144)",
    )
    record.reasons.setdefault("binding_limit", record.binding)
    return WorkloadPlan(
        **dict(derived),
        name=lane.name,
        group=w.name,
        lane=lane.lane,
        broker=w.broker,
        mode=consumer.mode,
        environment=profile.environment,
        feasible=not errors,
        binding_limit=first.limit if first else record.binding,
        shortfall=first.message if first else None,
        fix=first.fix if first else None,
        max_age_seconds=lane.max_age_seconds,
        processing_seconds=consumer.processing_seconds,
        processing_p99_seconds=consumer.p99_seconds,
        message_bytes=w.traffic.message_bytes,
        concurrency_per_task=consumer.concurrency_per_task,
        receive_batch=consumer.receive_batch,
        receive_wait_seconds=limits.SQS_MAX_RECEIVE_WAIT_SECONDS,
        task_cpu=consumer.task_cpu,
        task_memory_mib=consumer.task_memory_mib,
        architecture=consumer.architecture,
        image=consumer.image,
        script_name=consumer.script_name,
        max_message_bytes=message_cap,
        sink_name=w.sink.name if w.sink else None,
        sink_max_connections=w.sink.max_connections if w.sink else None,
        sink_connections_per_slot=w.sink.connections_per_slot if w.sink and w.sink.max_connections else None,
        reasons=record.reasons,
        findings=tuple(record.findings),
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
