"""Scheduled runs message by message: exact ages where a run just missed a message, batches oldest first."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from capacity import limits
from capacity import scenarios as sc
from capacity.plan import plan
from capacity.profile import load_profile, resolve_stack
from capacity.simulate import QueueModel, ScheduledFleet, Settings, simulate
from capacity.simulate.messages import processing_times
from capacity.simulate.scheduled import simulate_scheduled
from capacity.simulation_inputs import model_from_plan, plan_fleet

# 10 s a message on 2 slots; a run every 300 s that takes up to 30, ready 60 s after launch (TASK_START_SECONDS).
MODEL = QueueModel("q", processing_seconds=10.0, concurrency_per_task=2, max_age_seconds=900.0)
FLEET = ScheduledFleet(interval_seconds=300, batch_limit=30)
WHOLE = Settings(queue_model="messages")


def test_a_message_arriving_just_after_a_run_is_ready_waits_for_the_next_run():
    rates = np.zeros(1_200)
    rates[60] = 1.0  # one message, arriving at 61 s: the run ready at 60 s has already taken its batch
    result = simulate(MODEL, FLEET, sc.Scenario("one", "one message", rates), WHOLE)
    # The run ready at 360 s takes it; deleted 10 s later: 370 - 61 s in the queue.
    assert result.max_age_seconds == 309.0
    assert (result.messages_processed, result.messages_left, result.task_launches) == (1.0, 0.0, 4)


def test_a_backlog_is_taken_batch_limit_at_a_time_oldest_first():
    backlog = sc.Scenario("backlog", "100 waiting", np.zeros(1_800), 100.0)
    result = simulate(MODEL, FLEET, backlog, WHOLE)
    # Runs ready at 60, 360, 660 and 960 s take 30, 30, 30 and 10; the last 10 on 2 slots end at 960 + 50 s.
    assert result.max_age_seconds == 1_010.0
    assert round(result.task_hours * 3_600) == 3 * (60 + 150) + 60 + 50 + 2 * 60  # and two empty runs to 1,800 s
    deleted = result.timeline.throughput_per_second * 60
    assert [round(deleted[m:m + 5].sum()) for m in (0, 5, 10, 15)] == [30, 30, 30, 10]


def test_whole_messages_agree_with_the_fluid_within_2_percent_on_a_deterministic_day():
    profile = load_profile(resolve_stack("scheduled-questions"))
    (lane,) = plan(profile).workloads
    model, fleet = model_from_plan(lane, profile.workloads[0].sink), plan_fleet(lane)
    day = sc.design_day(lane.arrival_average_per_second, lane.arrival_peak_per_second,
                        lane.arrival_trough_per_second, None)
    whole = simulate(model, fleet, day, WHOLE)
    fluid = simulate(model, fleet, day, Settings(queue_model="fluid"))
    assert abs(whole.max_age_seconds - fluid.max_age_seconds) <= 0.02 * fluid.max_age_seconds
    assert abs(whole.task_hours - fluid.task_hours) <= 0.02 * fluid.task_hours
    assert whole.messages_processed == round(fluid.messages_processed)


def test_a_seeded_run_draws_its_own_arrivals_and_times_and_loses_no_message():
    slow = QueueModel("q", processing_seconds=10.0, concurrency_per_task=2, max_age_seconds=900.0,
                      processing_p99_seconds=60.0)
    day = sc.constant(0.05, days=0.5)
    first, again, other = (simulate(slow, FLEET, day, Settings(random_seed=seed)) for seed in (3, 3, 4))
    assert first.max_age_seconds == again.max_age_seconds and first.task_hours == again.task_hours
    assert (first.max_age_seconds, first.messages_arrived) != (other.max_age_seconds, other.messages_arrived)
    for result in (first, other):
        assert result.messages_processed + result.messages_left == result.messages_arrived
        assert result.messages_arrived == int(result.messages_arrived)  # whole messages


def _simpy_scheduled(arrive, work, interval, batch_limit, slots, start_seconds, total) -> np.ndarray:
    """Deletion times of the same messages in a SimPy model: a run every interval takes, start_seconds after its
    launch, up to batch_limit of those waiting (oldest first) and works through them on `slots` servers."""
    env = simpy.Environment()
    waiting: list[int] = []
    deleted = np.full(arrive.size, np.inf)

    def arrivals():
        for i, at in enumerate(arrive):
            yield env.timeout(at - env.now)
            waiting.append(i)

    def message(servers, i):
        with servers.request() as request:
            yield request
            yield env.timeout(work[i])
            deleted[i] = env.now

    def run():
        yield env.timeout(start_seconds)
        servers = simpy.Resource(env, capacity=slots)
        for _ in range(min(batch_limit, len(waiting))):
            env.process(message(servers, waiting.pop(0)))

    def scheduler():
        launched = 0
        while launched + start_seconds < total:
            env.process(run())
            yield env.timeout(interval)
            launched += interval

    env.process(arrivals())
    env.process(scheduler())
    env.run()
    return deleted


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_message_is_deleted_when_a_simpy_model_of_the_same_runs_deletes_it(seed):
    slow = QueueModel("q", processing_seconds=8.0, concurrency_per_task=3, max_age_seconds=900.0,
                      processing_p99_seconds=40.0)
    fleet = ScheduledFleet(interval_seconds=120, batch_limit=12)
    day = sc.constant(0.1, days=0.25)  # 12 per 120 s: Poisson bursts leave messages behind for the next run
    run = simulate_scheduled(slow, fleet, day, Settings(random_seed=seed, queue_model="messages"), None)
    arrive, deleted = run.message_times
    expected = _simpy_scheduled(arrive, processing_times(arrive.size, 8.0, 40.0, seed), 120, 12, 3,
                                limits.TASK_START_SECONDS, day.duration_seconds)
    assert arrive.size > 1_000
    assert np.array_equal(np.isinf(deleted), np.isinf(expected))
    finite = np.isfinite(deleted)
    assert np.allclose(deleted[finite], expected[finite], rtol=0, atol=1e-6)
