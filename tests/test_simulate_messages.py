"""The per-message queue: whole messages, exact FIFO over many slots, exact ages, against SimPy on the same draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from capacity import scenarios as sc
from capacity.simulate import QueueModel, Settings, StaticFleet, TargetTrackingFleet
from capacity.simulate import messages
from capacity.simulate.service import simulate_service


def _scenario(rates: np.ndarray, backlog: float = 0.0) -> sc.Scenario:
    return sc.Scenario(name="test", description="test", arrivals_per_second=rates, initial_backlog_messages=backlog)


def _run(model: QueueModel, fleet, scenario: sc.Scenario, seed: int | None = None):
    return simulate_service(model, fleet, scenario, Settings(random_seed=seed, queue_model="messages"), None)


def _simpy_deletions(arrive: np.ndarray, work: np.ndarray, slots: int) -> np.ndarray:
    """Deletion times of the same messages through SimPy's FIFO resource of `slots` servers."""
    env = simpy.Environment()
    resource = simpy.Resource(env, capacity=slots)
    deleted = np.full(arrive.size, np.inf)

    def message(i):
        yield env.timeout(arrive[i] - env.now) if arrive[i] > env.now else env.timeout(0)
        with resource.request() as request:
            yield request
            yield env.timeout(work[i])
            deleted[i] = env.now

    def source():
        for i in range(arrive.size):
            if arrive[i] > env.now:
                yield env.timeout(arrive[i] - env.now)
            env.process(message(i))

    env.process(source())
    env.run()
    return deleted


def test_each_message_is_deleted_when_simpy_deletes_it_given_the_same_arrivals_and_processing_times():
    model = QueueModel("q", processing_seconds=3.0, concurrency_per_task=2, max_age_seconds=600,
                       processing_p99_seconds=12.0)
    scenario = _scenario(np.full(1800, 1.2), backlog=40)
    run = _run(model, StaticFleet(2), scenario, seed=7)
    arrive, deleted = run.message_times
    work = messages.processing_times(arrive.size, 3.0, 12.0, 7)
    theirs = _simpy_deletions(arrive, work, slots=4)
    done = deleted < 1800
    assert done.sum() > 1500
    np.testing.assert_allclose(deleted[done], theirs[done], rtol=0, atol=1e-6)


def test_a_lone_message_is_old_for_its_whole_wait_and_processing_not_for_a_fraction_of_it():
    # One message every 100 s, each taking 100 s on one task: whole messages are in the queue all the time.
    model = QueueModel("q", processing_seconds=100.0, concurrency_per_task=1, max_age_seconds=900)
    run = _run(model, StaticFleet(1), _scenario(np.full(3600, 0.01)))
    arrive, deleted = run.message_times
    assert arrive[:3] == pytest.approx([100.0, 200.0, 300.0])
    assert deleted[:3] == pytest.approx([200.0, 300.0, 400.0])
    assert run.minute_max_ages.max() == pytest.approx(100.0)


def test_a_message_deleted_inside_a_minute_sets_that_minutes_maximum_age_to_its_time_in_the_queue():
    # The backlog's one message waits from 0 until the task starts at 60 s and takes 30 s: 90 s, gone at 90 s.
    model = QueueModel("q", processing_seconds=30.0, concurrency_per_task=1, max_age_seconds=900)
    fleet = TargetTrackingFleet(min_capacity=0, max_capacity=1, target_backlog_per_task=1)
    run = _run(model, fleet, _scenario(np.zeros(600), backlog=1))
    arrive, deleted = run.message_times
    held = deleted[0] - arrive[0]
    minute = int(deleted[0]) // 60
    assert run.minute_max_ages[minute] == pytest.approx(held)
    assert run.ages[int(deleted[0])] == 0.0  # the end of the second it left: nothing is in the queue


def test_a_long_tail_of_processing_times_shows_in_the_oldest_age():
    # Mean 300 s, p99 900 s: the slowest message drawn is in the queue at least that long.
    model = QueueModel("q", processing_seconds=300.0, concurrency_per_task=1, max_age_seconds=1200,
                       processing_p99_seconds=900.0)
    run = _run(model, StaticFleet(4), _scenario(np.full(4 * 3600, 0.01)), seed=3)
    arrive, deleted = run.message_times
    done = np.isfinite(deleted) & (deleted < 4 * 3600)
    assert run.minute_max_ages.max() >= (deleted[done] - arrive[done]).max() - 1e-9
    assert (deleted[done] - arrive[done]).max() > 900


def test_a_sink_cap_spaces_the_starts_one_interval_apart():
    model = QueueModel("q", processing_seconds=1.0, concurrency_per_task=10, max_age_seconds=900,
                       sink_messages_per_second=2.0)
    run = _run(model, StaticFleet(5), _scenario(np.zeros(120), backlog=100))
    starts = np.flatnonzero(run.starts)
    assert run.starts.max() == 2  # two a second
    assert run.starts[:50].sum() == 100 and starts[-1] == 49


def test_stopped_tasks_retire_the_first_slots_to_come_free_and_no_message_starts_on_them():
    model = QueueModel("q", processing_seconds=10.0, concurrency_per_task=1, max_age_seconds=900)
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=1)
    scenario = _scenario(np.concatenate((np.full(1800, 0.9), np.full(3600, 0.05))), backlog=0)
    run = _run(model, fleet, scenario)
    arrive, deleted = run.message_times
    # While fewer slots run than messages in flight, nothing starts beyond the running slots.
    starts = np.cumsum(run.starts)
    for second in range(60, scenario.duration_seconds, 97):
        in_flight = int(((deleted > second) & (deleted - 10.0 <= second)).sum())
        assert in_flight <= run.running[second] + 1e-9, second
    assert starts[-1] == np.isfinite(deleted).sum()


def test_a_fluid_curve_is_cut_into_whole_messages_as_it_reaches_each_next_one():
    times, counts = messages.fluid_arrival_times(np.full(10, 0.4), 0.5, 2)
    # Two waiting at 0; the curve starts at 0.5 and reaches 1 at 1.25 s, 2 at 3.75 s, ... and 4.5 at the end.
    assert times.tolist() == pytest.approx([0.0, 0.0, 1.25, 3.75, 6.25, 8.75])
    # The backlog is not an arrival of any second.
    assert counts.tolist() == [0, 1, 0, 1, 0, 0, 1, 0, 1, 0]


def test_poisson_arrivals_come_in_order_at_the_scenarios_rate():
    rates = np.concatenate((np.full(3600, 5.0), np.full(3600, 1.0)))
    gaps = np.random.default_rng(1).standard_exponential(40_000)
    times, counts, complete = messages.poisson_process_times(rates, gaps, 0)
    assert complete
    assert np.all(np.diff(times) >= 0)
    assert counts.tolist() == np.bincount(times.astype(np.int64), minlength=rates.size).tolist()
    first, second = (times < 3600).sum(), (times >= 3600).sum()
    assert first == pytest.approx(18_000, rel=0.03) and second == pytest.approx(3_600, rel=0.06)


def test_poisson_arrivals_say_when_the_gaps_ran_out_before_the_run_ended():
    times, _, complete = messages.poisson_process_times(np.full(100, 10.0), np.ones(50), 0)
    assert not complete and times.size == 50


def test_an_arrival_the_curve_completes_at_the_runs_very_end_counts_in_its_last_second():
    # Gaps of exactly one message a second at 1 msg/s: the third arrives at 3.0 s, the end of a 3-second run.
    times, counts, complete = messages.poisson_process_times(np.full(3, 1.0), np.ones(4), 0)
    assert times.tolist() == [1.0, 2.0, 3.0] and complete
    assert counts.tolist() == [0, 1, 2]


def test_processing_times_have_the_profiles_mean_and_p99_when_seeded_and_are_the_mean_without():
    draws = messages.processing_times(400_000, 2.0, 6.0, seed=5)
    assert draws.mean() == pytest.approx(2.0, rel=0.01)
    assert np.percentile(draws, 99) == pytest.approx(6.0, rel=0.03)
    assert np.all(messages.processing_times(10, 2.0, 6.0, seed=None) == 2.0)
    assert math.isclose(messages.lognormal_sigma(2.0, 1.0), 0.0)


def test_a_batch_waiting_at_once_takes_each_first_free_slot_in_order():
    work = np.array([3.0, 1.0, 2.0, 1.0, 1.0])
    started, done = np.zeros(5), np.zeros(5)
    messages.serve_batch(10.0, work, 2, started, done)
    # Slot A: 10-13; slot B: 10-11, 11-13; both free at 13 for the last two.
    assert started.tolist() == [10.0, 10.0, 11.0, 13.0, 13.0]
    assert done.tolist() == [13.0, 11.0, 13.0, 14.0, 14.0]
