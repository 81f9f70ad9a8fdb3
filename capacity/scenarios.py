"""Arrival scenarios for the simulator: messages arriving in each second of a run.

Constant, diurnal, spike, backlog drain, and a CSV trace of per-minute counts (the shape a
CloudWatch NumberOfMessagesSent export has). A scenario is data only; capacity/simulate.py
runs a fleet against it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from capacity import limits

SECONDS_PER_MINUTE = limits.SECONDS_PER_MINUTE


class ScenarioError(ValueError):
    """A scenario that cannot be built, with a message naming the file, line and column or the argument."""


@dataclass(frozen=True)
class Scenario:
    """Messages arriving in each second of the run, plus a backlog already waiting at second 0."""

    name: str
    description: str
    arrivals_per_second: np.ndarray = field(repr=False)
    initial_backlog_messages: float = 0.0
    # When second 0 of the run is (a trace's first timestamp, aware); None: the run has no date, and a
    # schedule's day starts with it.
    start: datetime | None = None
    # Without a date: the second of the schedule's local day the run starts at (None: local midnight).
    start_second_of_day: int | None = None

    @property
    def duration_seconds(self) -> int:
        return int(self.arrivals_per_second.size)

    @property
    def total_messages(self) -> float:
        return float(self.arrivals_per_second.sum()) + self.initial_backlog_messages

    def scaled(self, factor: float, name_suffix: str = "") -> Scenario:
        """The same shape with every rate and the backlog multiplied by factor (one shard of several)."""
        return Scenario(
            name=self.name + name_suffix,
            description=self.description,
            arrivals_per_second=self.arrivals_per_second * factor,
            initial_backlog_messages=self.initial_backlog_messages * factor,
            start=self.start,
            start_second_of_day=self.start_second_of_day,
        )


def _seconds(days: float) -> int:
    if not days > 0:
        raise ScenarioError(f"days must be > 0 (got {days!r})")
    if not days <= limits.MAX_SIMULATION_DAYS:
        raise ScenarioError(
            f"days must be <= {limits.MAX_SIMULATION_DAYS} (got {days!r}): the longest retention (14 days) "
            "plus a day is the longest run that can tell anything"
        )
    return int(round(days * limits.SECONDS_PER_DAY))


def _check_rate(name: str, value: float) -> None:
    if not (value >= 0 and math.isfinite(value)):
        raise ScenarioError(f"{name} must be a finite number >= 0 (got {value!r})")


def constant(rate_per_second: float, days: float = 1.0) -> Scenario:
    """The same arrival rate all the time."""
    _check_rate("rate_per_second", rate_per_second)
    n = _seconds(days)
    return Scenario(
        name="constant",
        description=f"constant {rate_per_second:.4g} msg/s for {days:g} day(s)",
        arrivals_per_second=np.full(n, float(rate_per_second)),
    )


def _shape_exponent(mean_fraction: float) -> float:
    """k such that the mean of cos^(2k)(x/2) over a period is mean_fraction (bisection on log k)."""

    def mean(k: float) -> float:
        return math.exp(math.lgamma(k + 0.5) - math.lgamma(k + 1.0)) / math.sqrt(math.pi)

    low, high = 1e-9, 1e9
    for _ in range(200):
        middle = math.sqrt(low * high)
        if mean(middle) > mean_fraction:
            low = middle
        else:
            high = middle
    return math.sqrt(low * high)


def diurnal(average_per_second: float, peak_per_second: float, trough_per_second: float, days: float = 1.0) -> Scenario:
    """A daily wave with the given average, peak (at DIURNAL_PEAK_HOUR) and trough (12 hours earlier).

    The wave is trough + (peak - trough) x s^k with s = (1 + cos) / 2 and k chosen so the
    day's mean is the average: a narrow peak when the peak is far above the average, a broad
    one when it is close. When the peak equals the average the day is flat at the average
    (there is no room for a trough below it) and the description says so.
    """
    for name, value in (("average", average_per_second), ("peak", peak_per_second), ("trough", trough_per_second)):
        _check_rate(name, value)
    if not trough_per_second <= average_per_second <= peak_per_second:
        raise ScenarioError(
            f"diurnal needs trough <= average <= peak (got trough {trough_per_second!r}, "
            f"average {average_per_second!r}, peak {peak_per_second!r})"
        )
    n = _seconds(days)
    seconds = np.arange(n, dtype=float)
    spread = peak_per_second - trough_per_second
    note = ""
    if spread <= 0 or math.isclose(peak_per_second, average_per_second, rel_tol=1e-9):
        rates = np.full(n, float(average_per_second))
        if trough_per_second < average_per_second:
            note = " (peak = average leaves no room for a trough: flat at the average)"
    else:
        k = _shape_exponent((average_per_second - trough_per_second) / spread)
        phase = 2 * math.pi * (seconds / limits.SECONDS_PER_DAY - limits.DIURNAL_PEAK_HOUR / 24)
        wave = ((1 + np.cos(phase)) / 2) ** k
        rates = trough_per_second + spread * wave
    return Scenario(
        name="diurnal",
        description=(
            f"diurnal: average {average_per_second:.4g}, peak {peak_per_second:.4g} at "
            f"{limits.DIURNAL_PEAK_HOUR}:00, trough {trough_per_second:.4g} msg/s, {days:g} day(s){note}"
        ),
        arrivals_per_second=rates,
    )


def shaped_day(hourly_per_second: tuple[float, ...] | list[float], days: float = 1.0) -> Scenario:
    """A day that follows a profile's daily shape: each hour at its own rate (hour 0 = local midnight)."""
    if len(hourly_per_second) != limits.HOURS_PER_DAY:
        raise ScenarioError(f"a daily shape needs {limits.HOURS_PER_DAY} hourly rates (got {len(hourly_per_second)})")
    for hour, value in enumerate(hourly_per_second):
        _check_rate(f"hour {hour}'s rate", value)
    n = _seconds(days)
    day = np.repeat(np.asarray(hourly_per_second, dtype=float), limits.SECONDS_PER_HOUR)
    rates = np.tile(day, math.ceil(n / day.size))[:n]
    return Scenario(
        name="diurnal",
        description=(
            f"diurnal, the profile's daily shape: {min(hourly_per_second):.4g} to {max(hourly_per_second):.4g} "
            f"msg/s by hour, {days:g} day(s)"
        ),
        arrivals_per_second=rates,
    )


def shaped_spike(hourly_per_second: tuple[float, ...] | list[float], peak_per_second: float, days: float = 1.0) -> Scenario:
    """The shaped day with the hour before its busiest hour at the design peak: the busy hours come an hour early."""
    day = shaped_day(hourly_per_second, days)
    busiest = int(np.argmax(np.asarray(hourly_per_second)))
    early = (busiest - 1) % limits.HOURS_PER_DAY
    rates = day.arrivals_per_second.copy()
    start = early * limits.SECONDS_PER_HOUR
    rates[start : start + limits.SECONDS_PER_HOUR] = peak_per_second
    return Scenario(
        name="spike",
        description=(
            f"spike: the daily shape with hour {early}:00 at the design peak {peak_per_second:.4g} msg/s "
            f"(an hour before the busiest hour)"
        ),
        arrivals_per_second=rates,
    )


def design_day(average: float, peak: float, trough: float, hourly: tuple[float, ...] | None, days: float = 1.0) -> Scenario:
    """The standard diurnal day: the profile's own shape when it has one, else the cosine wave."""
    if hourly is not None:
        return shaped_day(hourly, days)
    return diurnal(average, peak, trough, days)


def day_from(day: Scenario, start_second_of_day: int, seconds: int) -> Scenario:
    """`seconds` of a one-day scenario taken as repeating daily, starting at a second of its day (a run that
    begins mid-morning instead of at midnight)."""
    if day.duration_seconds != limits.SECONDS_PER_DAY:
        raise ScenarioError(f"a run from a time of day needs a one-day scenario ({day.name} lasts "
                            f"{day.duration_seconds} s)")
    start = start_second_of_day % limits.SECONDS_PER_DAY
    repeats = math.ceil((start + seconds) / limits.SECONDS_PER_DAY)
    arrivals = np.tile(day.arrivals_per_second, repeats)[start:start + seconds]
    hour, minute = divmod(start // SECONDS_PER_MINUTE, 60)
    return Scenario(day.name, f"{day.description}, from {hour:02d}:{minute:02d}", arrivals,
                    day.initial_backlog_messages, start_second_of_day=start)


def design_spike(
    average: float, peak: float, trough: float, hourly: tuple[float, ...] | None, days: float = 1.0
) -> Scenario:
    """The standard spike, sized from the profile's own peak: from the trough to the peak for an hour, then the
    average (with a daily shape: the busy hours an hour early)."""
    if hourly is not None:
        return shaped_spike(hourly, peak, max(days, 1.0))
    return spike(trough, peak, limits.VERIFY_SPIKE_MINUTES, days=days, after_per_second=average)


def spike(
    base_per_second: float,
    spike_per_second: float,
    minutes: float,
    days: float = 1.0,
    start_seconds: int = limits.SPIKE_WARMUP_SECONDS,
    after_per_second: float | None = None,
) -> Scenario:
    """The base rate, then spike_per_second for `minutes` from start_seconds, then after_per_second (default: base)."""
    after = base_per_second if after_per_second is None else after_per_second
    for name, value in (("base rate", base_per_second), ("spike rate", spike_per_second), ("rate after", after)):
        _check_rate(name, value)
    if not minutes > 0:
        raise ScenarioError(f"spike minutes must be > 0 (got {minutes!r})")
    n = _seconds(days)
    end = start_seconds + int(round(minutes * SECONDS_PER_MINUTE))
    if end > n:
        raise ScenarioError(
            f"the spike ends at {end / 3600:.2f} h, after the {n / 3600:.2f} h run: use fewer minutes or more days"
        )
    rates = np.full(n, float(base_per_second))
    rates[start_seconds:end] = spike_per_second
    rates[end:] = after
    return Scenario(
        name="spike",
        description=(
            f"spike: {base_per_second:.4g} msg/s, then {spike_per_second:.4g} msg/s for {minutes:g} min from "
            f"{start_seconds / 3600:g} h, then {after:.4g} msg/s"
        ),
        arrivals_per_second=rates,
    )


def drain(backlog_messages: float, rate_per_second: float, days: float = 1.0) -> Scenario:
    """A backlog waiting at second 0 while new messages keep arriving at a constant rate."""
    _check_rate("backlog_messages", backlog_messages)
    _check_rate("rate_per_second", rate_per_second)
    n = _seconds(days)
    return Scenario(
        name="drain",
        description=f"drain {backlog_messages:,.0f} waiting messages while {rate_per_second:.4g} msg/s arrive",
        arrivals_per_second=np.full(n, float(rate_per_second)),
        initial_backlog_messages=float(backlog_messages),
    )


# --- CSV traces -------------------------------------------------------------------------

TIME_COLUMNS = ("timestamp", "timestamps", "time", "date", "datetime")
VALUE_COLUMNS = ("numberofmessagessent", "sum", "value", "values", "count", "messages")
TRACE_FORMAT = (
    "a header row, then one row per period: a time column (Timestamp, Time, Date or Datetime; ISO 8601 such "
    "as 2025-03-01T12:00:00Z or '2025-03-01 12:00:00') and a value column (NumberOfMessagesSent, Sum, Value, "
    "Count or Messages; a header containing NumberOfMessagesSent also counts) holding the messages sent in "
    "that period; or a single value column, one row per minute"
)


def _parse_time(text: str) -> datetime:
    cleaned = text.strip().replace("Z", "+00:00")
    stamp = datetime.fromisoformat(cleaned)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp


def _pick_columns(path: Path, header: list[str]) -> tuple[int | None, int]:
    lowered = [h.strip().lower() for h in header]
    time_index = next((i for i, h in enumerate(lowered) if h in TIME_COLUMNS), None)
    value_index = next((i for i, h in enumerate(lowered) if h in VALUE_COLUMNS), None)
    if value_index is None:
        value_index = next((i for i, h in enumerate(lowered) if "numberofmessagessent" in h), None)
    if value_index is None and len(header) == 1:
        value_index = 0
    if value_index is None and time_index is not None and len(header) == 2:
        value_index = 1 - time_index
    if value_index is None:
        raise ScenarioError(
            f"{path}, line 1: no value column among {header!r}; expected {TRACE_FORMAT}"
        )
    if time_index is None and len(header) > 1:
        raise ScenarioError(f"{path}, line 1: no time column among {header!r}; expected {TRACE_FORMAT}")
    return time_index, value_index


def _read_rows(path: Path) -> list[list[str]]:
    try:
        if path.stat().st_size > limits.MAX_TRACE_BYTES:
            raise ScenarioError(
                f"{path}: the trace is {path.stat().st_size:,} bytes, over {limits.MAX_TRACE_BYTES:,}; a per-minute "
                f"trace of the {limits.MAX_TRACE_MINUTES // 1440} days CloudWatch keeps is far smaller"
            )
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [row for row in csv.reader(handle)]
    except FileNotFoundError:
        raise ScenarioError(f"{path}: trace file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(f"{path}: cannot read the trace ({exc})") from None


def trace(path: Path | str, days: float | None = None) -> Scenario:
    """Arrivals from a CSV of per-period message counts, spread evenly over each period's seconds.

    Rows are sorted by time; missing periods (CloudWatch leaves out periods with no data)
    count as zero messages. The period is the smallest gap between rows and must be a whole
    number of minutes. With `days`, the trace is cut (or an error says it is too short).
    """
    path = Path(path)
    rows = [r for r in _read_rows(path) if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise ScenarioError(f"{path}: the trace needs a header row and at least one data row; expected {TRACE_FORMAT}")
    header = rows[0]
    time_index, value_index = _pick_columns(path, header)
    value_name = header[value_index].strip()
    points: list[tuple[datetime | None, float]] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if value_index >= len(row):
            raise ScenarioError(
                f"{path}, line {line_number}, column {value_index + 1} ({value_name}): missing value"
            )
        cell = row[value_index].strip()
        try:
            value = float(cell)
        except ValueError:
            raise ScenarioError(
                f"{path}, line {line_number}, column {value_index + 1} ({value_name}): {cell!r} is not a number"
            ) from None
        if not (value >= 0 and math.isfinite(value)):
            raise ScenarioError(
                f"{path}, line {line_number}, column {value_index + 1} ({value_name}): {cell!r} must be a "
                "finite count >= 0"
            )
        if value > limits.MAX_TRACE_MESSAGES_PER_ROW:
            raise ScenarioError(
                f"{path}, line {line_number}, column {value_index + 1} ({value_name}): {cell!r} is over "
                f"{limits.MAX_TRACE_MESSAGES_PER_ROW:,} messages, the most one workload could plan (50 million "
                "msg/s) over a day"
            )
        stamp = None
        if time_index is not None:
            time_name = header[time_index].strip()
            text = row[time_index] if time_index < len(row) else ""
            try:
                stamp = _parse_time(text)
            except ValueError:
                raise ScenarioError(
                    f"{path}, line {line_number}, column {time_index + 1} ({time_name}): {text!r} is not an "
                    "ISO 8601 time such as 2025-03-01T12:00:00Z"
                ) from None
        points.append((stamp, value))
    counts, period, start = _per_period_counts(path, points)
    per_second = np.repeat(counts / period, period)
    if days is not None:
        wanted = _seconds(days)
        if wanted > per_second.size:
            raise ScenarioError(
                f"{path}: the trace covers {per_second.size / limits.SECONDS_PER_DAY:.3g} day(s), fewer than the "
                f"{days:g} asked for"
            )
        per_second = per_second[:wanted]
    return Scenario(
        name="trace",
        description=f"trace {path.name}: {counts.size} periods of {period // 60} min, {counts.sum():,.0f} messages",
        arrivals_per_second=per_second,
        start=start,
    )


def _per_period_counts(
    path: Path, points: list[tuple[datetime | None, float]]
) -> tuple[np.ndarray, int, datetime | None]:
    """(messages per period, the period in seconds, the first period's start or None without timestamps)."""
    if points[0][0] is None:
        return np.array([v for _, v in points], dtype=float), SECONDS_PER_MINUTE, None
    ordered = sorted(points, key=lambda p: p[0])
    stamps = [p[0] for p in ordered]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    if any(g == 0 for g in gaps):
        duplicate = next(stamps[i] for i, g in enumerate(gaps) if g == 0)
        raise ScenarioError(f"{path}: time {duplicate.isoformat()} appears twice")
    period = int(min(gaps)) if gaps else SECONDS_PER_MINUTE
    if period % SECONDS_PER_MINUTE or any(g % period for g in gaps):
        raise ScenarioError(
            f"{path}: rows are {period} s apart at the closest; the period must be a whole number of minutes and "
            "every gap a multiple of it"
        )
    start = stamps[0]
    slots = int((stamps[-1] - start).total_seconds()) // period + 1
    if slots * period // SECONDS_PER_MINUTE > limits.MAX_TRACE_MINUTES:
        widest = max(range(len(gaps)), key=gaps.__getitem__)
        raise ScenarioError(
            f"{path}: the trace covers {slots * period / limits.SECONDS_PER_DAY:,.1f} days ({slots:,} periods of "
            f"{period // 60:,} min) from {start.isoformat()} to {stamps[-1].isoformat()}, over the {limits.MAX_TRACE_MINUTES // 1440} days allowed (CloudWatch keeps "
            f"one-minute data 15 days); the widest gap is {gaps[widest] / limits.SECONDS_PER_DAY:,.1f} days after "
            f"{stamps[widest].isoformat()}"
        )
    counts = np.zeros(slots)
    for stamp, value in ordered:
        counts[int((stamp - start).total_seconds()) // period] = value
    return counts, period, start
