"""Service consumers: FIFO sends judged unbatched (item 6), today's fleet against the plan's retention (item 7)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import plan_one
from tests.item_profiles import plan_of
from tests.tiers import examples


def test_fifo_at_2315_messages_per_second_sent_one_per_call_turns_on_high_throughput():
    (w,) = plan_of("fifo_unbatched_sends").workloads
    assert w.service.fifo_high_throughput is True
    assert w.reasons["fifo_high_throughput"] == (
        "on: the producers send one message per SendMessage call (unbatched, as the cost counts them), so the "
        "2,315 msg/s peak is 2,315 calls/s against FIFO's 300 calls/s per action without high-throughput mode")
    assert w.feasible


def test_fifo_under_three_hundred_sends_per_second_stays_in_standard_mode():
    w = plan_one(broker="sqs-fifo")  # peak 20 msg/s
    assert w.service.fifo_high_throughput is False
    assert w.reasons["fifo_high_throughput"].startswith("off: ")


def test_todays_fleet_draining_past_the_plans_retention_loses_the_oldest_messages():
    (w,) = plan_of("current_fleet_expires").workloads
    assert w.service.current_drain_seconds is None
    assert w.retention_seconds < 13.5 * 86_400
    (warning,) = w.warnings
    assert warning.limit == "current fleet"
    assert warning.message == (
        "today's 1 task would take 13.5 days to drain: the oldest messages expire (retention 5.46 days) before "
        "they are processed")
    # The plan's 3 tasks (room above the 2 resting at the peak) drain in 4.5 days: retention 1.2 x (4.5 d + 1 h).
    # floor((0 + 1,166,400 / (471,744 - 3,600)) / 1) + 1 = 3 tasks drain it within that retention.
    assert warning.patch == {"workloads[0].consumer.current_tasks": 3}
    assert "longer than the plan's 5.46 days retention" in w.reasons["current_drain_seconds"]


def test_the_plan_prints_erlang_cs_fewest_tasks_at_the_peak_beside_its_own_and_why_they_differ():
    from capacity.plan.erlang import fewest_tasks

    w = plan_one()  # peak 20 msg/s, 1 s a message, 2 per task, a 300 s objective
    assert w.service.erlang_peak_tasks == fewest_tasks(20.0, 1.0, 2, 300).tasks == 11
    why = w.reasons["erlang_peak_tasks"]
    assert why.startswith("11 tasks = ceil(21 slots / 2 per task): Erlang C")
    assert "the plan rests at 12 tasks at the peak, more: target tracking keeps each task 90% busy" in why


@settings(max_examples=examples(10), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    per_day=st.sampled_from([20_000, 864_000, 3_000_000, 40_000_000]),
    peak=st.sampled_from([1.5, 3.0, 6.0]),
    processing=st.sampled_from([0.05, 1.0, 4.0, 30.0]),
    concurrency=st.sampled_from([1, 4, 16]),
    objective=st.sampled_from([60, 300, 3600]),
)
def test_no_feasible_plan_allows_fewer_tasks_than_any_fleet_needs_at_a_steady_peak(
    per_day, peak, processing, concurrency, objective
):
    w = plan_one(traffic__messages_per_day=per_day, traffic__peak_to_average=peak,
                 consumer__processing_seconds=processing, consumer__processing_p99_seconds=processing * 3,
                 consumer__concurrency_per_task=concurrency, objective__max_age_seconds=objective)
    if w.feasible:
        assert w.max_capacity >= w.service.erlang_peak_tasks, w.reasons["erlang_peak_tasks"]


def test_erlang_cs_comparison_counts_a_min_capacity_above_where_target_tracking_would_rest():
    w = plan_one(overrides__min_capacity=13)  # target tracking at 0.9 would rest at 12 at the 20 msg/s peak
    assert (w.service.erlang_peak_tasks, w.min_capacity) == (11, 13)
    assert ("the plan rests at 13 tasks at the peak, more: its min capacity, above the 12 tasks target tracking "
            "would rest at (see min_capacity)") in w.reasons["erlang_peak_tasks"]
