"""Scheduled batch consumers (seed 002's shape): a run's size and length against its interval and limits.

`plan_scheduled` runs named steps: rates, the per-task rate, the run, whether it fits the interval,
whether runs keep up with arrivals, the age objective, the sink's limits, drain and retention,
delivery, alarms and the cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity import limits
from capacity.plan.costs import scheduled_monthly_cost
from capacity.plan.delivery import plan_max_receive_count, plan_visibility_timeout
from capacity.plan.derivation import Derivation
from capacity.plan.drain import drain_field, plan_drain
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Lane, LaneBudgets, Rates, rate_fields, rates_of
from capacity.plan.models import AlarmPlan, Derived, ScheduledPlan
from capacity.plan.receiving import per_task_rate, receive_overhead, slot_seconds
from capacity.plan.retention import plan_dlq_retention, plan_retention
from capacity.profile import Consumer, Profile, Sink, Workload


@dataclass(frozen=True)
class Run:
    """One run: how many messages it takes, in how many rounds, how long at the mean and at p99."""

    batch_limit: int
    interval_seconds: int
    slot_seconds: float
    overhead_seconds: float
    run_seconds: float
    run_p99_seconds: float
    limit_path: str
    """Where the batch limit is set: consumer.batch_limit, or overrides.batch_limit when overridden."""

    @property
    def limit_name(self) -> str:
        return self.limit_path.split(".")[0] + ".batch_limit"

    @property
    def throughput_per_second(self) -> float:
        return self.batch_limit / self.interval_seconds


def plan_scheduled(profile: Profile, workload: Workload, lane: Lane, record: Derivation) -> Derived:
    consumer = workload.consumer
    rates = rates_of(workload, lane, record)
    age = lane.max_age_seconds
    overhead, record.reasons["receive_overhead_seconds"] = receive_overhead(workload.broker, consumer)
    per_task, why = per_task_rate(workload.broker, consumer, overhead)
    record.reasons["per_task_messages_per_second"] = f"{why}, while a run lasts"
    run = plan_run(record, consumer, overhead)
    check_run_fits_interval(record, consumer, run)
    record.reasons["max_concurrency"] = (
        f"{consumer.concurrency_per_task} = consumer.concurrency_per_task: messages in flight during a run"
    )
    check_runs_keep_up(record, rates, run)
    worst_wait = run.interval_seconds + run.run_seconds
    check_age_objective(record, age, run)
    sink_requests = check_sink(record, consumer, workload.sink, lane.budgets, per_task)
    record.reasons["max_capacity"] = "1: the schedule starts one task per run"
    record.reasons["min_capacity"] = "0: no task runs between runs"
    drain = plan_drain(record, rates, run.throughput_per_second, f"{run.batch_limit} per {run.interval_seconds} s",
                       num(round(rates.average, 4)))
    check_drain_in_time(record, rates, run, drain)
    retention = plan_retention(record, rates, 0 if math.isinf(drain) else drain, max(age, worst_wait),
                               limits.MAX_SOURCE_RETENTION_SECONDS)
    dlq_retention = plan_dlq_retention(record, retention)
    max_receive = plan_max_receive_count(record, workload, profile.environment.value)
    visibility = plan_visibility_timeout(record, workload, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS)
    alarms = plan_scheduled_alarms(record, age)
    cost = scheduled_monthly_cost(record, workload, rates, run.interval_seconds, run.run_seconds)
    return Derived(
        **rate_fields(rates, per_task),
        receive_overhead_seconds=overhead,
        min_capacity=0,
        max_capacity=1,
        visibility_timeout_seconds=visibility,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=max_receive,
        drain_seconds=drain_field(drain),
        sink_requests_per_second=sink_requests,
        monthly_cost_usd=cost,
        alarms=alarms,
        scheduled=ScheduledPlan(
            batch_limit=run.batch_limit,
            run_seconds=run.run_seconds,
            interval_seconds=run.interval_seconds,
            max_concurrency=consumer.concurrency_per_task,
            run_deadline_seconds=plan_run_deadline(record, run),
        ),
    )


def plan_run(record: Derivation, consumer: Consumer, overhead: float) -> Run:
    """The batch limit and how long a run takes: ceil(batch_limit / concurrency) rounds of one slot's cycle."""
    interval = consumer.interval_seconds
    slot = slot_seconds(consumer, overhead)
    batch_limit = record.set(
        "batch_limit", consumer.batch_limit,
        f"{consumer.batch_limit} = consumer.batch_limit: most messages one run takes",
    )
    rounds = math.ceil(batch_limit / consumer.concurrency_per_task)
    run = rounds * slot
    record.reasons["run_seconds"] = (
        f"{num(round(run, 3))} s = ceil(batch_limit {batch_limit} / concurrency {consumer.concurrency_per_task}) = "
        f"{rounds} rounds x {num(round(slot, 6))} s (processing + receive overhead), "
        f"{num(round(run / interval * 100, 1))}% of the {interval} s interval"
    )
    record.reasons["interval_seconds"] = f"{interval} s = consumer.interval_seconds"
    record.binding = "interval and batch limit"
    limit_path = "overrides.batch_limit" if record.overridden("batch_limit") else "consumer.batch_limit"
    return Run(batch_limit, interval, slot, overhead, run, rounds * (consumer.p99_seconds + overhead), limit_path)


def plan_run_deadline(record: Derivation, run: Run) -> int:
    """When a run stops receiving, counted from its worker's start: over before the next run starts.

    The interval less the task's start and the stop timeout it then has to finish or release
    what it holds; never shorter than the run itself (check_run_fits_interval flags that case).
    """
    room = run.interval_seconds - limits.TASK_START_SECONDS - limits.ECS_DEFAULT_STOP_TIMEOUT_SECONDS
    deadline = max(math.ceil(run.run_seconds), room)
    record.reasons["run_deadline_seconds"] = (
        f"{deadline} s = interval {run.interval_seconds} s - task start {limits.TASK_START_SECONDS} s - stop timeout "
        f"{limits.ECS_DEFAULT_STOP_TIMEOUT_SECONDS} s, so a run is over before the next starts"
        + ("" if deadline == room else f"; raised to the run's own {math.ceil(run.run_seconds)} s")
    )
    return deadline


def check_run_fits_interval(record: Derivation, consumer: Consumer, run: Run) -> None:
    """A run may take half the interval at the mean and less than the whole interval at p99."""
    interval, fraction = run.interval_seconds, limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL
    concurrency = consumer.concurrency_per_task
    mean_rounds = math.floor(fraction * interval / run.slot_seconds)
    p99_rounds = math.ceil(interval / (consumer.p99_seconds + run.overhead_seconds)) - 1
    allowed_rounds = min(mean_rounds, p99_rounds)
    too_long = run.run_seconds > fraction * interval
    if not too_long and run.run_p99_seconds < interval:
        return
    if too_long:
        message = (f"a full run takes {num(run.run_seconds)} s, over {int(fraction * 100)}% "
                   f"of the {interval} s interval")
    else:
        message = f"at p99 a full run takes {num(run.run_p99_seconds)} s, as long as the {interval} s interval: runs overlap"
    options = []
    texts = []
    if allowed_rounds >= 1:
        most = allowed_rounds * concurrency
        need_concurrency = math.ceil(run.batch_limit / allowed_rounds)
        options += [{run.limit_path: most}, {"consumer.concurrency_per_task": need_concurrency}]
        texts.append(f"lower {run.limit_name} to at most {most} (it is {run.batch_limit}) or raise "
                     f"consumer.concurrency_per_task to {need_concurrency}")
    wider = _whole_minutes_up(max(run.run_seconds / fraction, run.run_p99_seconds + 1))
    if wider <= limits.SCHEDULED_MAX_INTERVAL_SECONDS:
        options.append({"consumer.interval_seconds": wider})
        texts.append(f"lengthen consumer.interval_seconds to {wider}")
    record.error("run time vs interval", message, "; or ".join(texts) or "make processing faster", options)


def check_runs_keep_up(record: Derivation, rates: Rates, run: Run) -> None:
    """An error when runs take no more than arrives; a warning when the peak outruns them."""
    interval, batch_limit, throughput = run.interval_seconds, run.batch_limit, run.throughput_per_second
    keep_up = math.ceil(rates.average * interval)
    if throughput <= rates.average and rates.average > 0:
        record.error(
            "batch limit vs arrivals",
            f"{batch_limit} per {interval} s = {num(round(throughput, 4))} msg/s is no more than the "
            f"{num(round(rates.average, 4))} msg/s arriving: the backlog only grows",
            f"raise {run.limit_name} above {keep_up}",
            {run.limit_path: keep_up + 1},
        )
    elif throughput < rates.peak:
        spike = (rates.peak - throughput) * interval
        record.warn(
            "peak vs batch limit",
            f"at the peak ({num(round(rates.peak, 4))} msg/s) about {num(math.ceil(spike))} more messages arrive per "
            f"interval than a run takes ({batch_limit}); they wait for later runs",
            f"raise {run.limit_name} to {math.ceil(rates.peak * interval)} to keep up with the peak",
            {run.limit_path: math.ceil(rates.peak * interval)},
        )


def check_age_objective(record: Derivation, age: float, run: Run) -> None:
    """A message arriving just after a run starts waits the interval plus the run."""
    worst_wait = run.interval_seconds + run.run_seconds
    if worst_wait > age:
        record.error(
            "age objective",
            f"a message arriving just after a run starts waits up to {duration(worst_wait)} (interval + run), "
            f"over the {duration(age)} objective",
            *_shorter_interval(age, run.run_seconds),
        )


def check_sink(record: Derivation, consumer: Consumer, sink: Sink | None, shares: LaneBudgets,
               per_task: float) -> float | None:
    """A run's request rate and connections against the sink's quota; returns the request rate when quoted."""
    if sink is None:
        return None
    concurrency = consumer.concurrency_per_task
    request_rate = None
    if sink.requests_per_second is not None:
        request_rate = per_task / sink.messages_per_request
        quota = shares.requests.apply(sink.requests_per_second)
        record.reasons["sink_requests_per_second"] = (
            f"{num(round(request_rate, 3))} = {num(per_task)} msg/s during a run / {sink.messages_per_request} per "
            f"request, against {sink.name}'s {shares.requests.describe(sink.requests_per_second)}"
        )
        if request_rate > quota:
            lower = math.floor(quota * sink.messages_per_request * consumer.processing_seconds)
            record.error(
                f"sink request rate ({sink.name})",
                f"a run sends {num(round(request_rate, 2))} req/s, over {sink.name}'s "
                f"{shares.requests.describe(sink.requests_per_second)}",
                f"lower consumer.concurrency_per_task to {lower}" if lower >= 1 else f"raise {sink.name}'s quota",
                {"consumer.concurrency_per_task": lower} if lower >= 1 else None,
            )
    if sink.max_connections is not None:
        used = concurrency * sink.connections_per_slot
        allowed = shares.connections.apply(sink.max_connections)
        if used > allowed + 1e-9:
            lower = math.floor(allowed / sink.connections_per_slot + 1e-9)
            record.error(
                f"sink connections ({sink.name})",
                f"concurrency {concurrency} x {num(sink.connections_per_slot)} = {num(used)} connections, over "
                f"{sink.name}'s {shares.connections.describe(sink.max_connections)}",
                f"lower consumer.concurrency_per_task to {lower}" if lower >= 1 else
                f"raise {sink.name}'s connection limit",
                {"consumer.concurrency_per_task": lower} if lower >= 1 else None,
            )
    return request_rate


def check_drain_in_time(record: Derivation, rates: Rates, run: Run, drain: float) -> None:
    """The backlog must drain within drain_backlog_within_hours."""
    if rates.backlog and drain > rates.drain_seconds_allowed:
        wanted = math.ceil((rates.average + rates.backlog / rates.drain_seconds_allowed) * run.interval_seconds)
        record.error(
            "backlog drain",
            f"the backlog takes {duration(drain)} to drain, over the {duration(rates.drain_seconds_allowed)} allowed",
            f"raise {run.limit_name} to {wanted}",
            {run.limit_path: wanted},
        )


def plan_scheduled_alarms(record: Derivation, age: float) -> AlarmPlan:
    """A scheduled queue alarms on the age of its oldest message and on its DLQ; it has no fleet to saturate."""
    age_alarm = record.set(
        "alarm_age_seconds",
        math.ceil(age),
        f"{math.ceil(age)} s = the objective, for {limits.AGE_ALARM_EVALUATION_MINUTES} of "
        f"{limits.AGE_ALARM_EVALUATION_MINUTES} minutes",
    )
    record.reasons["alarm_dlq_messages"] = "1: any message in the dead-letter queue needs a person"
    if age_alarm > age:
        record.warn("age alarm", f"alarm_age_seconds {age_alarm} is later than the {num(age)} s objective",
                    f"set overrides.alarm_age_seconds to {math.ceil(age)} or less",
                    {"overrides.alarm_age_seconds": math.ceil(age)})
    return AlarmPlan(age_seconds=age_alarm, dlq_messages=1, saturation_messages=None, max_tasks=None,
                     stalled_minutes=None)


def _whole_minutes_up(seconds: float) -> int:
    """The shortest interval EventBridge Scheduler accepts (whole minutes) that is at least `seconds`."""
    step = limits.SCHEDULER_RATE_STEP_SECONDS
    return max(limits.SCHEDULED_MIN_INTERVAL_SECONDS, math.ceil(seconds / step) * step)


def _shorter_interval(age: float, run: float) -> tuple[str, dict[str, int] | None]:
    """The fix and patch for interval + run over the objective: the longest whole-minute interval that fits."""
    step = limits.SCHEDULER_RATE_STEP_SECONDS
    longest = math.floor((age - run) / step) * step
    if longest < limits.SCHEDULED_MIN_INTERVAL_SECONDS:
        return ("make a run shorter (smaller batch_limit, more concurrency) or relax objective.max_age_seconds", None)
    return (f"shorten consumer.interval_seconds to at most {longest} s (whole minutes)",
            {"consumer.interval_seconds": longest})
