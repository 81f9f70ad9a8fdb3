"""A profile's workload set beside what its queue's history says (capacity/learning.py), and the patch to adopt it.

`compare` gives one row per profile field the history estimates: the profile's value, the observed
one and their difference; `learned_patch` gives the same values as a profile patch (the paths
`qcap plan --fix` uses), rounded so the file stays readable, for `qcap doctor --learn --fix`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity import limits
from capacity.learning import Learned
from capacity.plan.models import Patch
from capacity.profile import Workload

SIGNIFICANT_DIGITS = 3
MULTIPLIER_DECIMALS = 2


@dataclass(frozen=True)
class Comparison:
    """One field: what the profile says, what was observed (None: not estimated), and how far apart."""

    field: str
    profile: float | str | None
    observed: float | str | None
    how_sure: str

    @property
    def difference(self) -> float | None:
        """Observed over profile, less 1 (None when either is missing or not a number)."""
        if not isinstance(self.profile, (int, float)) or not isinstance(self.observed, (int, float)) or not self.profile:
            return None
        return self.observed / self.profile - 1


def rounded(value: float, digits: int = SIGNIFICANT_DIGITS, up: bool = False) -> float:
    """`value` to `digits` significant digits (rounded up when `up`), as an int when whole."""
    if value == 0:
        return 0
    scale = 10 ** (digits - 1 - math.floor(math.log10(abs(value))))
    result = (math.ceil(value * scale) if up else round(value * scale)) / scale
    return int(result) if result == int(result) else result


def _profile_peak(workload: Workload) -> float:
    t = workload.traffic
    if t.peak_messages_per_second is not None:
        return t.peak_messages_per_second
    return (t.peak_to_average or 1.0) * t.messages_per_day / limits.SECONDS_PER_DAY


def _max_shape_difference(workload: Workload, learned: Learned) -> str:
    shape = workload.traffic.daily_shape
    if learned.hourly_multipliers is None:
        return "not estimated"
    if shape is None:
        return "profile has none"
    diffs = [abs(o - p) / p for o, p in zip(learned.hourly_multipliers, shape.hourly_fractions()) if p > 0]
    return f"largest hour {max(diffs, default=0):.0%} apart"


def compare(learned: Learned, workload: Workload) -> list[Comparison]:
    """The profile's fields beside the learned ones, with how sure each is."""
    t, c = workload.traffic, workload.consumer
    days = f"{learned.complete_days} whole days, daily spread {learned.daily_spread:.1%}" if learned.daily_spread is not None else ""
    shape_sure = f"hour error <= {learned.shape_error:.1%}" if learned.shape_error is not None else ""
    busiest = max(learned.hourly_multipliers) if learned.hourly_multipliers else None
    return [
        Comparison("traffic.messages_per_day", t.messages_per_day, learned.messages_per_day, days),
        Comparison("peak messages per second", _profile_peak(workload), learned.peak_messages_per_second,
                   learned.peak_source),
        Comparison("traffic.trough_to_average", t.trough_to_average, learned.trough_to_average,
                   "the quietest hour of the shape"),
        Comparison("busiest hour x average", max(t.daily_shape.hourly_fractions()) if t.daily_shape else None,
                   busiest, f"{_max_shape_difference(workload, learned)}; {shape_sure}"),
        Comparison("consumer.processing_seconds", c.processing_seconds, learned.processing_seconds,
                   "the workers' ProcessingTime mean"),
        Comparison("consumer.processing_p99_seconds", c.p99_seconds, learned.processing_p99_seconds,
                   "the workers' ProcessingTime p99"),
        Comparison("consumer.receive_overhead_seconds", c.receive_overhead_seconds, learned.receive_overhead_seconds,
                   "the workers' receive time per message"),
    ]


def learned_patch(learned: Learned, workload: Workload, index: int) -> Patch:
    """The observed values as a patch of workloads[index] (only those estimated); {} under "too little data"."""
    if learned.messages_per_day is None:
        return {}
    at = f"workloads[{index}]"
    patch: Patch = {f"{at}.traffic.messages_per_day": rounded(learned.messages_per_day)}
    average = learned.messages_per_day / limits.SECONDS_PER_DAY
    if learned.peak_messages_per_second is not None:
        if workload.traffic.peak_messages_per_second is not None or average <= 0:
            patch[f"{at}.traffic.peak_messages_per_second"] = rounded(learned.peak_messages_per_second, up=True)
        else:
            patch[f"{at}.traffic.peak_to_average"] = max(1, rounded(learned.peak_messages_per_second / average, up=True))
    if learned.trough_to_average is not None:
        patch[f"{at}.traffic.trough_to_average"] = rounded(learned.trough_to_average, 2)
    if learned.hourly_multipliers is not None:
        patch[f"{at}.traffic.daily_shape.hourly_multipliers"] = [
            round(m, MULTIPLIER_DECIMALS) for m in learned.hourly_multipliers]
        if workload.traffic.daily_shape is None:
            patch[f"{at}.traffic.daily_shape.time_zone"] = learned.time_zone
    for name in ("processing_seconds", "processing_p99_seconds", "receive_overhead_seconds"):
        value = getattr(learned, name)
        if value is not None:
            patch[f"{at}.consumer.{name}"] = rounded(value)
    # The p99 may not be learned (no percentiles read back): the profile's own must still cover a learned mean.
    p99 = patch.get(f"{at}.consumer.processing_p99_seconds", workload.consumer.processing_p99_seconds)
    mean = patch.get(f"{at}.consumer.processing_seconds", workload.consumer.processing_seconds)
    if p99 is not None and p99 < mean:
        patch[f"{at}.consumer.processing_p99_seconds"] = mean
    return patch
