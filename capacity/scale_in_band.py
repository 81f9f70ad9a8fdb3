"""A scale-in band wider than target tracking's own: the step policy that scales a fleet in, and what it removes.

Target tracking scales in once 15 one-minute datapoints sit below about 90% of its target, to
the fleet that puts the metric back on the target. Where Poisson arrivals move the metric by
more than that 10% band, a fleet at rest scales out, finds itself under the target, scales
back in: flapping. With a band, target tracking only scales out (DisableScaleIn), and a step
policy scales in once 15 datapoints sit below `fraction` x the target, to a fleet whose metric
lands mid-band, (1 + fraction) / 2 x the target. Step scaling takes a percent change per interval
of the metric below the alarm's threshold; each interval removes what its highest metric
allows, rounded toward zero as Application Auto Scaling rounds it, at least one task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from capacity import limits

# Step bounds are sent to the API as decimal strings: rounded here so float noise (0.864000000001) stays out.
BOUND_DECIMALS = 6


@dataclass(frozen=True)
class BandStep:
    """One interval of the step policy: the metric between these bounds below the threshold (None: unbounded)
    removes this percent of the tasks."""

    lower_below_threshold: float | None
    upper_below_threshold: float
    percent: int


def landing_fraction(fraction: float) -> float:
    """Where a scale-in puts the metric, as a fraction of the target: the middle of the band."""
    return (1.0 + fraction) / 2.0


@lru_cache(maxsize=64)
def band_steps(threshold_backlog_per_task: float, target_backlog_per_task: float) -> tuple[BandStep, ...]:
    """The step adjustments for an alarm at the threshold: SCALE_IN_BAND_INTERVALS equal intervals of the metric
    from the threshold down to zero, each removing the share that lands its highest metric mid-band."""
    fraction = threshold_backlog_per_task / target_backlog_per_task
    landing = landing_fraction(fraction) * target_backlog_per_task
    intervals = limits.SCALE_IN_BAND_INTERVALS
    steps = []
    for k in range(intervals, 0, -1):
        high = threshold_backlog_per_task * k / intervals
        percent = math.floor(100 * (1 - high / landing))
        lower = None if k == 1 else round(threshold_backlog_per_task * (k - 1) / intervals - threshold_backlog_per_task,
                                          BOUND_DECIMALS)
        steps.append(BandStep(lower, round(high - threshold_backlog_per_task, BOUND_DECIMALS), percent))
    return tuple(steps)


def tasks_removed(desired: int, metric_backlog_per_task: float, threshold_backlog_per_task: float,
                  target_backlog_per_task: float) -> int:
    """Tasks the band's step policy removes at this datapoint: its interval's percent of the desired count,
    rounded toward zero, at least SCALE_IN_MIN_ADJUSTMENT_TASKS (MinAdjustmentMagnitude); 0 above the threshold."""
    below = metric_backlog_per_task - threshold_backlog_per_task
    if not below < 0:
        return 0
    # The intervals cover every metric under the threshold: the lowest has no lower bound.
    step = next(s for s in band_steps(threshold_backlog_per_task, target_backlog_per_task)
                if (s.lower_below_threshold is None or below >= s.lower_below_threshold)
                and below < s.upper_below_threshold)
    return max(limits.SCALE_IN_MIN_ADJUSTMENT_TASKS, desired * step.percent // 100)
