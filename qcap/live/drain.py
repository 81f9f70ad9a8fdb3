"""How a live queue flows: in and out rates, their trends, the drain ETA, messages at risk, tasks needed.

Pure arithmetic over facts; docs/doctor.md states every formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from capacity import limits
from qcap.live.facts import History, Series


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
