"""Lanes (a workload, a partition or a priority level) and the traffic each one plans for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.profile import Workload


@dataclass(frozen=True)
class Share:
    """The fraction of a shared budget one lane may use, and who it is shared with (empty when unshared)."""

    fraction: float = 1.0
    note: str = ""

    def apply(self, budget: float) -> float:
        return budget * self.fraction

    def describe(self, budget: float, unit: str = "") -> str:
        """`60 x 1/4 = 15 (4 lanes of jobs share it)` or just `60` when unshared."""
        if not self.note:
            return f"{num(budget)}{unit}"
        return f"{num(budget)}{unit} x {num(round(self.fraction, 4))} = {num(round(self.apply(budget), 2))}{unit} ({self.note})"


@dataclass(frozen=True)
class LaneBudgets:
    """One lane's shares of the sink's request rate, bandwidth and connections, and of Redis maxclients."""

    requests: Share = Share()
    bandwidth: Share = Share()
    connections: Share = Share()
    redis_clients: Share = Share()


UNSHARED = LaneBudgets()


@dataclass(frozen=True)
class Lane:
    """One queue's share of a workload: the whole of it, a partition, or a priority level."""

    name: str
    lane: str | None
    share: float
    max_age_seconds: float
    budgets: LaneBudgets = UNSHARED
    """Its shares of the budgets it shares with other lanes (capacity.plan.budgets)."""


def lanes_of(w: Workload) -> list[Lane]:
    if w.priorities:
        return [Lane(f"{w.name}-{p.name}", p.name, p.share, p.max_age_seconds) for p in w.priorities]
    if w.partitions > 1:
        share = 1 / w.partitions
        return [Lane(f"{w.name}-{i}", str(i), share, w.objective.max_age_seconds) for i in range(w.partitions)]
    return [Lane(w.name, None, 1.0, w.objective.max_age_seconds)]


@dataclass(frozen=True)
class Rates:
    """The arrival rates and backlog one lane plans for."""

    average: float
    peak: float
    trough: float
    backlog: int
    drain_seconds_allowed: float


def rates_of(w: Workload, lane: Lane, d: Derivation) -> Rates:
    t = w.traffic
    average = t.messages_per_day / limits.SECONDS_PER_DAY * lane.share
    if t.peak_messages_per_second is not None:
        peak = t.peak_messages_per_second * lane.share
        peak_reason = f"peak_messages_per_second {num(t.peak_messages_per_second)}"
    else:
        peak = average * t.peak_to_average
        peak_reason = f"average {num(average)} x peak_to_average {num(t.peak_to_average)}"
    share = "" if lane.share == 1 else f" x share {num(round(lane.share, 4))}"
    trough = average * t.trough_to_average
    backlog = round(t.backlog_messages * lane.share)
    d.reasons["arrival_average_per_second"] = (
        f"{num(average)} = messages_per_day {num(t.messages_per_day)} / 86,400{share}"
    )
    d.reasons["arrival_peak_per_second"] = f"{num(peak)} = {peak_reason}{share if t.peak_messages_per_second else ''}"
    d.reasons["arrival_trough_per_second"] = f"{num(trough)} = average x trough_to_average {num(t.trough_to_average)}"
    allowed = w.objective.drain_backlog_within_hours * limits.SECONDS_PER_HOUR
    return Rates(average, peak, trough, backlog, allowed)


def rate_fields(rates: Rates, per_task_per_second: float) -> dict[str, Any]:
    """The traffic a lane plans for, as plan fields."""
    return dict(
        arrival_average_per_second=rates.average,
        arrival_peak_per_second=rates.peak,
        arrival_trough_per_second=rates.trough,
        per_task_messages_per_second=per_task_per_second,
        backlog_messages=rates.backlog,
    )
