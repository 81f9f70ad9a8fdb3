"""Synthetic CloudWatch history with a known answer: a daily shape with noise, a weekend dip, a missing day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Vehicles on the road (track-points' shape): quiet nights, two commuting peaks.
SHAPE = (0.09, 0.09, 0.09, 0.09, 0.13, 0.26, 0.70, 1.40, 2.09, 1.75, 1.31, 1.22,
         1.31, 1.22, 1.13, 1.31, 1.92, 2.62, 2.27, 1.40, 0.79, 0.44, 0.26, 0.13)
TIME_ZONE = "America/New_York"
WEEKDAY_MESSAGES_PER_DAY = 240_000
WEEKEND_FACTOR = 0.6
NOISE = 0.05  # each minute's count is off by up to 5% either way


@dataclass(frozen=True)
class Synthetic:
    """Minute counts of messages sent, {epoch of the minute: count}, and what they were made from."""

    start: datetime
    days: int
    minutes: dict[float, float]
    missing_day: int | None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def hours(self) -> dict[float, float]:
        totals: dict[float, float] = {}
        for epoch, count in self.minutes.items():
            hour = epoch - epoch % 3600
            totals[hour] = totals.get(hour, 0.0) + count
        return totals

    @staticmethod
    def true_shape() -> tuple[float, ...]:
        mean = sum(SHAPE) / len(SHAPE)
        return tuple(m / mean for m in SHAPE)


def synthetic(days: int = 14, missing_day: int | None = 9, seed: int = 26) -> Synthetic:
    """`days` local days from a Monday midnight in New York; day `missing_day` (0 first) has no datapoint."""
    rng = random.Random(seed)
    zone = ZoneInfo(TIME_ZONE)
    start = datetime(2026, 11, 2, tzinfo=zone)  # a Monday, after the change to winter time
    shape = Synthetic.true_shape()
    minutes: dict[float, float] = {}
    for day in range(days):
        if day == missing_day:
            continue
        local = start + timedelta(days=day)
        per_day = WEEKDAY_MESSAGES_PER_DAY * (WEEKEND_FACTOR if local.weekday() >= 5 else 1.0)
        for minute in range(1440):
            rate_per_minute = per_day / 1440 * shape[minute // 60]
            count = rate_per_minute * (1 + rng.uniform(-NOISE, NOISE))
            minutes[(local + timedelta(minutes=minute)).timestamp()] = round(count)
    return Synthetic(start, days, minutes, missing_day)
