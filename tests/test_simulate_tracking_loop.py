"""capacity/simulate/tracking_loop.py: the compiled target tracking loop decides exactly as the Python loop does."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from capacity import scenarios as sc
from capacity.simulate import QueueModel, Settings, StaticFleet, TargetTrackingFleet, simulate
from capacity.simulate.service import simulate_service

QUEUE = QueueModel("q", 1.0, 2, 300.0, processing_p99_seconds=3.0)
FLEET = TargetTrackingFleet(min_capacity=3, max_capacity=20, target_backlog_per_task=1.8,
                            scale_out_cooldown_seconds=60, scale_in_cooldown_seconds=300)

# Fleets that reach every branch: target tracking's own scale-in, a band, scale to zero with the zero-to-one
# step, scheduled floors (with a drop the schedule owns), a first deploy before the first action, a sink cap.
CASES = {
    "own scale-in": (QUEUE, FLEET),
    "band": (QUEUE, replace(FLEET, scale_in_fraction=0.6)),
    "scale to zero": (QueueModel("q", 1.0, 2, 900.0, processing_p99_seconds=3.0), replace(FLEET, min_capacity=0)),
    "scheduled floors": (QUEUE, replace(FLEET, min_capacity=1, schedule=((7 * 3600, 6), (18 * 3600, 1)),
                                        scale_in_fraction=0.7)),
    "first deploy": (QUEUE, replace(FLEET, min_capacity=1, schedule=((7 * 3600, 6), (18 * 3600, 1)),
                                    start_second_of_day=9 * 3600, deploy_min_capacity=6)),
    "sink cap": (QueueModel("q", 1.0, 2, 300.0, sink_messages_per_second=8.0, processing_p99_seconds=3.0), FLEET),
    # A static fleet runs the compiled loop as target tracking pinned at min = max.
    "static": (QUEUE, StaticFleet(9)),
}
SCENARIOS = {
    "diurnal": sc.diurnal(10.0, 20.0, 2.0, days=1.0),
    "spike": sc.design_spike(10.0, 20.0, 2.0, None, days=0.25),
    "trickle with idle hours": sc.constant(0.002, 0.5),
    # Messages 9 hours apart: SQS's late metrics after 6 idle hours delay the wake from zero.
    "idle for hours": sc.constant(0.00003, 1.0),
}


def _same_run(model, fleet, scenario, seed):
    settings = Settings(random_seed=seed, queue_model="messages")
    ours = simulate_service(model, fleet, scenario, settings, None)
    python = simulate_service(model, fleet, scenario, settings, None, compiled=False)
    assert ours.actions == python.actions
    assert (ours.task_launches, ours.scheduled_actions) == (python.task_launches, python.scheduled_actions)
    for field in ("billed", "backlog_messages", "starts", "running", "deleted", "ages", "minute_max_ages"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(python, field), err_msg=field)
    return ours


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_compiled_loop_makes_every_decision_the_python_loop_makes(case, scenario):
    model, fleet = CASES[case]
    for seed in (None, 1, 2):
        _same_run(model, fleet, SCENARIOS[scenario], seed)


def test_the_cases_reach_scale_outs_scale_ins_scheduled_actions_and_a_wake_from_zero():
    settings = Settings(random_seed=1, queue_model="messages")
    day = SCENARIOS["diurnal"]
    kinds = {kind for case in CASES.values() for _, kind in simulate_service(*case, day, settings, None).actions}
    assert kinds == {"out", "in"}
    assert simulate_service(*CASES["scheduled floors"], day, settings, None).scheduled_actions > 0
    zero = simulate_service(*CASES["scale to zero"], SCENARIOS["trickle with idle hours"], settings, None)
    assert zero.task_launches > 0 and zero.billed.min() == 0
    # After 6 idle hours the metrics come 15 minutes late, so the wake from zero waits for them.
    idle = SCENARIOS["idle for hours"]
    late = simulate_service(*CASES["scale to zero"], idle, Settings(queue_model="messages"), None)
    prompt = simulate_service(*CASES["scale to zero"], idle, Settings(queue_model="messages", idle_metric_lag_seconds=0),
                              None)
    assert late.ages.max() > prompt.ages.max() + 600


def test_progress_is_reported_in_chunks_without_changing_the_run():
    model, fleet = CASES["band"]
    seen: list[float] = []
    settings = Settings(random_seed=3)
    chunked = simulate(model, fleet, SCENARIOS["diurnal"], settings, seen.append)
    whole = simulate(model, fleet, SCENARIOS["diurnal"], settings)
    assert len(seen) > 50 and seen == sorted(seen) and seen[-1] == 1.0
    assert (chunked.task_hours, chunked.max_age_seconds, chunked.task_launches) == (
        whole.task_hours, whole.max_age_seconds, whole.task_launches)

