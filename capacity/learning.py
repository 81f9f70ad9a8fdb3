"""What a running queue's history says about its traffic and its workers: estimates with how sure they are.

`qcap doctor --learn` reads CloudWatch (qcap/live/learn_reading.py) into a `History` of plain
numbers (per-hour and per-minute counts of messages sent, the workers' statistic sets); `learn`
turns it into the profile's own quantities: messages_per_day, the peak (a stated percentile of
minute rates), the trough, the hourly shape in the profile's time zone (weekdays and weekends
apart when they differ), processing mean and p99, the receive overhead. A day with fewer than
COMPLETE_DAY_FRACTION of its hours is a gap, never counted as a quiet day; with fewer than
MIN_LEARN_DAYS whole days the verdict is "too little data" and no estimate is given.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from capacity import limits

# Our choices (docs/doctor.md, "Learning from history"):
MIN_LEARN_DAYS = 3  # whole days of data below which nothing is estimated
COMPLETE_DAY_FRACTION = 0.9  # a local day with fewer of its hours reported is a gap
PEAK_PERCENTILE = 99.0  # the peak is this percentile of the minute rates
MIN_PEAK_MINUTES = 1_440  # fewer minute datapoints than a day: the peak falls back to the busiest hour
WEEKEND_DIFFERENCE = 0.15  # weekend days whose mean differs from weekdays' by more are planned apart
HIGH_CONFIDENCE_DAYS = 7
HIGH_CONFIDENCE_SPREAD = 0.10  # coefficient of variation of the daily totals
MEDIUM_CONFIDENCE_SPREAD = 0.25
HIGH_CONFIDENCE_SHAPE_ERROR = 0.05  # the largest standard error of one hour's multiplier, relative
WEEKEND_DAYS = (5, 6)  # Saturday, Sunday (date.weekday())
KEEPING_UP_TOLERANCE = 0.02  # deleted within 2% of sent: the fleet kept up


@dataclass(frozen=True)
class WorkerStats:
    """The workers' own statistic sets over the window (worker/metrics.py publishes them); None: not published."""

    processed: float
    processing_samples: float
    processing_sum_seconds: float
    processing_p99_seconds: float | None = None
    receive_sum_seconds: float | None = None


@dataclass(frozen=True)
class History:
    """CloudWatch's answer as plain numbers: {period start (epoch s): messages in that period}."""

    start_epoch: float
    end_epoch: float
    hour_sent: dict[float, float]
    minute_sent: dict[float, float] = field(default_factory=dict)
    oldest_age_max_seconds: float | None = None
    worker: WorkerStats | None = None
    hour_deleted: dict[float, float] = field(default_factory=dict)

    @property
    def days_asked(self) -> float:
        return (self.end_epoch - self.start_epoch) / limits.SECONDS_PER_DAY


@dataclass(frozen=True)
class Learned:
    """The estimates, with the evidence behind them; every estimate is None under "too little data"."""

    verdict: str  # "learned", "learned with gaps" or "too little data"
    confidence: str  # "high", "medium", "low" or "none"
    time_zone: str
    days_asked: float
    complete_days: int
    missing_days: tuple[date, ...]
    missing_hours: int
    daily_spread: float | None = None
    messages_per_day: float | None = None
    weekday_messages_per_day: float | None = None
    weekend_messages_per_day: float | None = None
    weekend_differs: bool = False
    peak_messages_per_second: float | None = None
    peak_source: str = ""
    trough_to_average: float | None = None
    hourly_multipliers: tuple[float, ...] | None = None
    weekend_hourly_multipliers: tuple[float, ...] | None = None
    shape_error: float | None = None
    processing_seconds: float | None = None
    processing_p99_seconds: float | None = None
    receive_overhead_seconds: float | None = None
    oldest_age_max_seconds: float | None = None
    deleted_fraction: float | None = None  # messages deleted over those sent, in the whole days
    notes: tuple[str, ...] = ()

    @property
    def average_messages_per_second(self) -> float | None:
        return None if self.messages_per_day is None else self.messages_per_day / limits.SECONDS_PER_DAY


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile, linear between the closest ranks (numpy's default), of a non-empty list."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _local_days(history: History, zone: ZoneInfo) -> dict[date, list[float]]:
    """Each local day wholly inside the window, with the epoch of each of its hours (23 or 25 at a DST change)."""
    first = math.ceil(history.start_epoch / limits.SECONDS_PER_HOUR) * limits.SECONDS_PER_HOUR
    hours: dict[date, list[float]] = {}
    for epoch in range(int(first), int(history.end_epoch), limits.SECONDS_PER_HOUR):
        hours.setdefault(datetime.fromtimestamp(epoch, zone).date(), []).append(float(epoch))
    whole = {}
    for day, epochs in hours.items():
        starts_at_midnight = datetime.fromtimestamp(epochs[0], zone).hour == 0
        ends_at_midnight = datetime.fromtimestamp(epochs[-1], zone).hour == limits.HOURS_PER_DAY - 1
        if starts_at_midnight and ends_at_midnight:
            whole[day] = epochs
    return whole


def _shape(days: list[date], by_day: dict[date, dict[int, float]]) -> tuple[tuple[float, ...], float]:
    """Mean of each local hour's share of its day (scaled to average 1), and the largest relative standard error."""
    fractions: list[list[float]] = [[] for _ in range(limits.HOURS_PER_DAY)]
    for day in days:
        counts = by_day[day]
        mean = sum(counts.values()) / len(counts)
        if mean <= 0:
            continue
        for hour, count in counts.items():
            fractions[hour].append(count / mean)
    means = [statistics.fmean(f) if f else 0.0 for f in fractions]
    scale = statistics.fmean(means) or 1.0
    shape = tuple(m / scale for m in means)
    errors = [statistics.stdev(f) / math.sqrt(len(f)) / m for f, m in zip(fractions, means) if len(f) > 1 and m > 0]
    return shape, max(errors, default=0.0)


def _confidence(complete_days: int, spread: float, shape_error: float) -> str:
    if complete_days >= HIGH_CONFIDENCE_DAYS and spread <= HIGH_CONFIDENCE_SPREAD and shape_error <= HIGH_CONFIDENCE_SHAPE_ERROR:
        return "high"
    return "medium" if spread <= MEDIUM_CONFIDENCE_SPREAD else "low"


def learn(history: History, time_zone: str = "UTC") -> Learned:
    """The profile's traffic and consumer quantities estimated from the history, or "too little data"."""
    zone = ZoneInfo(time_zone)
    days = _local_days(history, zone)
    by_day: dict[date, dict[int, float]] = {}
    missing_days: list[date] = []
    missing_hours = 0
    for day, epochs in days.items():
        present = {e: history.hour_sent[e] for e in epochs if e in history.hour_sent}
        if len(present) < COMPLETE_DAY_FRACTION * len(epochs):
            missing_days.append(day)
            continue
        missing_hours += len(epochs) - len(present)
        counts: dict[int, float] = {}
        for epoch, count in present.items():
            hour = datetime.fromtimestamp(epoch, zone).hour
            counts[hour] = counts.get(hour, 0.0) + count
        by_day[day] = counts
    base = dict(time_zone=time_zone, days_asked=history.days_asked, complete_days=len(by_day),
                missing_days=tuple(sorted(missing_days)), missing_hours=missing_hours,
                oldest_age_max_seconds=history.oldest_age_max_seconds)
    if len(by_day) < MIN_LEARN_DAYS:
        return Learned(verdict="too little data", confidence="none", **base, notes=(
            f"{len(by_day)} whole day(s) of data in the {history.days_asked:g} days read"
            f"{f' ({len(missing_days)} missing)' if missing_days else ''}; at least {MIN_LEARN_DAYS} are needed "
            "to estimate anything: nothing is estimated",))
    notes: list[str] = []
    totals = {day: sum(c.values()) * limits.HOURS_PER_DAY / len(c) for day, c in by_day.items()}
    weekdays = [d for d in by_day if d.weekday() not in WEEKEND_DAYS]
    weekends = [d for d in by_day if d.weekday() in WEEKEND_DAYS]
    weekday_mean = statistics.fmean(totals[d] for d in weekdays) if weekdays else None
    weekend_mean = statistics.fmean(totals[d] for d in weekends) if weekends else None
    differs = bool(weekday_mean and weekend_mean and abs(weekend_mean - weekday_mean) > WEEKEND_DIFFERENCE * weekday_mean)
    busy = weekdays if differs else list(by_day)
    per_day = statistics.fmean(totals[d] for d in busy)
    spread = statistics.pstdev([totals[d] for d in busy]) / per_day if per_day > 0 else 0.0
    shape, shape_error = _shape(busy, by_day)
    weekend_shape = _shape(weekends, by_day)[0] if differs else None
    if differs:
        notes.append(f"weekends differ from weekdays ({weekend_mean:,.0f} against {weekday_mean:,.0f} a day): "
                     "messages_per_day and the shape are the weekdays', the days capacity must meet")
    average = per_day / limits.SECONDS_PER_DAY
    busiest_hour = max(shape) * average
    in_days = {e for epochs in (days[d] for d in by_day) for e in epochs}
    minutes = [v / limits.SQS_METRIC_PERIOD_SECONDS for e, v in history.minute_sent.items()
               if e - e % limits.SECONDS_PER_HOUR in in_days]
    if len(minutes) >= MIN_PEAK_MINUTES:
        peak, source = percentile(minutes, PEAK_PERCENTILE), f"p{PEAK_PERCENTILE:g} of {len(minutes):,} minute rates"
        if peak < busiest_hour:
            peak, source = busiest_hour, f"the busiest hour of the shape (above the {source})"
    else:
        peak, source = busiest_hour, f"the busiest hour of the shape ({len(minutes)} minute datapoints, too few)"
    lows = [min(shape)] + ([min(weekend_shape) * weekend_mean / per_day] if weekend_shape and weekend_mean else [])
    worker = history.worker
    processing = p99 = overhead = None
    if worker is None or worker.processing_samples <= 0:
        notes.append("no worker metrics (ProcessingTime): processing time and the receive overhead are not estimated")
    else:
        processing = worker.processing_sum_seconds / worker.processing_samples
        p99 = worker.processing_p99_seconds
        if p99 is None:
            notes.append("the ProcessingTime p99 was not returned (no histogram published, or an endpoint without "
                         "percentiles): processing_p99_seconds is not estimated")
        if worker.receive_sum_seconds is not None and worker.processed > 0:
            overhead = worker.receive_sum_seconds / worker.processed
    sent = sum(history.hour_sent.get(e, 0.0) for e in in_days)
    deleted_fraction = None
    if history.hour_deleted and sent > 0:
        deleted = sum(history.hour_deleted.get(e, 0.0) for e in in_days)
        deleted_fraction = deleted / sent
        if deleted_fraction < 1 - KEEPING_UP_TOLERANCE:
            notes.append(f"the workers deleted {deleted_fraction:.0%} of the {sent:,.0f} messages sent: the backlog grew "
                         f"by {sent - deleted:,.0f}; the traffic estimates stand, the fleet fell behind")
    if missing_days:
        notes.append(f"{len(missing_days)} day(s) without data left out: {', '.join(map(str, sorted(missing_days)))}")
    return Learned(
        verdict="learned with gaps" if missing_days or missing_hours else "learned",
        confidence=_confidence(len(busy), spread, shape_error), **base, daily_spread=spread,
        messages_per_day=per_day, weekday_messages_per_day=weekday_mean, weekend_messages_per_day=weekend_mean,
        weekend_differs=differs, peak_messages_per_second=peak, peak_source=source,
        trough_to_average=max(0.0, min(1.0, min(lows))), hourly_multipliers=shape,
        weekend_hourly_multipliers=weekend_shape, shape_error=shape_error, processing_seconds=processing,
        processing_p99_seconds=p99, receive_overhead_seconds=overhead, deleted_fraction=deleted_fraction,
        notes=tuple(notes),
    )
