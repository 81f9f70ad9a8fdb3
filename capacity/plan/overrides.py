"""Overrides judged: a value set by hand goes through the checks the planner's own value would.

The planner's decision functions (autoscaling.py, caps.py, ...) choose a value; `Derivation`
keeps that choice in `planned` even when an override replaces it. Here an override is
compared with it: against the objective and the autoscaler's reaction, against the budgets
that cap the fleet, and the p99 on top of the wait the target implies. A violated objective
is an error whose patch is the value the planner would have chosen.
"""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.caps import Cap
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Rates
from capacity.profile import Workload


def reaction_seconds() -> int:
    """The autoscaler's reaction to a surge: the scale-out datapoints, the metric delay, a task start."""
    return (
        limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS * limits.TARGET_TRACKING_DATAPOINT_SECONDS
        + limits.CLOUDWATCH_METRIC_DELAY_SECONDS
        + limits.TASK_START_SECONDS
    )


def judge_max_capacity(d: Derivation, caps: list[Cap], max_capacity: int) -> None:
    """An overridden max_capacity above a budget that caps the fleet (sink, Redis, SQS, ECS) is an error."""
    if not d.overridden("max_capacity") or not caps:
        return
    tightest = min(caps, key=lambda cap: cap.tasks)
    if max_capacity > tightest.tasks:
        d.error(
            tightest.limit,
            f"max_capacity {max_capacity} (set in overrides) is over the {tightest.tasks} tasks {tightest.limit} "
            f"allows ({tightest.detail}): at full scale the fleet exceeds it",
            f"set overrides.max_capacity to {tightest.tasks} or less, or {tightest.fix}" if tightest.tasks >= 1
            else tightest.fix,
            {"overrides.max_capacity": tightest.tasks} if tightest.tasks >= 1 else None,
        )


def judge_autoscaling(
    d: Derivation, rates: Rates, age: float, mu: float, concurrency: int, p99: float,
    min_capacity: int, target: float, scale_out_cooldown: int,
) -> None:
    """min_capacity and the scale-out cooldown against the reaction; the target's wait plus p99 against A."""
    reaction = reaction_seconds()
    peak_tasks = max(1, math.ceil(rates.peak / mu))
    planned_min = d.planned.get("min_capacity", min_capacity)
    if d.overridden("min_capacity") and min_capacity < planned_min and age < reaction:
        d.error(
            "age objective (min_capacity override)",
            f"min_capacity {min_capacity} (set in overrides) runs {num(round(min_capacity * mu, 2))} msg/s, but the "
            f"{duration(age)} objective is shorter than the autoscaler's {duration(reaction)} reaction, so the running "
            f"tasks must absorb the {num(round(rates.peak, 2))} msg/s peak on their own; the planner would choose "
            f"{planned_min}",
            f"set overrides.min_capacity to {planned_min} (or remove it)",
            {"overrides.min_capacity": planned_min},
        )
    planned_cooldown = d.planned.get("scale_out_cooldown_seconds", scale_out_cooldown)
    second_step = reaction + scale_out_cooldown
    if (d.overridden("scale_out_cooldown_seconds") and scale_out_cooldown > planned_cooldown
            and reaction <= age < second_step and min_capacity < peak_tasks):
        d.error(
            "age objective (scale-out cooldown override)",
            f"scale_out_cooldown_seconds {scale_out_cooldown} (set in overrides): a surge that needs a second "
            f"scale-out waits {duration(second_step)} (reaction + cooldown), over the {duration(age)} objective, while "
            f"min_capacity {min_capacity} cannot hold the peak alone; the planner would choose {planned_cooldown} s",
            f"set overrides.scale_out_cooldown_seconds to {planned_cooldown} (or remove it)",
            [{"overrides.scale_out_cooldown_seconds": planned_cooldown}, {"overrides.min_capacity": peak_tasks}],
        )
    implied_wait = max(0.0, target - concurrency) / mu
    if implied_wait <= age < implied_wait + p99:
        best = math.floor((concurrency + (age - p99) * mu) * 100) / 100
        source = "set in overrides" if d.overridden("target_backlog_per_task") else "the planner's"
        d.error(
            "age objective (p99)",
            f"target_backlog_per_task {num(target)} ({source}) lets a task's share wait {duration(implied_wait)} before "
            f"any scale-out; with a p99 of {duration(p99)} to process it, the oldest message reaches "
            f"{duration(implied_wait + p99)}, over the {duration(age)} objective",
            (f"set overrides.target_backlog_per_task to {num(best)} or less, or make processing faster"
             if age > p99 and best > 0 else
             f"processing p99 {duration(p99)} alone reaches the {duration(age)} objective: make processing faster or "
             "relax objective.max_age_seconds"),
            {"overrides.target_backlog_per_task": best} if age > p99 and best > 0 else None,
        )


def judge_cloudflare(d: Derivation, w: Workload, peak: float, shards: int, concurrency: int, batch_size: int) -> None:
    """Cloudflare settings set by hand: the consumers must keep up with the peak, a request must fit the sink."""
    t = w.consumer.processing_seconds
    if d.overridden("max_concurrency") or d.overridden("batch_size") or d.overridden("shards"):
        consumes = shards * concurrency * batch_size / t
        if consumes < peak:
            wanted = d.planned.get("max_concurrency", concurrency)
            d.error(
                "Cloudflare consumers (overrides)",
                f"{shards} shard(s) x max_concurrency {concurrency} x batch {batch_size} / {num(t)} s = "
                f"{num(round(consumes, 1))} msg/s is short of the {num(round(peak, 1))} msg/s peak; the planner "
                f"would choose max_concurrency {wanted}",
                f"set overrides.max_concurrency to {wanted} (or remove the Cloudflare overrides)",
                [{"overrides.max_concurrency": wanted}]
                + [{f"overrides.{name}": d.planned[name]} for name in ("batch_size", "shards")
                   if d.overridden(name) and name in d.planned],
            )
    sink = w.sink
    if d.overridden("batch_size") and sink is not None and sink.max_request_bytes is not None:
        per_request = min(batch_size, sink.messages_per_request)
        if per_request * w.traffic.message_bytes > sink.max_request_bytes:
            fit = max(1, sink.max_request_bytes // w.traffic.message_bytes)
            d.error(
                f"sink request size ({sink.name})",
                f"batch_size {batch_size} (set in overrides) sends {per_request} messages of "
                f"{num(w.traffic.message_bytes)} bytes per request, over {sink.name}'s {num(sink.max_request_bytes)} bytes",
                f"set overrides.batch_size to {fit} or less",
                {"overrides.batch_size": fit},
            )
