"""Measuring a run: the age of the oldest message off the cumulative curves, backlog, task-hours and cost."""

from __future__ import annotations

import math

import numpy as np

from capacity import limits
from capacity.scenarios import Scenario
from capacity.simulate.model import (
    FLUID_EPSILON_MESSAGES,
    SECONDS_PER_MINUTE,
    Fleet,
    QueueModel,
    Run,
    SimulationResult,
    Timeline,
)


def interp_cumulative(cumulative: np.ndarray, times: np.ndarray) -> np.ndarray:
    """A cumulative per-second curve (value at whole seconds) read at fractional times, 0 before 0."""
    clipped = np.clip(times, 0.0, cumulative.size - 1)
    whole = np.minimum(np.floor(clipped).astype(np.int64), cumulative.size - 2)
    frac = clipped - whole
    return cumulative[whole] + frac * (cumulative[whole + 1] - cumulative[whole])


def oldest_ages(arrived_cum: np.ndarray, arrivals: np.ndarray, deleted_cum: np.ndarray) -> np.ndarray:
    """Age of the oldest whole message not yet deleted, at the end of each second (0 when none)."""
    oldest = np.ceil(deleted_cum[1:] - FLUID_EPSILON_MESSAGES) + 1
    present = arrived_cum[1:] >= oldest - FLUID_EPSILON_MESSAGES
    index = np.searchsorted(arrived_cum, oldest - FLUID_EPSILON_MESSAGES, side="left")
    index = np.clip(index, 0, arrived_cum.size - 1)
    previous = np.maximum(index - 1, 0)
    rate = np.where(index > 0, arrivals[np.minimum(previous, arrivals.size - 1)], 1.0)
    safe_rate = np.where(rate > 0, rate, 1.0)
    # How far into its second the oldest message arrived, in [0, 1]: divided only where that is below 1, so a
    # subnormal rate (a trickle's last fraction of a message) cannot overflow the division.
    into_second = oldest - arrived_cum[previous]
    fraction = np.clip(np.divide(into_second, safe_rate, out=np.ones_like(into_second),
                                 where=into_second < safe_rate), 0.0, 1.0)
    arrived_at = np.where(index > 0, previous + fraction, 0.0)
    arrived_at = np.clip(arrived_at, 0.0, None)
    now = np.arange(1, arrivals.size + 1, dtype=float)
    return np.where(present, np.maximum(0.0, now - arrived_at), 0.0)


def longest_hold_seconds(running: np.ndarray) -> float:
    """The longest stretch, in seconds, over which the number of running tasks did not change."""
    if running.size == 0:
        return 0.0
    changes = np.flatnonzero(np.diff(running) != 0)
    edges = np.concatenate(([-1], changes, [running.size - 1]))
    return float(np.diff(edges).max())


def measure(
    model: QueueModel,
    fleet: Fleet,
    scenario: Scenario,
    run: Run,
    scale: float,
    per_task_rate: float,
) -> SimulationResult:
    arrivals = scenario.arrivals_per_second if run.arrivals is None else run.arrivals
    total = arrivals.size
    backlog = scenario.initial_backlog_messages
    if run.arrivals is not None:
        backlog = math.floor(backlog + FLUID_EPSILON_MESSAGES)  # the whole messages a per-message run had
    arrived_cum = np.concatenate(([backlog], backlog + np.cumsum(arrivals)))
    starts_cum = np.concatenate(([0.0], np.cumsum(run.starts)))
    if run.deleted is None:
        seconds = np.arange(0, total + 1, dtype=float)
        deleted_cum = interp_cumulative(starts_cum, seconds - model.processing_seconds)
        ages = oldest_ages(arrived_cum, arrivals, deleted_cum)
    else:
        deleted_cum = np.concatenate(([0.0], np.cumsum(run.deleted)))
        ages = run.ages
    waiting = np.maximum(0.0, arrived_cum - starts_cum)

    minutes = math.ceil(total / SECONDS_PER_MINUTE)
    padded = minutes * SECONDS_PER_MINUTE

    def per_minute(values: np.ndarray, how: str) -> np.ndarray:
        filled = np.concatenate((values, np.full(padded - values.size, values[-1] if values.size else 0.0)))
        shaped = filled.reshape(minutes, SECONDS_PER_MINUTE)
        return shaped.max(axis=1) if how == "max" else shaped.mean(axis=1)

    minute_max_age = per_minute(ages, "max") if run.minute_max_ages is None else run.minute_max_ages
    objective = model.max_age_seconds
    over = int(np.count_nonzero(minute_max_age > objective + FLUID_EPSILON_MESSAGES))
    peak_index = int(np.argmax(waiting))
    peak = float(waiting[peak_index])
    if peak < limits.EMPTY_QUEUE_MESSAGES:
        drain: float | None = 0.0
    else:
        below = np.nonzero(waiting[peak_index:] < limits.EMPTY_QUEUE_MESSAGES)[0]
        drain = float(below[0]) if below.size else None
    processed = float(deleted_cum[-1])
    task_hours = float(run.billed.sum()) / limits.SECONDS_PER_HOUR * scale
    lower = processed * scale / per_task_rate / limits.SECONDS_PER_HOUR
    deleted_per_second = np.diff(deleted_cum)
    timeline = Timeline(
        minutes=np.arange(minutes, dtype=float),
        arrivals_per_second=per_minute(arrivals, "mean") * scale,
        throughput_per_second=per_minute(deleted_per_second, "mean") * scale,
        backlog_messages=per_minute(waiting[1:], "max") * scale,
        max_age_seconds=minute_max_age,
        tasks=per_minute(run.running, "mean") * scale,
    )
    whole = np.rint(run.running)
    if run.task_launches is None:  # scheduled and Cloudflare consumers: every start of a task or invocation
        launches = int(np.maximum(0.0, np.diff(np.concatenate(([0.0], whole)))).sum() * scale)
        actions: list[tuple[int, str]] = []
    else:
        launches = int(run.task_launches * scale)
        actions = run.actions
    return SimulationResult(
        workload=model.name,
        fleet=fleet.label,
        scenario=scenario.name,
        objective_seconds=objective,
        max_age_seconds=float(minute_max_age.max()) if minute_max_age.size else 0.0,
        p99_age_seconds=float(np.percentile(ages, limits.AGE_REPORT_PERCENTILE)) if ages.size else 0.0,
        minutes_over_objective=over,
        peak_backlog_messages=peak * scale,
        drain_seconds=drain,
        task_hours=task_hours,
        cost_usd=task_hours * model.task_usd_per_hour + processed * scale * model.usd_per_message,
        lower_bound_task_hours=lower,
        messages_arrived=float(arrived_cum[-1]) * scale,
        messages_processed=processed * scale,
        messages_left=float(arrived_cum[-1] - deleted_cum[-1]) * scale,
        duration_seconds=total,
        timeline=timeline,
        task_launches=launches,
        scale_out_actions=sum(1 for _, kind in actions if kind == "out"),
        scale_in_actions=sum(1 for _, kind in actions if kind == "in"),
        scheduled_actions=run.scheduled_actions,
        longest_hold_seconds=longest_hold_seconds(whole),
        smallest_fleet=int(whole.min() * scale) if whole.size else 0,
        largest_fleet=int(whole.max() * scale) if whole.size else 0,
        action_seconds=tuple(actions),
    )
