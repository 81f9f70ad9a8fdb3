"""The queue's verdicts: flow against the plan's peak, age of the oldest, drain, expiry risk, the dead-letter queue."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan import WorkloadPlan, duration, num
from qcap.live.derived_numbers import Computed
from qcap.live.drain import is_steady
from qcap.live.facts import Level, QueueFacts, WorkloadFacts
from qcap.live.verdict import Check, rate


def check_flow(plan: WorkloadPlan, c: Computed) -> Check:
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


def check_age(plan: WorkloadPlan, c: Computed) -> Check:
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


def check_drain(plan: WorkloadPlan, queue: QueueFacts, c: Computed) -> Check:
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


def check_expiry(name: str, queue: QueueFacts, c: Computed) -> Check:
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


def check_dlq(facts: WorkloadFacts, c: Computed) -> Check:
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
