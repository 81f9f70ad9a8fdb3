"""Service consumers: FIFO sends judged unbatched (item 6), today's fleet against the plan's retention (item 7)."""

from __future__ import annotations

from tests.factories import plan_one
from tests.item_profiles import plan_of


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
