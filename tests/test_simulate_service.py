"""A service's minute loop: the per-message queue by default, the fluid only for runs too big to count, and where
the fluid stands in it agrees with the per-message queue."""

from __future__ import annotations

import numpy as np
import pytest

from capacity import limits
from capacity import scenarios as sc
from capacity.simulate import QueueModel, Settings, SimulationError, TargetTrackingFleet, queue_model_of, simulate


def _busy_fleet() -> tuple[QueueModel, TargetTrackingFleet]:
    model = QueueModel("q", processing_seconds=0.1, concurrency_per_task=4, max_age_seconds=60)
    return model, TargetTrackingFleet(min_capacity=1, max_capacity=20, target_backlog_per_task=3.6)


def test_auto_counts_each_message_up_to_the_limit_and_uses_the_fluid_beyond_it():
    small = sc.constant(1.0, days=1)
    big = sc.constant(limits.SIM_PER_MESSAGE_MAX_MESSAGES / 86_400 * 1.1, days=1)
    assert queue_model_of(Settings(), small) == "messages"
    assert queue_model_of(Settings(), big) == "fluid"
    assert queue_model_of(Settings(queue_model="messages"), big) == "messages"


def test_an_unknown_queue_model_is_refused_with_the_allowed_ones():
    model, fleet = _busy_fleet()
    with pytest.raises(SimulationError, match="queue_model must be one of auto, messages, fluid"):
        simulate(model, fleet, sc.constant(1.0, days=0.01), Settings(queue_model="exact"))


def test_where_thousands_of_messages_pass_a_minute_the_fluid_agrees_with_the_messages_within_two_percent():
    model, fleet = _busy_fleet()
    scenario = sc.spike(40.0, 120.0, minutes=30, days=0.25)
    fluid = simulate(model, fleet, scenario, Settings(queue_model="fluid"))
    whole = simulate(model, fleet, scenario, Settings(queue_model="messages"))
    assert whole.task_hours == pytest.approx(fluid.task_hours, rel=0.02)
    assert whole.messages_processed == pytest.approx(fluid.messages_processed, rel=0.02)
    # Ages differ by at most a processing time plus a message's spacing: 2% of the objective.
    assert abs(whole.max_age_seconds - fluid.max_age_seconds) <= 0.02 * model.max_age_seconds
    assert whole.largest_fleet == fluid.largest_fleet


def test_where_messages_are_sparse_the_fluid_under_reports_the_oldest_and_the_messages_do_not():
    # One message every 50 s on one task taking 40 s each: each whole message is in the queue for 40 s.
    model = QueueModel("q", processing_seconds=40.0, concurrency_per_task=1, max_age_seconds=900)
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=1, target_backlog_per_task=1)
    scenario = sc.constant(0.02, days=0.05)
    fluid = simulate(model, fleet, scenario, Settings(queue_model="fluid"))
    whole = simulate(model, fleet, scenario, Settings(queue_model="messages"))
    assert whole.max_age_seconds == pytest.approx(40.0)
    assert fluid.max_age_seconds < 40.0
    assert np.isclose(whole.messages_arrived, np.floor(scenario.total_messages + 1e-9))


def test_candidates_run_on_one_day_and_seed_share_its_draws_and_get_the_same_results_as_fresh_ones():
    from capacity.simulate import service

    day = sc.design_day(2.0, 4.0, 1.0, None)
    first = service.drawn_messages(day, 1.0, 3.0, 5)
    assert service.drawn_messages(day, 1.0, 3.0, 5)[0] is first[0]  # drawn once
    other = service.drawn_messages(day, 1.0, 3.0, 6)
    assert other[0].size != first[0].size or not np.array_equal(other[0], first[0])
    model = QueueModel("q", 1.0, 2, 300.0, processing_p99_seconds=3.0)
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=6, target_backlog_per_task=1.6)
    settings = Settings(random_seed=5, queue_model="messages")
    shared = simulate(model, fleet, day, settings)
    service._DRAWN.clear()
    fresh = simulate(model, fleet, day, settings)
    assert (shared.task_hours, shared.max_age_seconds, shared.task_launches) == (
        fresh.task_hours, fresh.max_age_seconds, fresh.task_launches)

