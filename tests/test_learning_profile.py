"""capacity.learning_profile: what was learned beside the profile, and as the patch that adopts it."""

from __future__ import annotations

import pytest

from capacity.learning import Learned
from capacity.learning_profile import compare, learned_patch, rounded
from tests.factories import SQS_WORKLOAD, make_profile


def learned(**values) -> Learned:
    base = dict(verdict="learned", confidence="high", time_zone="Europe/Paris", days_asked=14, complete_days=14,
                missing_days=(), missing_hours=0, daily_spread=0.02, messages_per_day=86_400.0,
                peak_messages_per_second=2.5, peak_source="p99 of 20,160 minute rates", trough_to_average=0.25,
                hourly_multipliers=tuple([0.5] * 12 + [1.5] * 12), shape_error=0.01, processing_seconds=0.3,
                processing_p99_seconds=0.9, receive_overhead_seconds=0.012)
    base.update(values)
    return Learned(**base)


def workload(**traffic):
    data = {**SQS_WORKLOAD, "traffic": {**SQS_WORKLOAD["traffic"], **traffic}}
    return make_profile(data).workloads[0]


def test_rounded_keeps_three_significant_digits_and_rounds_a_peak_up():
    assert (rounded(240_079.9), rounded(0.26933), rounded(2.6612, up=True), rounded(0)) == (240_000, 0.269, 2.67, 0)


def test_the_patch_sets_each_learned_value_at_its_profile_path_and_the_shapes_time_zone_when_new():
    w = workload(peak_to_average=2.0)
    patch = learned_patch(learned(), w, 0)
    assert patch["workloads[0].traffic.messages_per_day"] == 86_400
    assert patch["workloads[0].traffic.peak_to_average"] == 2.5  # 2.5 msg/s over the 1 msg/s average
    assert patch["workloads[0].traffic.trough_to_average"] == 0.25
    assert patch["workloads[0].traffic.daily_shape.hourly_multipliers"] == [0.5] * 12 + [1.5] * 12
    assert patch["workloads[0].traffic.daily_shape.time_zone"] == "Europe/Paris"
    assert (patch["workloads[0].consumer.processing_seconds"], patch["workloads[0].consumer.processing_p99_seconds"],
            patch["workloads[0].consumer.receive_overhead_seconds"]) == (0.3, 0.9, 0.012)


def test_a_profile_giving_its_peak_in_messages_per_second_keeps_that_form():
    w = workload(peak_to_average=None, peak_messages_per_second=20.0)
    patch = learned_patch(learned(), w, 2)
    assert patch["workloads[2].traffic.peak_messages_per_second"] == 2.5
    assert "workloads[2].traffic.peak_to_average" not in patch


def test_a_p99_below_the_learned_mean_is_raised_to_it_and_too_little_data_patches_nothing():
    w = workload()
    assert learned_patch(learned(processing_p99_seconds=0.1), w, 0)["workloads[0].consumer.processing_p99_seconds"] == 0.3
    assert learned_patch(learned(messages_per_day=None), w, 0) == {}


def test_the_comparison_gives_each_fields_difference_and_how_sure():
    w = workload(peak_to_average=2.0)
    rows = {c.field: c for c in compare(learned(), w)}
    assert rows["traffic.messages_per_day"].difference == pytest.approx(86_400 / w.traffic.messages_per_day - 1)
    assert "daily spread 2.0%" in rows["traffic.messages_per_day"].how_sure
    # The factory's receive overhead is 0: no ratio to give, the row shows both values only.
    assert (rows["consumer.receive_overhead_seconds"].profile, rows["consumer.receive_overhead_seconds"].difference) == (
        0.0, None)


def test_a_learned_mean_above_the_profiles_p99_raises_that_p99_when_no_p99_was_learned():
    w = workload()
    mean = w.consumer.processing_p99_seconds * 2  # slower than the profile's own p99, no percentile read back
    patch = learned_patch(learned(processing_seconds=mean, processing_p99_seconds=None), w, 0)
    assert patch["workloads[0].consumer.processing_p99_seconds"] == patch["workloads[0].consumer.processing_seconds"]
