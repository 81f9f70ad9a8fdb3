"""The simulator against closed forms, against an independent SimPy per-message model, and the autoscaler's timing."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from capacity import limits
from capacity import scenarios as sc
from capacity.simulate import (
    CdkDefaultFleet,
    CloudflareFleet,
    QueueModel,
    ScheduledFleet,
    Settings,
    SimulationError,
    StaticFleet,
    TargetTrackingFleet,
    comparison_fleets,
    model_from_plan,
    simulate,
)
from conftest import SQS_WORKLOAD, plan_workload


def _model(processing_seconds: float = 1.0, concurrency: int = 1, objective: float = 300.0, **kw) -> QueueModel:
    return QueueModel(name="q", processing_seconds=processing_seconds, concurrency_per_task=concurrency,
                      max_age_seconds=objective, **kw)


def _rates(*pieces: tuple[float, int]) -> sc.Scenario:
    """A scenario from (rate per second, seconds) pieces."""
    arrivals = np.concatenate([np.full(seconds, float(rate)) for rate, seconds in pieces])
    return sc.Scenario(name="pieces", description="pieces", arrivals_per_second=arrivals)


def _first_minute(values: np.ndarray, condition) -> int:
    return int(np.nonzero(condition(values))[0][0])


# --- closed forms -----------------------------------------------------------------------------


def test_simulate_drains_fixed_backlog_in_b_over_n_mu_minus_lambda_when_capacity_is_fixed():
    model = _model(processing_seconds=1.0, concurrency=2)  # mu = 2 msg/s per task
    scenario = sc.drain(3000, 4.0, days=3600 / limits.SECONDS_PER_DAY)
    result = simulate(model, StaticFleet(tasks=5), scenario)
    assert result.drain_seconds == pytest.approx(3000 / (5 * 2 - 4), abs=1)


def test_simulate_keeps_backlog_bounded_when_constant_load_is_below_capacity():
    result = simulate(_model(concurrency=2), StaticFleet(tasks=5), sc.constant(8.0, days=0.5))
    assert result.peak_backlog_messages < 1
    assert result.messages_left == pytest.approx(8.0 * 1.0, abs=0.5)  # only what is in flight
    assert result.max_age_seconds <= 1.0 + 1e-6


def test_simulate_grows_backlog_at_the_difference_when_load_is_above_capacity():
    seconds = 7200
    result = simulate(_model(concurrency=2), StaticFleet(tasks=5), sc.constant(12.0, days=seconds / 86_400))
    assert result.peak_backlog_messages == pytest.approx((12 - 10) * seconds, rel=1e-3)
    assert result.messages_processed == pytest.approx(10 * seconds - 10 * 1.0, rel=1e-3)


def test_simulate_caps_throughput_at_the_sink_when_the_sink_is_slower_than_the_fleet():
    model = _model(concurrency=2, sink_messages_per_second=6.0)
    result = simulate(model, StaticFleet(tasks=5), sc.constant(8.0, days=3600 / 86_400))
    assert result.peak_backlog_messages == pytest.approx(2 * 3600, rel=1e-3)


def test_simulate_lower_bound_is_work_over_per_task_rate_when_fleet_is_static():
    result = simulate(_model(concurrency=2), StaticFleet(tasks=5), sc.constant(8.0, days=0.5))
    assert result.lower_bound_task_hours == pytest.approx(result.messages_processed / 2 / 3600)
    assert result.task_hours == pytest.approx(5 * 12)
    assert result.task_hours_ratio == pytest.approx(5 * 12 / (8 * 43_200 / 2 / 3600), rel=1e-3)


# --- an independent per-message model --------------------------------------------------------------


def _simpy_run(tasks: int, concurrency: int, processing: float, rate: float, backlog: int, horizon: float) -> dict:
    """Per-message discrete-event model: FIFO queue, tasks x concurrency slots, deterministic arrivals."""
    env = simpy.Environment()
    slots = simpy.Resource(env, capacity=tasks * concurrency)
    records: list[tuple[float, float, float]] = []

    def message(arrived: float):
        with slots.request() as request:
            yield request
            started = env.now
            yield env.timeout(processing)
            records.append((arrived, started, env.now))

    def source():
        for _ in range(backlog):
            env.process(message(0.0))
        gap = 1 / rate
        while True:
            yield env.timeout(gap)
            env.process(message(env.now))

    env.process(source())
    env.run(until=horizon)
    waited = [s for a, s, _ in records if s - a > 1e-9]
    return {
        "processed": len(records),
        "drain_seconds": max(waited),
        "max_age_seconds": max(done - a for a, _, done in records),
    }


def test_simulate_agrees_with_a_simpy_per_message_model_within_two_percent_when_draining():
    tasks, concurrency, processing, rate, backlog, horizon = 3, 2, 1.5, 2.5, 1200, 1200
    reference = _simpy_run(tasks, concurrency, processing, rate, backlog, horizon)
    model = _model(processing_seconds=processing, concurrency=concurrency)
    result = simulate(model, StaticFleet(tasks=tasks), sc.drain(backlog, rate, days=horizon / 86_400))
    assert result.messages_processed == pytest.approx(reference["processed"], rel=0.02)
    assert result.drain_seconds == pytest.approx(reference["drain_seconds"], rel=0.02)
    assert result.max_age_seconds == pytest.approx(reference["max_age_seconds"], rel=0.02)


# --- the autoscaler's timing ------------------------------------------------------------------------


def test_target_tracking_scales_out_no_sooner_than_three_datapoints_after_the_metric_crosses_target():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=10)
    scenario = _rates((0.5, 600), (5.0, 1800))  # crosses the target early in minute 10
    result = simulate(_model(), fleet, scenario)
    first = _first_minute(result.timeline.tasks, lambda t: t > 1)
    # Datapoints of minutes 10, 11, 12; minute 12's is published at 780 s + 60 s delay; tasks start 60 s later.
    assert first * 60 == 10 * 60 + 3 * 60 + limits.CLOUDWATCH_METRIC_DELAY_SECONDS + limits.TASK_START_SECONDS


def test_target_tracking_scales_out_a_minute_sooner_when_the_metric_has_no_delay():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=10)
    scenario = _rates((0.5, 600), (5.0, 1800))
    result = simulate(_model(), fleet, scenario, Settings(metric_delay_seconds=0))
    assert _first_minute(result.timeline.tasks, lambda t: t > 1) == 10 + 3 + 1


def test_target_tracking_scales_out_to_running_times_metric_over_target():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=50, target_backlog_per_task=10)
    result = simulate(_model(), fleet, _rates((0.5, 600), (5.0, 1800)))
    # At 840 s one task faces the backlog of minute 12: about (3 min x 4 msg/s + 1) / 10 per task.
    after = result.timeline.tasks[15]
    assert 60 <= after * 10 / 1 <= 13 * 60 * 4 / 1  # between a minute's and the whole backlog's worth
    assert after == int(after)


def test_target_tracking_scales_in_only_after_fifteen_datapoints_below_ninety_percent_of_target():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=10)
    scenario = _rates((5.0, 60), (0.5, 3600))  # starts at 5 tasks; the metric is far below target
    result = simulate(_model(), fleet, scenario)
    tasks = result.timeline.tasks
    first = _first_minute(tasks, lambda t: t < 5)
    assert np.all(tasks[:first] == 5)
    assert first * 60 == 15 * 60 + limits.CLOUDWATCH_METRIC_DELAY_SECONDS


def test_target_tracking_respects_min_and_max_capacity_when_load_swings():
    fleet = TargetTrackingFleet(min_capacity=2, max_capacity=4, target_backlog_per_task=5)
    scenario = _rates((0.0, 1800), (50.0, 1800), (0.0, 3600))
    tasks = simulate(_model(), fleet, scenario).timeline.tasks
    assert tasks.min() == 2
    assert tasks.max() == 4


def test_target_tracking_goes_from_zero_to_one_task_when_min_is_zero_and_a_message_waits():
    fleet = TargetTrackingFleet(min_capacity=0, max_capacity=5, target_backlog_per_task=100)
    scenario = _rates((0.0, 600), (0.1, 1800))  # the first whole message arrives 10 s into minute 10
    result = simulate(_model(objective=900), fleet, scenario)
    tasks = result.timeline.tasks
    first = _first_minute(tasks, lambda t: t > 0)
    assert np.all(tasks[:first] == 0)
    # Minute 10's datapoint is published at 660 + 60 s; the task starts 60 s after that.
    assert first * 60 == 11 * 60 + limits.CLOUDWATCH_METRIC_DELAY_SECONDS + limits.TASK_START_SECONDS
    assert tasks[first] == 1
    assert result.max_age_seconds == pytest.approx(first * 60 - 610 + 1.0, abs=2)


def test_static_fleet_runs_its_tasks_around_the_clock():
    result = simulate(_model(), StaticFleet(tasks=3), sc.constant(1.0, days=0.25))
    assert np.all(result.timeline.tasks == 3)
    assert result.task_hours == pytest.approx(3 * 6)


def test_cdk_default_scaling_adds_five_tasks_when_visible_messages_reach_500():
    fleet = CdkDefaultFleet(min_capacity=1, max_capacity=20)
    model = _model(concurrency=10)  # 10 msg/s per task; CPU stays under target with 1 task busy 50%
    scenario = _rates((5.0, 600), (20.0, 900))
    tasks = simulate(model, fleet, scenario).timeline.tasks
    assert tasks.max() >= 6
    steps = np.diff(tasks[tasks == np.round(tasks)])
    assert 5 in steps


def test_simulate_refuses_a_fleet_whose_max_is_below_its_min():
    with pytest.raises(SimulationError, match="0 <= min <= max"):
        simulate(_model(), TargetTrackingFleet(min_capacity=5, max_capacity=2, target_backlog_per_task=5),
                 sc.constant(1.0, days=0.01))


# --- scheduled and Cloudflare consumers ---------------------------------------------------------------


def test_scheduled_runs_take_at_most_batch_limit_per_interval_when_arrivals_exceed_it():
    model = _model(processing_seconds=2.5, concurrency=5, objective=900)
    fleet = ScheduledFleet(interval_seconds=300, batch_limit=30)
    result = simulate(model, fleet, sc.constant(0.2, days=1))  # 60 per interval arrive, 30 leave
    assert result.messages_processed == pytest.approx(30 * 288, rel=0.01)
    assert not result.objective_met


def test_scheduled_runs_keep_the_oldest_under_interval_plus_run_when_they_keep_up():
    model = _model(processing_seconds=2.5, concurrency=5, objective=900)
    fleet = ScheduledFleet(interval_seconds=300, batch_limit=30)
    result = simulate(model, fleet, sc.constant(0.05, days=1))
    assert result.max_age_seconds <= 300 + limits.TASK_START_SECONDS + 15 + 2.5
    assert result.objective_met


def test_cloudflare_consumers_deliver_shards_times_concurrency_times_batch_over_time():
    model = _model(processing_seconds=0.5, concurrency=100, objective=120)
    fleet = CloudflareFleet(shards=2, batch_size=100, max_wait_seconds=1.0, max_concurrency=5)
    result = simulate(model, fleet, sc.constant(3000.0, days=600 / 86_400))  # capacity 2 x 5 x 100 / 0.5 = 2000
    assert result.peak_backlog_messages == pytest.approx((3000 - 2000) * 600, rel=0.01)


def test_cloudflare_consumers_wait_for_max_wait_when_batches_fill_slowly():
    model = _model(processing_seconds=0.5, concurrency=100, objective=120)
    fleet = CloudflareFleet(shards=1, batch_size=100, max_wait_seconds=10.0, max_concurrency=5)
    result = simulate(model, fleet, sc.constant(1.0, days=600 / 86_400))
    assert result.max_age_seconds == pytest.approx(10 + 0.5, abs=1.5)


# --- from a plan ----------------------------------------------------------------------------------------


def test_comparison_fleets_are_the_plan_static_at_max_and_cdk_when_the_plan_autoscales():
    lane = plan_workload(SQS_WORKLOAD)
    own, static, cdk = comparison_fleets(lane)
    assert isinstance(own, TargetTrackingFleet) and own.target_backlog_per_task == lane.target_backlog_per_task
    assert static.tasks == lane.max_capacity
    assert (cdk.min_capacity, cdk.max_capacity) == (max(1, lane.min_capacity), lane.max_capacity)


def test_model_from_plan_prices_a_task_hour_from_fargate_size():
    lane = plan_workload(SQS_WORKLOAD)
    model = model_from_plan(lane)
    assert model.per_task_messages_per_second == pytest.approx(lane.per_task_messages_per_second)
    assert model.task_usd_per_hour == pytest.approx(0.25 * limits.FARGATE_X86_USD_PER_VCPU_HOUR
                                                    + 0.5 * limits.FARGATE_X86_USD_PER_GB_HOUR)
