"""`qcap doctor`'s logic: gather a workload's live facts, compute its health, judge it against the plan.

Three layers, so the arithmetic is tested without AWS: `gather_*` read boto3 into frozen
dataclasses; pure functions turn facts into rates, a drain ETA, messages at risk and tasks
needed; `diagnose` turns those into ok / warn / critical checks that carry the numbers behind
them. docs/doctor.md states every formula.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from botocore.exceptions import ClientError

from capacity import limits
from capacity.plan import WorkloadPlan, duration, num
from qcap.live.aws import Aws, error_code, queue_name_from_arn, queue_name_from_url

Level = Literal["ok", "warn", "critical"]
LEVEL_ORDER: dict[str, int] = {"ok": 0, "warn": 1, "critical": 2}
SQS_BROKERS = ("sqs", "sqs-fifo")
QUEUE_MISSING_CODES = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")

# --- facts ----------------------------------------------------------------------------

Series = tuple[tuple[float, float], ...]
"""(epoch seconds, value) datapoints, oldest first."""


@dataclass(frozen=True)
class QueueFacts:
    """What GetQueueAttributes and ListQueueTags say about one queue."""

    url: str
    name: str
    arn: str
    visible: int
    in_flight: int
    delayed: int
    retention_seconds: int
    visibility_timeout_seconds: int
    max_message_bytes: int
    dlq_arn: str | None
    max_receive_count: int | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def backlog(self) -> int:
        """Messages not yet deleted: visible, in flight and delayed."""
        return self.visible + self.in_flight + self.delayed


@dataclass(frozen=True)
class History:
    """CloudWatch datapoints over the window [start, end) at one-minute periods."""

    start_epoch: float
    end_epoch: float
    sent: Series = ()
    deleted: Series = ()
    oldest_age: Series = ()
    dlq_visible: Series = ()

    @property
    def window_seconds(self) -> float:
        return self.end_epoch - self.start_epoch


@dataclass(frozen=True)
class ServiceFacts:
    """The ECS service's task counts (found=False when the cluster or service does not exist)."""

    cluster: str
    service: str
    found: bool
    running: int = 0
    desired: int = 0
    pending: int = 0


@dataclass(frozen=True)
class ScalingFacts:
    """The scalable target and the target-tracking policy on the service."""

    resource_id: str
    target_found: bool
    min_capacity: int | None = None
    max_capacity: int | None = None
    policy_name: str | None = None
    target_backlog_per_task: float | None = None


@dataclass(frozen=True)
class WorkloadFacts:
    """Everything read live about one workload; None means not checked (see notes)."""

    workload: str
    queue_name: str
    queue: QueueFacts | None
    dlq_name: str | None
    dlq_visible: int | None
    history: History
    service: ServiceFacts | None
    scaling: ScalingFacts | None
    aws_calls: int = 0
    aws_retries: int = 0
    notes: tuple[str, ...] = ()


# --- pure computations ----------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A rate in the first and second half of the window, and which way it went."""

    first_half_per_second: float
    second_half_per_second: float
    direction: Literal["rising", "falling", "steady"]


@dataclass(frozen=True)
class Flow:
    """Messages in (sent) and out (deleted) per second over the window, with their trends."""

    window_seconds: float
    inflow_per_second: float
    outflow_per_second: float
    inflow_trend: Trend
    outflow_trend: Trend


def series_rate_per_second(series: Series, start: float, end: float) -> float:
    """Sum of the datapoints in [start, end) divided by its length: a count metric as a rate."""
    if end <= start:
        return 0.0
    return sum(v for t, v in series if start <= t < end) / (end - start)


def trend(series: Series, start: float, end: float, tolerance: float = limits.DOCTOR_TREND_TOLERANCE) -> Trend:
    """Compare the rate of the window's second half with its first half."""
    middle = (start + end) / 2
    first = series_rate_per_second(series, start, middle)
    second = series_rate_per_second(series, middle, end)
    if second > first * (1 + tolerance) and second > 0:
        direction = "rising"
    elif second < first * (1 - tolerance):
        direction = "falling"
    else:
        direction = "steady"
    return Trend(first, second, direction)


def flow(history: History) -> Flow:
    start, end = history.start_epoch, history.end_epoch
    return Flow(
        window_seconds=history.window_seconds,
        inflow_per_second=series_rate_per_second(history.sent, start, end),
        outflow_per_second=series_rate_per_second(history.deleted, start, end),
        inflow_trend=trend(history.sent, start, end),
        outflow_trend=trend(history.deleted, start, end),
    )


def latest(series: Series) -> float | None:
    return series[-1][1] if series else None


def drain_eta_seconds(backlog: int, inflow_per_second: float, outflow_per_second: float) -> float:
    """Seconds until the backlog is gone at today's rates: backlog / (outflow - inflow); inf when it cannot shrink."""
    if backlog <= 0:
        return 0.0
    net = outflow_per_second - inflow_per_second
    return backlog / net if net > 0 else math.inf


def is_steady(inflow_per_second: float, outflow_per_second: float, tolerance: float = limits.DOCTOR_TREND_TOLERANCE) -> bool:
    """Outflow keeps pace with inflow within the measurement tolerance (and something flows)."""
    return outflow_per_second > 0 and abs(inflow_per_second - outflow_per_second) <= tolerance * max(
        inflow_per_second, outflow_per_second
    )


def wait_seconds(backlog: int, outflow_per_second: float) -> float:
    """Little's law: a message joining the backlog waits about backlog / outflow."""
    if backlog <= 0:
        return 0.0
    return backlog / outflow_per_second if outflow_per_second > 0 else math.inf


def clear_seconds(backlog: int, inflow_per_second: float, outflow_per_second: float) -> float:
    """How long the messages waiting now may wait for a consumer.

    Draining: until the queue is empty (standard queues pick messages in no particular order, so any
    of them may be among the last). Steady (outflow keeps pace): about backlog / outflow. Else never.
    """
    if backlog <= 0:
        return 0.0
    if outflow_per_second > inflow_per_second:
        return drain_eta_seconds(backlog, inflow_per_second, outflow_per_second)
    if is_steady(inflow_per_second, outflow_per_second):
        return wait_seconds(backlog, outflow_per_second)
    return math.inf


def messages_at_risk(backlog: int, oldest_age_seconds: float, clear_in_seconds: float, retention_seconds: float) -> int:
    """Messages that may expire before a consumer gets to them.

    A message expires if its age plus the time until it is processed passes retention, so those
    older than (retention - clear time) are at risk; ages are taken as spread evenly from 0 to the
    oldest's, giving backlog x (oldest - (retention - clear)) / oldest, between 0 and the backlog.
    """
    if backlog <= 0:
        return 0
    if math.isinf(clear_in_seconds):
        return backlog
    spare = retention_seconds - clear_in_seconds
    if oldest_age_seconds <= spare:
        return 0
    if oldest_age_seconds <= 0:
        return backlog
    fraction = min(1.0, (oldest_age_seconds - spare) / oldest_age_seconds)
    return math.ceil(backlog * fraction)


@dataclass(frozen=True)
class TasksNeeded:
    """Tasks the objective needs now, and the two terms it is the larger of."""

    keep_up: int
    drain: int
    drain_budget_seconds: float
    needed: int


def tasks_needed(
    inflow_per_second: float,
    backlog: int,
    oldest_age_seconds: float,
    retention_seconds: float,
    max_age_seconds: float,
    per_task_messages_per_second: float,
    utilization: float = limits.TARGET_UTILIZATION,
) -> TasksNeeded:
    """keep_up = ceil(inflow / (mu x utilization)); drain = ceil((inflow + backlog / budget) / mu).

    The budget is the time before the oldest waiting message expires (retention - its age), never
    less than the age objective: enough tasks to keep pace and to clear what waits before any of it
    is lost.
    """
    mu = per_task_messages_per_second
    keep_up = math.ceil(inflow_per_second / (mu * utilization)) if inflow_per_second > 0 else 0
    budget = max(retention_seconds - oldest_age_seconds, max_age_seconds)
    drain = math.ceil((inflow_per_second + backlog / budget) / mu) if backlog > 0 else 0
    needed = max(keep_up, drain, 1 if backlog > 0 or inflow_per_second > 0 else 0)
    return TasksNeeded(keep_up=keep_up, drain=drain, drain_budget_seconds=budget, needed=needed)


@dataclass(frozen=True)
class DlqGrowth:
    """Depth of the dead-letter queue at the start and end of the window (CloudWatch) and now."""

    first: float | None
    last: float | None
    now: int | None

    @property
    def growth(self) -> float:
        if self.first is None:
            return 0.0
        end = self.now if self.now is not None else self.last
        return max(0.0, (end or 0) - self.first)


def dlq_growth(series: Series, now: int | None) -> DlqGrowth:
    return DlqGrowth(first=series[0][1] if series else None, last=latest(series), now=now)


# --- verdicts -------------------------------------------------------------------------


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
        return Check(plan.name, "drain", "ok", eta_text, f"wait <= {duration(objective)}", f"{behind}; {wait}; {formula}")
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
                     detail + f"; within {int((1 - limits.DOCTOR_WARN_FRACTION) * 100)}% of retention")
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

    # Tasks are surely busy when more waits than the autoscaling target lets them hold.
    holds = service.running * (plan.target_backlog_per_task or plan.concurrency_per_task)
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
    tagged = queue.tags.get("qcap:max-age-seconds")
    if tagged is not None:
        try:
            tagged_age: float | None = float(tagged)
        except ValueError:
            tagged_age = None
        checks.append(_drift(n, "objective tag", tagged_age, plan.max_age_seconds, False, "tag qcap:max-age-seconds"))
    return checks


def _check_scaling_drift(plan: WorkloadPlan, scaling: ScalingFacts) -> list[Check]:
    n = plan.name
    if not scaling.target_found:
        return [Check(n, "autoscaling", "critical", "none", f"{plan.min_capacity}-{plan.max_capacity} tasks",
                      f"no scalable target {scaling.resource_id}: the service cannot scale")]
    checks = [
        _drift(n, "min_capacity", scaling.min_capacity, plan.min_capacity, False, "scalable target MinCapacity"),
        _drift(n, "max_capacity", scaling.max_capacity, plan.max_capacity, True, "scalable target MaxCapacity"),
    ]
    if scaling.policy_name is None:
        checks.append(Check(n, "drift: target_backlog_per_task", "critical", "none",
                            num(plan.target_backlog_per_task),
                            "no TargetTrackingScaling policy on the service: it does not track backlog per task"))
    else:
        checks.append(_drift(n, "target_backlog_per_task", scaling.target_backlog_per_task,
                             plan.target_backlog_per_task, False, f"policy {scaling.policy_name} TargetValue"))
    return checks


# --- gathering (boto3) ----------------------------------------------------------------


def utc_now() -> datetime:
    """Now, in UTC; tests replace it to pin the CloudWatch window."""
    return datetime.now(timezone.utc)


def metric_window(now: datetime, window_minutes: int) -> tuple[datetime, datetime]:
    """[start, end): whole minutes ending one metric delay before now, so the last minute is complete."""
    end = (now - timedelta(seconds=limits.CLOUDWATCH_METRIC_DELAY_SECONDS)).replace(second=0, microsecond=0)
    return end - timedelta(minutes=window_minutes), end


def queue_name(stack: str, plan: WorkloadPlan) -> str:
    """The contract's physical name: qcap-<stack>-<workload>, with .fifo for FIFO queues."""
    return f"qcap-{stack}-{plan.name}" + (".fifo" if plan.broker == "sqs-fifo" else "")


def cluster_and_name(stack: str, cluster_arn: str | None) -> tuple[str, str]:
    """The cluster to query (ARN or name) and its name for the autoscaling resource id."""
    if cluster_arn:
        return cluster_arn, cluster_arn.rsplit("/", 1)[-1]
    return f"qcap-{stack}", f"qcap-{stack}"


@dataclass
class _Calls:
    """Counts AWS calls and the retries botocore made for them (throttling, mostly)."""

    calls: int = 0
    retries: int = 0

    def __call__(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        response = method(**kwargs)
        self.calls += 1
        self.retries += int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        return response


def _is_missing_queue(exc: ClientError) -> bool:
    return error_code(exc) in QUEUE_MISSING_CODES


def _read_queue(aws: Aws, calls: _Calls, url: str) -> QueueFacts | None:
    try:
        attributes = calls(aws.sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])["Attributes"]
    except ClientError as exc:
        if _is_missing_queue(exc):
            return None
        raise
    tags = calls(aws.sqs.list_queue_tags, QueueUrl=url).get("Tags", {})
    redrive = json.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
    return QueueFacts(
        url=url,
        name=queue_name_from_url(url),
        arn=attributes.get("QueueArn", ""),
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        retention_seconds=int(attributes.get("MessageRetentionPeriod", limits.SQS_DEFAULT_RETENTION_SECONDS)),
        visibility_timeout_seconds=int(
            attributes.get("VisibilityTimeout", limits.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS)
        ),
        max_message_bytes=int(attributes.get("MaximumMessageSize", 0)),
        dlq_arn=redrive.get("deadLetterTargetArn"),
        max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
        tags=dict(tags),
    )


def _queue_url(aws: Aws, calls: _Calls, name: str) -> str | None:
    try:
        return calls(aws.sqs.get_queue_url, QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if _is_missing_queue(exc):
            return None
        raise


def _metric_query(query_id: str, metric: str, queue: str, stat: str) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SQS",
                "MetricName": metric,
                "Dimensions": [{"Name": "QueueName", "Value": queue}],
            },
            "Period": limits.SQS_METRIC_PERIOD_SECONDS,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def read_history(aws: Aws, calls: _Calls, queue: str, dlq: str | None, start: datetime, end: datetime) -> History:
    """One GetMetricData call (paged) for sent, deleted, age of oldest and the DLQ's visible count."""
    queries = [
        _metric_query("sent", "NumberOfMessagesSent", queue, "Sum"),
        _metric_query("deleted", "NumberOfMessagesDeleted", queue, "Sum"),
        _metric_query("age", "ApproximateAgeOfOldestMessage", queue, "Maximum"),
    ]
    if dlq:
        queries.append(_metric_query("dlq", "ApproximateNumberOfMessagesVisible", dlq, "Maximum"))
    points: dict[str, dict[float, float]] = {q["Id"]: {} for q in queries}
    kwargs: dict[str, Any] = dict(
        MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    while True:
        response = calls(aws.cloudwatch.get_metric_data, **kwargs)
        for result in response.get("MetricDataResults", []):
            for t, v in zip(result.get("Timestamps", []), result.get("Values", [])):
                points[result["Id"]][_epoch(t)] = float(v)
        token = response.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token

    def series(query_id: str) -> Series:
        return tuple(sorted(points.get(query_id, {}).items()))

    return History(
        start_epoch=start.timestamp(),
        end_epoch=end.timestamp(),
        sent=series("sent"),
        deleted=series("deleted"),
        oldest_age=series("age"),
        dlq_visible=series("dlq"),
    )


def read_service(aws: Aws, calls: _Calls, cluster: str, service: str) -> ServiceFacts:
    try:
        response = calls(aws.ecs.describe_services, cluster=cluster, services=[service])
    except ClientError as exc:
        if error_code(exc) in ("ClusterNotFoundException", "ServiceNotFoundException"):
            return ServiceFacts(cluster, service, found=False)
        raise
    active = [s for s in response.get("services", []) if s.get("status") != "INACTIVE"]
    if not active:
        return ServiceFacts(cluster, service, found=False)
    s = active[0]
    return ServiceFacts(
        cluster, service, found=True,
        running=int(s.get("runningCount", 0)), desired=int(s.get("desiredCount", 0)),
        pending=int(s.get("pendingCount", 0)),
    )


def read_scaling(aws: Aws, calls: _Calls, cluster_name: str, service: str) -> ScalingFacts:
    resource_id = f"service/{cluster_name}/{service}"
    dimension = "ecs:service:DesiredCount"
    targets = calls(
        aws.autoscaling.describe_scalable_targets,
        ServiceNamespace="ecs", ResourceIds=[resource_id], ScalableDimension=dimension,
    ).get("ScalableTargets", [])
    if not targets:
        return ScalingFacts(resource_id, target_found=False)
    policies = calls(
        aws.autoscaling.describe_scaling_policies,
        ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension=dimension,
    ).get("ScalingPolicies", [])
    tracking = [p for p in policies if p.get("PolicyType") == "TargetTrackingScaling"]
    policy = tracking[0] if tracking else None
    return ScalingFacts(
        resource_id,
        target_found=True,
        min_capacity=int(targets[0]["MinCapacity"]),
        max_capacity=int(targets[0]["MaxCapacity"]),
        policy_name=policy["PolicyName"] if policy else None,
        target_backlog_per_task=(
            float(policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]) if policy else None
        ),
    )


def gather(
    aws: Aws,
    stack: str,
    plan: WorkloadPlan,
    start: datetime,
    end: datetime,
    *,
    queue_url: str | None = None,
    cluster_arn: str | None = None,
) -> WorkloadFacts:
    """Read one workload's queue, DLQ, CloudWatch history, ECS service and autoscaling."""
    calls = _Calls()
    notes: list[str] = []
    name = queue_name_from_url(queue_url) if queue_url else queue_name(stack, plan)
    url = queue_url or _queue_url(aws, calls, name)
    queue = _read_queue(aws, calls, url) if url else None
    empty = History(start.timestamp(), end.timestamp())
    if queue is None:
        return WorkloadFacts(plan.name, name, None, None, None, empty, None, None, calls.calls, calls.retries)
    dlq_name = queue_name_from_arn(queue.dlq_arn) if queue.dlq_arn else None
    dlq_visible: int | None = None
    if dlq_name:
        dlq_url = _queue_url(aws, calls, dlq_name)
        if dlq_url:
            attributes = calls(
                aws.sqs.get_queue_attributes, QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            dlq_visible = int(attributes.get("ApproximateNumberOfMessages", 0))
    history = read_history(aws, calls, queue.name, dlq_name if dlq_visible is not None else None, start, end)
    if not history.oldest_age:
        notes.append("no ApproximateAgeOfOldestMessage datapoints in the window: age taken as 0")
    service: ServiceFacts | None = None
    scaling: ScalingFacts | None = None
    if queue_url:
        notes.append("--queue-url: a queue qcap did not deploy, so its ECS service and autoscaling are not checked")
    elif plan.mode != "service":
        notes.append(f"consumer mode {plan.mode}: no long-running service or autoscaling to check")
    else:
        cluster, cluster_name = cluster_and_name(stack, cluster_arn)
        service = read_service(aws, calls, cluster, plan.name)
        if service.found:
            scaling = read_scaling(aws, calls, cluster_name, plan.name)
    if calls.retries:
        notes.append(f"AWS retried {calls.retries} of {calls.calls} calls (throttling or transient errors); "
                     "adaptive retry mode slowed down and they succeeded")
    return WorkloadFacts(
        plan.name, name, queue, dlq_name, dlq_visible, history, service, scaling, calls.calls, calls.retries,
        tuple(notes),
    )


def skipped_note(plan: WorkloadPlan) -> str:
    return f"{plan.name}: broker {plan.broker} is not checked by doctor (it reads SQS queues)"


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
