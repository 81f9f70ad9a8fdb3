"""The doctor's verdicts: a workload's live facts judged against its plan, as ok / warn / critical checks.

Pure: facts in (qcap.live.facts), checks out, each carrying the numbers behind it; the
gathering with boto3 is in qcap.live.doctor. docs/doctor.md states every formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from capacity import contract, limits
from capacity.plan import WorkloadPlan, duration, num
from qcap.live.drain import (
    DlqGrowth,
    Flow,
    TasksNeeded,
    clear_seconds,
    dlq_growth,
    drain_eta_seconds,
    flow,
    is_steady,
    latest,
    messages_at_risk,
    tasks_needed,
    wait_seconds,
)
from qcap.live.facts import LEVEL_ORDER, Level, QueueFacts, ScalingFacts, WorkloadFacts


@dataclass(frozen=True)
class Check:
    """One verdict with the numbers behind it."""

    workload: str
    name: str
    level: Level
    value: str
    expected: str
    detail: str


@dataclass(frozen=True)
class Computed:
    """The derived numbers of one workload, each checkable from the facts."""

    backlog: int
    oldest_age_seconds: float
    flow: Flow
    eta_seconds: float
    wait_seconds: float
    clear_seconds: float
    at_risk: int
    tasks: TasksNeeded
    fleet_per_second: float | None
    dlq: DlqGrowth
    age_measured: bool = True
    """False when CloudWatch had no ApproximateAgeOfOldestMessage datapoint in the window."""

    @property
    def keeps_pace(self) -> bool:
        """Outflow matches inflow and what waits clears within the objective's reach: no backlog to drain."""
        return math.isinf(self.eta_seconds) and is_steady(self.flow.inflow_per_second, self.flow.outflow_per_second)


@dataclass(frozen=True)
class Diagnosis:
    workload: str
    facts: WorkloadFacts
    computed: Computed | None
    checks: tuple[Check, ...]

    @property
    def level(self) -> Level:
        return worst(c.level for c in self.checks)


def worst(levels: Any) -> Level:
    result: Level = "ok"
    for level in levels:
        if LEVEL_ORDER[level] > LEVEL_ORDER[result]:
            result = level
    return result


def rate(x: float) -> str:
    return f"{num(round(x, 3))}/s"


def compute(plan: WorkloadPlan, facts: WorkloadFacts) -> Computed:
    """Every derived number for a workload whose queue exists."""
    queue = facts.queue
    assert queue is not None
    f = flow(facts.history)
    backlog = queue.backlog
    age = latest(facts.history.oldest_age) or 0.0
    eta = drain_eta_seconds(backlog, f.inflow_per_second, f.outflow_per_second)
    clear = clear_seconds(backlog, f.inflow_per_second, f.outflow_per_second)
    tasks = tasks_needed(
        f.inflow_per_second,
        backlog,
        age,
        queue.retention_seconds,
        plan.max_age_seconds,
        plan.per_task_messages_per_second,
    )
    fleet = (
        facts.service.running * plan.per_task_messages_per_second if facts.service and facts.service.found else None
    )
    return Computed(
        backlog=backlog,
        oldest_age_seconds=age,
        age_measured=bool(facts.history.oldest_age),
        flow=f,
        eta_seconds=eta,
        wait_seconds=wait_seconds(backlog, f.outflow_per_second),
        clear_seconds=clear,
        at_risk=messages_at_risk(backlog, age, clear, queue.retention_seconds),
        tasks=tasks,
        fleet_per_second=fleet,
        dlq=dlq_growth(facts.history.dlq_visible, facts.dlq_visible),
    )


def diagnose(plan: WorkloadPlan, facts: WorkloadFacts) -> Diagnosis:
    """All checks of one workload against its plan."""
    name = plan.name
    if facts.queue is None:
        check = Check(
            name,
            "queue",
            "critical",
            "missing",
            facts.queue_name,
            f"queue {facts.queue_name} does not exist in this account and region: deploy the stack "
            "(pulumi up) or point doctor at the queue with --queue-url",
        )
        return Diagnosis(name, facts, None, (check,))
    c = compute(plan, facts)
    checks = [
        _check_flow(plan, c),
        _check_age(plan, c),
        _check_drain(plan, facts.queue, c),
        _check_expiry(name, facts.queue, c),
    ]
    if facts.service is not None:
        checks.extend(_check_service(plan, facts, c))
    checks.append(_check_dlq(facts, c))
    checks.extend(_check_queue_drift(plan, facts.queue))
    if facts.scaling is not None and (facts.service is None or facts.service.found):
        checks.extend(_check_scaling_drift(plan, facts.scaling))
    return Diagnosis(name, facts, c, tuple(checks))


def _check_flow(plan: WorkloadPlan, c: Computed) -> Check:
    f = c.flow
    value = (
        f"in {rate(f.inflow_per_second)} ({f.inflow_trend.direction}), "
        f"out {rate(f.outflow_per_second)} ({f.outflow_trend.direction})"
    )
    window = duration(f.window_seconds)
    detail = (
        f"NumberOfMessagesSent and NumberOfMessagesDeleted summed over {window} / {num(f.window_seconds)} s; "
        f"halves: in {rate(f.inflow_trend.first_half_per_second)} -> {rate(f.inflow_trend.second_half_per_second)}, "
        f"out {rate(f.outflow_trend.first_half_per_second)} -> {rate(f.outflow_trend.second_half_per_second)}"
    )
    peak = plan.arrival_peak_per_second
    level: Level = "ok"
    if f.inflow_per_second > peak * (1 + limits.DOCTOR_TREND_TOLERANCE):
        level = "warn"
        detail = f"inflow is above the plan's peak {rate(peak)}: the fleet was sized for less; " + detail
    return Check(plan.name, "flow", level, value, f"peak {rate(peak)}", detail)


def _check_age(plan: WorkloadPlan, c: Computed) -> Check:
    age, objective = c.oldest_age_seconds, plan.max_age_seconds
    if age > objective:
        level: Level = "critical"
    elif age > limits.DOCTOR_WARN_FRACTION * objective:
        level = "warn"
    else:
        level = "ok"
    if not c.age_measured:
        # "0 s" would read as fine while messages wait; say there is nothing to judge by.
        waiting = f"{num(c.backlog)} message{'s' if c.backlog != 1 else ''} wait"
        return Check(plan.name, "age of oldest", "warn" if c.backlog else "ok", "no data", f"<= {duration(objective)}",
                     f"no ApproximateAgeOfOldestMessage datapoint in the window while {waiting}: CloudWatch has "
                     "not published it (an idle queue's metrics lag up to 15 min); run again later")
    detail = f"ApproximateAgeOfOldestMessage, latest datapoint: {num(round(age))} s against the {num(objective)} s objective"
    return Check(plan.name, "age of oldest", level, duration(age), f"<= {duration(objective)}", detail)


def _check_drain(plan: WorkloadPlan, queue: QueueFacts, c: Computed) -> Check:
    f = c.flow
    i, o = f.inflow_per_second, f.outflow_per_second
    backlog = c.backlog
    behind = (
        f"backlog {num(backlog)} = visible {num(queue.visible)} + in flight {num(queue.in_flight)} + "
        f"delayed {num(queue.delayed)}"
    )
    eta_text = "never" if math.isinf(c.eta_seconds) else duration(c.eta_seconds)
    if backlog == 0:
        return Check(plan.name, "drain", "ok", "empty", "", behind)
    if math.isinf(c.eta_seconds):
        formula = f"inflow {rate(i)} >= outflow {rate(o)}"
    else:
        formula = f"ETA = {num(backlog)} / (out {rate(o)} - in {rate(i)}) = {duration(c.eta_seconds)}"
    wait = f"wait about {num(backlog)} / {rate(o)} = {duration(c.wait_seconds)} (Little's law)"
    objective = plan.max_age_seconds
    if o <= 0:
        return Check(plan.name, "drain", "critical", "never", f"wait <= {duration(objective)}",
                     f"{behind}; nothing was deleted in the window: consumers are stopped or failing")
    if o <= i and not is_steady(i, o):
        growth = (i - o) * limits.SECONDS_PER_HOUR
        return Check(plan.name, "drain", "critical", "never", f"wait <= {duration(objective)}",
                     f"{behind}; {formula}: the backlog grows by {num(round(growth))} messages an hour")
    if c.wait_seconds <= objective:
        shown = "no backlog to drain" if math.isinf(c.eta_seconds) else eta_text
        return Check(plan.name, "drain", "ok", shown, f"wait <= {duration(objective)}", f"{behind}; {wait}; {formula}")
    if o <= i:
        return Check(plan.name, "drain", "critical", "never", f"wait <= {duration(objective)}",
                     f"{behind}; {formula}: outflow only keeps pace, the backlog does not shrink; {wait}")
    room = queue.retention_seconds - c.oldest_age_seconds
    if c.eta_seconds > room:
        return Check(
            plan.name, "drain", "critical", f"never: {eta_text}", f"<= {duration(room)}",
            f"{behind}; {formula}: longer than the {duration(room)} before the oldest message expires "
            f"(retention {duration(queue.retention_seconds)} - age {duration(c.oldest_age_seconds)}), so the "
            f"backlog never drains intact; {wait}",
        )
    return Check(plan.name, "drain", "warn", eta_text, f"wait <= {duration(objective)}",
                 f"{behind}; {formula}; {wait}, over the objective until it drains")


def _check_expiry(name: str, queue: QueueFacts, c: Computed) -> Check:
    r = queue.retention_seconds
    clear = c.clear_seconds
    clear_text = "never" if math.isinf(clear) else duration(clear)
    detail = (
        f"oldest {duration(c.oldest_age_seconds)} + time to reach what waits {clear_text} against retention "
        f"{duration(r)}"
    )
    if c.at_risk > 0:
        if not math.isinf(clear) and clear >= r:
            detail += "; what waits takes longer to reach than retention itself, so all of it is at risk"
        elif not math.isinf(clear):
            detail += (
                f"; messages older than {duration(max(0.0, r - clear))} may expire: {num(c.backlog)} x "
                f"min(1, ({num(round(c.oldest_age_seconds))} - {num(round(r - clear))}) / "
                f"{num(round(c.oldest_age_seconds))})"
            )
        else:
            detail += "; the backlog never clears, so all of it is at risk"
        return Check(name, "expiry risk", "critical", f"{num(c.at_risk)} messages", "0", detail)
    if c.oldest_age_seconds + clear > limits.DOCTOR_WARN_FRACTION * r:
        return Check(name, "expiry risk", "warn", "0 messages", "0",
                     detail + f"; within {round((1 - limits.DOCTOR_WARN_FRACTION) * 100)}% of retention")
    return Check(name, "expiry risk", "ok", "0 messages", "0", detail)


def _check_service(plan: WorkloadPlan, facts: WorkloadFacts, c: Computed) -> list[Check]:
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


def _check_dlq(facts: WorkloadFacts, c: Computed) -> Check:
    queue = facts.queue
    assert queue is not None
    name = facts.workload
    if queue.dlq_arn is None:
        return Check(name, "dead-letter queue", "critical", "none", "redrive policy",
                     "the queue has no RedrivePolicy: a message that always fails is retried until it expires")
    if facts.dlq_visible is None:
        return Check(name, "dead-letter queue", "critical", "missing", facts.dlq_name or queue.dlq_arn,
                     f"the redrive policy names {queue.dlq_arn}, which does not exist: failing messages are lost")
    d = c.dlq
    first = "no datapoints" if d.first is None else num(d.first)
    detail = f"ApproximateNumberOfMessages now {num(d.now)}; CloudWatch visible at window start {first}"
    if d.growth > 0:
        return Check(name, "dead-letter queue", "critical", f"{num(d.now)} (+{num(d.growth)})", "0",
                     detail + f"; grew by {num(d.growth)} in the window: messages are failing now")
    if (d.now or 0) > 0:
        return Check(name, "dead-letter queue", "warn", f"{num(d.now)}", "0",
                     detail + "; not growing: look at them, then `qcap redrive`")
    return Check(name, "dead-letter queue", "ok", "0", "0", detail)


def _drift(name: str, attribute: str, live: float | None, planned: float | None, unsafe_below: bool, source: str) -> Check:
    """One live-vs-plan comparison; lower than planned is critical where that is the unsafe side."""
    if planned is None:
        return Check(name, f"drift: {attribute}", "ok", num(live), "n/a", f"{source}; the plan sets none")
    if live is None:
        return Check(name, f"drift: {attribute}", "critical", "none", num(planned), f"{source}: not set live")
    if math.isclose(live, planned, rel_tol=1e-6, abs_tol=0.01):
        return Check(name, f"drift: {attribute}", "ok", num(live), num(planned), source)
    level: Level = "critical" if unsafe_below and live < planned else "warn"
    why = f"{source}: live {num(live)} differs from the plan's {num(planned)}"
    if level == "critical":
        why += " on the unsafe side"
    why += "; run `pulumi up` to restore it, or change the profile if the live value is intended"
    return Check(name, f"drift: {attribute}", level, num(live), num(planned), why)


def _check_queue_drift(plan: WorkloadPlan, queue: QueueFacts) -> list[Check]:
    n = plan.name
    checks = [
        _drift(n, "retention_seconds", queue.retention_seconds, plan.retention_seconds, True, "MessageRetentionPeriod"),
        _drift(n, "visibility_timeout_seconds", queue.visibility_timeout_seconds, plan.visibility_timeout_seconds, True,
               "VisibilityTimeout"),
        _drift(n, "max_receive_count", queue.max_receive_count, plan.max_receive_count, False,
               "RedrivePolicy.maxReceiveCount"),
        _drift(n, "max_message_bytes", queue.max_message_bytes, plan.max_message_bytes, True, "MaximumMessageSize"),
    ]
    tagged = queue.tags.get(contract.TAG_MAX_AGE_SECONDS)
    if tagged is not None:
        try:
            tagged_age: float | None = float(tagged)
        except ValueError:
            tagged_age = None
        checks.append(_drift(n, "objective tag", tagged_age, plan.max_age_seconds, False, f"tag {contract.TAG_MAX_AGE_SECONDS}"))
    return checks


def _check_scaling_drift(plan: WorkloadPlan, scaling: ScalingFacts) -> list[Check]:
    n = plan.name
    if not scaling.target_found:
        return [Check(n, "autoscaling", "critical", "none", f"{plan.min_capacity}-{plan.max_capacity} tasks",
                      f"no scalable target {scaling.resource_id}: the service cannot scale")]
    target = plan.scaling.target_backlog_per_task if plan.scaling else None
    checks = [
        _drift(n, "min_capacity", scaling.min_capacity, plan.min_capacity, False, "scalable target MinCapacity"),
        _drift(n, "max_capacity", scaling.max_capacity, plan.max_capacity, True, "scalable target MaxCapacity"),
    ]
    if scaling.policy_name is None:
        checks.append(Check(n, "drift: target_backlog_per_task", "critical", "none",
                            num(target),
                            "no TargetTrackingScaling policy on the service: it does not track backlog per task"))
    else:
        checks.append(_drift(n, "target_backlog_per_task", scaling.target_backlog_per_task,
                             target, False, f"policy {scaling.policy_name} TargetValue"))
    return checks


def as_json(stack: str, region: str | None, region_source: str, endpoint: str, window_minutes: int,
            diagnoses: Sequence[Diagnosis], notes: Sequence[str]) -> dict[str, Any]:
    """The whole report as JSON-safe data (infinite durations become null with a `never` flag)."""

    def seconds(x: float) -> float | None:
        return None if math.isinf(x) else round(x, 3)

    workloads = []
    for d in diagnoses:
        entry: dict[str, Any] = {
            "workload": d.workload,
            "level": d.level,
            "queue": d.facts.queue_name,
            "notes": list(d.facts.notes),
            "aws_calls": d.facts.aws_calls,
            "aws_retries": d.facts.aws_retries,
            "checks": [
                {"name": c.name, "level": c.level, "value": c.value, "expected": c.expected, "detail": c.detail}
                for c in d.checks
            ],
        }
        q = d.facts.queue
        if q is not None:
            entry["facts"] = {
                "queue_url": q.url,
                "visible": q.visible,
                "in_flight": q.in_flight,
                "delayed": q.delayed,
                "retention_seconds": q.retention_seconds,
                "visibility_timeout_seconds": q.visibility_timeout_seconds,
                "max_message_bytes": q.max_message_bytes,
                "max_receive_count": q.max_receive_count,
                "dlq": d.facts.dlq_name,
                "dlq_visible": d.facts.dlq_visible,
                "tags": q.tags,
                "running_tasks": d.facts.service.running if d.facts.service else None,
                "desired_tasks": d.facts.service.desired if d.facts.service else None,
                "min_capacity": d.facts.scaling.min_capacity if d.facts.scaling else None,
                "max_capacity": d.facts.scaling.max_capacity if d.facts.scaling else None,
                "target_backlog_per_task": d.facts.scaling.target_backlog_per_task if d.facts.scaling else None,
            }
        c = d.computed
        if c is not None:
            entry["computed"] = {
                "backlog": c.backlog,
                "oldest_age_seconds": c.oldest_age_seconds,
                "inflow_per_second": round(c.flow.inflow_per_second, 6),
                "outflow_per_second": round(c.flow.outflow_per_second, 6),
                "inflow_trend": c.flow.inflow_trend.direction,
                "outflow_trend": c.flow.outflow_trend.direction,
                "drain_eta_seconds": seconds(c.eta_seconds),
                "drains": not math.isinf(c.eta_seconds),
                "wait_seconds": seconds(c.wait_seconds),
                "messages_at_risk": c.at_risk,
                "tasks_needed": c.tasks.needed,
                "tasks_to_keep_up": c.tasks.keep_up,
                "tasks_to_drain": c.tasks.drain,
                "dlq_growth": c.dlq.growth,
            }
        workloads.append(entry)
    return {
        "stack": stack,
        "region": region,
        "region_source": region_source,
        "endpoint": endpoint,
        "window_minutes": window_minutes,
        "level": worst(d.level for d in diagnoses),
        "healthy": all(d.level == "ok" for d in diagnoses),
        "notes": list(notes),
        "workloads": workloads,
    }
