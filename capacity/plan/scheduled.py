"""Scheduled batch consumers (seed 002): a run's size and length against its interval and limits."""

from __future__ import annotations

import math
from typing import Any

from capacity import limits
from capacity.plan.costs import scheduled_monthly_cost
from capacity.plan.delivery import plan_max_receive_count, plan_visibility_timeout
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Lane, rate_fields, rates_of
from capacity.plan.receiving import per_task_rate, receive_overhead, slot_seconds
from capacity.plan.retention import plan_dlq_retention, plan_retention
from capacity.profile import Profile, Workload


def plan_scheduled(profile: Profile, w: Workload, lane: Lane, d: Derivation) -> dict[str, Any]:
    c = w.consumer
    env = profile.environment.value
    rates = rates_of(w, lane, d)
    age = lane.max_age_seconds
    interval = c.interval_seconds
    concurrency = c.concurrency_per_task
    overhead, d.reasons["receive_overhead_seconds"] = receive_overhead(w.broker, c)
    slot = slot_seconds(c, overhead)
    mu, why = per_task_rate(w.broker, c, overhead)
    d.reasons["per_task_messages_per_second"] = f"{why}, while a run lasts"
    batch_limit = d.set(
        "batch_limit", c.batch_limit, f"{c.batch_limit} = consumer.batch_limit: most messages one run takes"
    )
    rounds = math.ceil(batch_limit / concurrency)
    run = rounds * slot
    run_p99 = rounds * (c.p99_seconds + overhead)
    d.reasons["run_seconds"] = (
        f"{num(round(run, 3))} s = ceil(batch_limit {batch_limit} / concurrency {concurrency}) = {rounds} rounds x "
        f"{num(round(slot, 6))} s (processing + receive overhead), {num(round(run / interval * 100, 1))}% of the "
        f"{interval} s interval"
    )
    d.reasons["interval_seconds"] = f"{interval} s = consumer.interval_seconds"
    d.binding = "interval and batch limit"
    limit_path = "overrides.batch_limit" if d.overridden("batch_limit") else "consumer.batch_limit"
    limit_name = limit_path.split(".")[0] + ".batch_limit"
    # Rounds a run may take: half the interval at the mean, under the whole interval at p99.
    mean_rounds = math.floor(limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * interval / slot)
    p99_rounds = math.ceil(interval / (c.p99_seconds + overhead)) - 1
    allowed_rounds = min(mean_rounds, p99_rounds)
    if run > limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * interval or run_p99 >= interval:
        if run > limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * interval:
            message = (f"a full run takes {num(run)} s, over {int(limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL * 100)}% "
                       f"of the {interval} s interval")
        else:
            message = f"at p99 a full run takes {num(run_p99)} s, as long as the {interval} s interval: runs overlap"
        options = []
        texts = []
        if allowed_rounds >= 1:
            most = allowed_rounds * concurrency
            need_concurrency = math.ceil(batch_limit / allowed_rounds)
            options += [{limit_path: most}, {"consumer.concurrency_per_task": need_concurrency}]
            texts.append(f"lower {limit_name} to at most {most} (it is {batch_limit}) or raise "
                         f"consumer.concurrency_per_task to {need_concurrency}")
        wider = _whole_minutes_up(max(run / limits.SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL, run_p99 + 1))
        if wider <= limits.SCHEDULED_MAX_INTERVAL_SECONDS:
            options.append({"consumer.interval_seconds": wider})
            texts.append(f"lengthen consumer.interval_seconds to {wider}")
        d.error("run time vs interval", message, "; or ".join(texts) or "make processing faster", options)
    throughput = batch_limit / interval
    d.reasons["max_concurrency"] = f"{concurrency} = consumer.concurrency_per_task: messages in flight during a run"
    keep_up = math.ceil(rates.average * interval)
    if throughput <= rates.average and rates.average > 0:
        d.error(
            "batch limit vs arrivals",
            f"{batch_limit} per {interval} s = {num(round(throughput, 4))} msg/s is no more than the "
            f"{num(round(rates.average, 4))} msg/s arriving: the backlog only grows",
            f"raise {limit_name} above {keep_up}",
            {limit_path: keep_up + 1},
        )
    elif throughput < rates.peak:
        spike = (rates.peak - throughput) * interval
        d.warn(
            "peak vs batch limit",
            f"at the peak ({num(round(rates.peak, 4))} msg/s) about {num(math.ceil(spike))} more messages arrive per "
            f"interval than a run takes ({batch_limit}); they wait for later runs",
            f"raise {limit_name} to {math.ceil(rates.peak * interval)} to keep up with the peak",
            {limit_path: math.ceil(rates.peak * interval)},
        )
    worst_wait = interval + run
    if worst_wait > age:
        d.error(
            "age objective",
            f"a message arriving just after a run starts waits up to {duration(worst_wait)} (interval + run), "
            f"over the {duration(age)} objective",
            *_shorter_interval(age, run),
        )
    sink = w.sink
    shares = lane.budgets
    if sink is not None and sink.requests_per_second is not None:
        request_rate = mu / sink.messages_per_request
        quota = shares.requests.apply(sink.requests_per_second)
        d.reasons["sink_requests_per_second"] = (
            f"{num(round(request_rate, 3))} = {num(mu)} msg/s during a run / {sink.messages_per_request} per request, "
            f"against {sink.name}'s {shares.requests.describe(sink.requests_per_second)}"
        )
        if request_rate > quota:
            lower = math.floor(quota * sink.messages_per_request * c.processing_seconds)
            d.error(
                f"sink request rate ({sink.name})",
                f"a run sends {num(round(request_rate, 2))} req/s, over {sink.name}'s "
                f"{shares.requests.describe(sink.requests_per_second)}",
                f"lower consumer.concurrency_per_task to {lower}" if lower >= 1 else f"raise {sink.name}'s quota",
                {"consumer.concurrency_per_task": lower} if lower >= 1 else None,
            )
    if sink is not None and sink.max_connections is not None:
        used = concurrency * sink.connections_per_slot
        allowed = shares.connections.apply(sink.max_connections)
        if used > allowed + 1e-9:
            lower = math.floor(allowed / sink.connections_per_slot + 1e-9)
            d.error(
                f"sink connections ({sink.name})",
                f"concurrency {concurrency} x {num(sink.connections_per_slot)} = {num(used)} connections, over "
                f"{sink.name}'s {shares.connections.describe(sink.max_connections)}",
                f"lower consumer.concurrency_per_task to {lower}" if lower >= 1 else
                f"raise {sink.name}'s connection limit",
                {"consumer.concurrency_per_task": lower} if lower >= 1 else None,
            )
    d.reasons["max_capacity"] = "1: the schedule starts one task per run"
    d.reasons["min_capacity"] = "0: no task runs between runs"
    net = throughput - rates.average
    if rates.backlog:
        drain = rates.backlog / net if net > 0 else math.inf
        d.reasons["drain_seconds"] = (
            f"{duration(drain)} = backlog {num(rates.backlog)} / ({batch_limit} per {interval} s - average "
            f"{num(round(rates.average, 4))}) msg/s"
        )
        if drain > rates.drain_seconds_allowed:
            d.error(
                "backlog drain",
                f"the backlog takes {duration(drain)} to drain, over the {duration(rates.drain_seconds_allowed)} allowed",
                f"raise {limit_name} to {math.ceil((rates.average + rates.backlog / rates.drain_seconds_allowed) * interval)}",
                {limit_path: math.ceil((rates.average + rates.backlog / rates.drain_seconds_allowed) * interval)},
            )
    else:
        drain = 0.0
        d.reasons["drain_seconds"] = "0: no backlog"
    retention = plan_retention(d, rates, 0 if math.isinf(drain) else drain, max(age, worst_wait),
                           limits.MAX_SOURCE_RETENTION_SECONDS)
    dlq_retention = plan_dlq_retention(d, retention)
    max_receive = plan_max_receive_count(d, w, env)
    visibility = plan_visibility_timeout(d, w, limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS)
    age_alarm = d.set(
        "alarm_age_seconds",
        math.ceil(age),
        f"{math.ceil(age)} s = the objective, for {limits.AGE_ALARM_EVALUATION_MINUTES} of "
        f"{limits.AGE_ALARM_EVALUATION_MINUTES} minutes",
    )
    d.reasons["alarm_dlq_messages"] = "1: any message in the dead-letter queue needs a person"
    if age_alarm > age:
        d.warn("age alarm", f"alarm_age_seconds {age_alarm} is later than the {num(age)} s objective",
               f"set overrides.alarm_age_seconds to {math.ceil(age)} or less",
               {"overrides.alarm_age_seconds": math.ceil(age)})

    total = scheduled_monthly_cost(d, w, rates, interval, run)
    return dict(
        **rate_fields(rates, mu),
        receive_overhead_seconds=overhead,
        min_capacity=0,
        max_capacity=1,
        max_concurrency=concurrency,
        batch_limit=batch_limit,
        run_seconds=run,
        interval_seconds=interval,
        visibility_timeout_seconds=visibility,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=max_receive,
        drain_seconds=None if math.isinf(drain) else round(drain, 1),
        alarm_age_seconds=age_alarm,
        sink_requests_per_second=(mu / sink.messages_per_request) if sink and sink.requests_per_second else None,
        monthly_cost_usd=total,
    )



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
