"""Today's fleet (consumer.current_tasks): whether it keeps up and how long it takes to drain the backlog."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num, tasks
from capacity.plan.lanes import Rates


def plan_current_fleet(
    d: Derivation, current: int | None, mu: float, rates: Rates, retention: int, age: float
) -> tuple[int | None, float | None]:
    """(current_tasks, current_drain_seconds): None for the drain when today's fleet never drains in time."""
    if current is None:
        return None, None
    d.reasons["current_tasks"] = f"{current} = consumer.current_tasks: the fleet running today"
    drain = _current_drain(d, current, mu, rates, retention, age)
    if drain is not None:
        _judge_at_peak(d, current, mu, rates, age)
    return current, drain


def _judge_at_peak(d: Derivation, current: int, mu: float, rates: Rates, age: float) -> None:
    """A warning when today's fleet keeps up on average but falls behind at the peak."""
    throughput = current * mu
    if throughput >= rates.peak:
        return
    enough = math.ceil(rates.peak / mu - 1e-9)
    grows = (rates.peak - throughput) * limits.SECONDS_PER_HOUR
    d.reasons["current_tasks"] += (f"; at the peak {num(round(rates.peak, 3))} msg/s it runs only "
                                   f"{num(round(throughput, 3))} msg/s")
    d.warn("current fleet at the peak",
           f"today's {tasks(current)} x {num(mu)} = {num(round(throughput, 3))} msg/s keep up with the "
           f"{num(round(rates.average, 3))} msg/s average but not the {num(round(rates.peak, 3))} msg/s peak: the "
           f"backlog grows by about {num(round(grows))} messages an hour of peak, past the {duration(age)} objective",
           f"run at least {enough} tasks now (consumer.current_tasks), up to max_capacity {d.values['max_capacity']}",
           {"consumer.current_tasks": enough} if enough <= limits.ECS_MAX_TASKS_PER_SERVICE else None)


def _current_drain(
    d: Derivation, current: int, mu: float, rates: Rates, retention: int, age: float
) -> float | None:
    """Whether today's fleet keeps up: its drain time, or None when it never drains within the plan's retention."""
    throughput = current * mu
    head = f"{tasks(current)} x {num(mu)} = {num(round(throughput, 3))} msg/s against {num(rates.average)} arriving"
    if throughput <= rates.average:
        d.reasons["current_drain_seconds"] = f"never: {head}; the backlog only grows"
        enough = math.floor(rates.average / mu) + 1
        d.warn("current fleet", f"today's {tasks(current)} never drain the backlog: {head}",
               f"run more than {enough - 1} tasks now (consumer.current_tasks), up to max_capacity "
               f"{d.values['max_capacity']}",
               {"consumer.current_tasks": enough} if enough <= limits.ECS_MAX_TASKS_PER_SERVICE else None)
        return None
    if not rates.backlog:
        d.reasons["current_drain_seconds"] = f"0: no backlog; {head}"
        return 0.0
    drain = rates.backlog / (throughput - rates.average)
    if drain + age > retention:
        # Enough tasks that the oldest message is processed before the plan's retention deletes it.
        enough = math.floor((rates.average + rates.backlog / max(1.0, retention - age)) / mu) + 1
        d.reasons["current_drain_seconds"] = (
            f"never: {head}; at {num(round(throughput - rates.average, 3))} msg/s net the backlog needs "
            f"{duration(drain)}, and with the {duration(age)} objective that is longer than the plan's "
            f"{duration(retention)} retention, so the oldest messages expire first"
        )
        d.warn(
            "current fleet",
            f"today's {tasks(current)} would take {duration(drain)} to drain: the oldest messages expire (retention "
            f"{duration(retention)}) before they are processed",
            f"run at least {enough} tasks now (consumer.current_tasks), up to max_capacity {d.values['max_capacity']}",
            {"consumer.current_tasks": enough} if enough <= limits.ECS_MAX_TASKS_PER_SERVICE else None,
        )
        return None
    d.reasons["current_drain_seconds"] = (
        f"{duration(drain)} = backlog {num(rates.backlog)} / ({num(round(throughput, 3))} - {num(rates.average)}) msg/s"
    )
    return round(drain, 1)


# --- scheduled mode -------------------------------------------------------------------
