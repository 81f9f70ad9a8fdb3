"""capacity/scale_in_band.py: the step policy that scales a fleet in below the band, and what each step removes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity.scale_in_band import band_steps, landing_fraction, tasks_removed
from tests.tiers import examples


def test_the_steps_cover_the_metric_from_the_threshold_down_to_zero_without_gaps():
    steps = band_steps(0.96, 1.2)
    assert len(steps) == limits.SCALE_IN_BAND_INTERVALS
    assert steps[0].upper_below_threshold == 0
    assert steps[-1].lower_below_threshold is None  # no floor under the lowest interval
    for upper, lower in zip(steps, steps[1:]):
        assert lower.upper_below_threshold == pytest.approx(upper.lower_below_threshold)
    assert steps[-2].lower_below_threshold == pytest.approx(-0.96 * 0.9)


def test_each_step_removes_the_share_that_lands_its_highest_metric_mid_band():
    # Threshold 0.8 x 1.2 = 0.96, landing (1 + 0.8) / 2 x 1.2 = 1.08: just under the threshold
    # the fleet shrinks to 0.96 / 1.08 of itself (11% fewer, rounded toward zero).
    steps = band_steps(0.96, 1.2)
    assert landing_fraction(0.8) == pytest.approx(0.9)
    assert steps[0].percent == math.floor(100 * (1 - 0.96 / 1.08)) == 11
    assert [s.percent for s in steps] == sorted(s.percent for s in steps)  # further below, a bigger step
    assert steps[-1].percent < 100  # never the whole fleet


def test_a_step_removes_at_least_one_task_and_nothing_above_the_threshold():
    assert tasks_removed(20, 0.95, 0.96, 1.2) == 2  # 11% of 20, rounded toward zero
    assert tasks_removed(5, 0.95, 0.96, 1.2) == 1  # 11% of 5 is 0.55: at least one task
    assert tasks_removed(20, 0.96, 0.96, 1.2) == 0  # at the threshold the alarm is not below it
    assert tasks_removed(20, 0.0, 0.96, 1.2) == 20 * steps_percent_at_zero() // 100


def steps_percent_at_zero() -> int:
    return band_steps(0.96, 1.2)[-1].percent


@given(st.integers(1, 500), st.floats(0.0, 0.999), st.sampled_from(limits.SCALE_IN_BAND_FRACTIONS),
       st.floats(0.2, 20.0))
@settings(max_examples=examples(200), deadline=None)
def test_a_scale_in_never_lifts_the_metric_past_the_target(tasks, depth_share, fraction, target):
    # A datapoint below the threshold: messages = tasks x metric. After the step the same messages over the
    # fewer tasks stay under the target, so target tracking does not scale straight back out.
    threshold = fraction * target
    metric = depth_share * threshold
    removed = tasks_removed(tasks, metric, threshold, target)
    left = tasks - removed
    assert 1 <= removed <= tasks
    if left > 0 and removed > limits.SCALE_IN_MIN_ADJUSTMENT_TASKS:
        assert tasks * metric / left <= landing_fraction(fraction) * target + 1e-9
