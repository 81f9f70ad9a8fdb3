"""The consumers' verdicts: the ECS service running what it should, tasks enough for the flow, throughput per task."""

from __future__ import annotations

from capacity import limits
from capacity.plan import WorkloadPlan, num
from qcap.live.derived_numbers import Computed
from qcap.live.facts import Level, WorkloadFacts
from qcap.live.verdict import Check, rate


def check_service(plan: WorkloadPlan, facts: WorkloadFacts, c: Computed) -> list[Check]:
    service = facts.service
    assert service is not None
    name = plan.name
    if not service.found:
        return [Check(name, "service", "critical", "missing", f"{service.cluster}/{service.service}",
                      f"ECS service {service.service} not found in cluster {service.cluster}: deploy the stack")]
    checks: list[Check] = []
    level: Level = "warn" if service.running < service.desired else "ok"
    detail = f"ECS runningCount {service.running}, desiredCount {service.desired}, pendingCount {service.pending}"
    if level == "warn":
        detail += ": tasks are not starting (capacity, image pull, subnet addresses: see the service events)"
    checks.append(Check(name, "service", level, f"{service.running} running", f"{service.desired} desired", detail))

    t = c.tasks
    mu = plan.per_task_messages_per_second
    i = c.flow.inflow_per_second
    parts = [f"keep up: ceil(in {rate(i)} / ({num(mu)} x {limits.TARGET_UTILIZATION})) = {t.keep_up}"]
    if c.backlog:
        parts.append(
            f"clear the backlog before the oldest expires: ceil((in {rate(i)} + {num(c.backlog)} / "
            f"{num(round(t.drain_budget_seconds))} s) / {num(mu)}) = {t.drain}"
        )
    behind = "; ".join(parts)
    live_max = facts.scaling.max_capacity if facts.scaling and facts.scaling.max_capacity is not None else plan.max_capacity
    if service.running >= t.needed:
        checks.append(Check(name, "tasks needed", "ok", f"{t.needed}", f"<= {service.running} running", behind))
    elif t.needed <= live_max:
        checks.append(Check(name, "tasks needed", "warn", f"{t.needed}", f"<= {service.running} running",
                            f"{behind}; short by {t.needed - service.running}, within max_capacity {live_max}: "
                            "the autoscaler should add them"))
    else:
        checks.append(Check(name, "tasks needed", "critical", f"{t.needed}", f"<= {service.running} running",
                            f"{behind}; short by {t.needed - service.running}, and max_capacity {live_max} stops the "
                            f"autoscaler: raise it to {t.needed} (overrides.max_capacity) or partition the workload"))

    # Tasks are surely busy when more waits than their slots plus half the objective's worth of work
    # (the autoscaling target, concurrency x utilization, now sits below the slots and cannot say this).
    holds = service.running * (plan.concurrency_per_task + mu * plan.max_age_seconds * limits.BACKLOG_TARGET_HEADROOM)
    if c.fleet_per_second is not None and service.running > 0 and c.backlog > holds:
        o = c.flow.outflow_per_second
        delivered = o / c.fleet_per_second
        detail = (
            f"out {rate(o)} / ({service.running} running x {num(mu)} msg/s per task) = "
            f"{num(round(delivered * 100, 1))}% while messages wait"
        )
        if delivered < limits.DOCTOR_MIN_DELIVERY_FRACTION:
            checks.append(Check(name, "throughput per task", "warn", f"{num(round(delivered * 100, 1))}%",
                                f">= {int(limits.DOCTOR_MIN_DELIVERY_FRACTION * 100)}%",
                                detail + ": tasks are slower than planned (processing time, a slow sink, errors)"))
        else:
            checks.append(Check(name, "throughput per task", "ok", f"{num(round(delivered * 100, 1))}%",
                                f">= {int(limits.DOCTOR_MIN_DELIVERY_FRACTION * 100)}%", detail))
    return checks
