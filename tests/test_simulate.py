"""The simulator against closed forms, against an independent SimPy per-message model, and the autoscaler's timing."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from capacity import limits
from capacity import scenarios as sc
from capacity.simulate import CdkDefaultFleet, CloudflareFleet, QueueModel, ScheduledFleet, Settings, SimulationError, StaticFleet, TargetTrackingFleet, simulate
from capacity.simulation_inputs import comparison_fleets, model_from_plan
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
    assert result.peak_backlog_messages <= 1  # only the message the curve completes at the run's last instant
    assert result.timeline.backlog_messages[:-1].max() == 0
    assert result.messages_left == 8.0 * 1.0 + 1  # what is in flight, and the one arriving at the end
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
    # The message that arrived at 610 s is deleted one processing time after the task starts.
    assert result.timeline.max_age_seconds[first] == pytest.approx(first * 60 - 610 + 1.0, abs=0.01)


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
    assert isinstance(own, TargetTrackingFleet) and own.target_backlog_per_task == lane.scaling.target_backlog_per_task
    assert static.tasks == lane.max_capacity
    assert (cdk.min_capacity, cdk.max_capacity) == (max(1, lane.min_capacity), lane.max_capacity)


def test_model_from_plan_prices_a_task_hour_from_fargate_size():
    lane = plan_workload(SQS_WORKLOAD)
    model = model_from_plan(lane)
    assert model.per_task_messages_per_second == pytest.approx(lane.per_task_messages_per_second)
    assert model.task_usd_per_hour == pytest.approx(0.25 * limits.FARGATE_X86_USD_PER_VCPU_HOUR
                                                    + 0.5 * limits.FARGATE_X86_USD_PER_GB_HOUR)


# --- cooldown rule, late metrics of an idle queue, churn, schedules, randomness ----------

from capacity.simulate.autoscalers import MinuteMetrics, TargetTrackingScaler  # noqa: E402
from capacity.simulate.measure import longest_hold_seconds  # noqa: E402
from capacity.simulate.service import processing_factors  # noqa: E402


def _metrics(values: dict[int, float], minutes: int = 30) -> MinuteMetrics:
    per_task = [0.5] * minutes
    for minute, value in values.items():
        per_task[minute] = value
    return MinuteMetrics(backlog_per_task=per_task, visible_max=[0.0] * minutes, cpu_percent=[0.0] * minutes)


def test_target_tracking_scales_out_in_its_cooldown_only_when_it_asks_for_more_than_the_last_scale_out():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=100, target_backlog_per_task=1,
                                scale_out_cooldown_seconds=600)
    scaler = TargetTrackingScaler(fleet, Settings())
    metrics = _metrics({6: 5, 7: 5, 8: 5, 9: 4, 10: 8})
    # At 600 s the datapoints of minutes 6-8 are above the target: 2 running x 5 / 1 = 10.
    assert scaler.decide(600.0, metrics, running=2, desired=2) == 10
    # In the cooldown, asking for 8 (less than the last scale-out's 10) changes nothing...
    assert scaler.decide(660.0, metrics, running=2, desired=10) == 10
    # ...but asking for 16 goes ahead (AWS: scale out during the cooldown if the new capacity is larger).
    assert scaler.decide(720.0, metrics, running=2, desired=10) == 16
    assert scaler.cause == "out"


def test_an_idle_queue_wakes_its_autoscaler_fifteen_minutes_late_after_six_idle_hours():
    fleet = TargetTrackingFleet(min_capacity=0, max_capacity=5, target_backlog_per_task=0.9)
    short, long = 600, 6 * 3600 + 600
    quick = simulate(_model(objective=3600), fleet, _rates((0.0, short), (0.1, 1800))).timeline.tasks
    late = simulate(_model(objective=3600), fleet, _rates((0.0, long), (0.1, 1800))).timeline.tasks
    first_quick = _first_minute(quick, lambda t: t > 0) - short // 60
    first_late = _first_minute(late, lambda t: t > 0) - long // 60
    assert (first_late - first_quick) * 60 == limits.SQS_IDLE_METRIC_LAG_SECONDS
    no_lag = simulate(_model(objective=3600), fleet, _rates((0.0, long), (0.1, 1800)),
                      Settings(idle_metric_lag_seconds=0)).timeline.tasks
    assert _first_minute(no_lag, lambda t: t > 0) - long // 60 == first_quick


def test_simulate_counts_launches_scaling_actions_and_the_longest_time_at_one_size():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=0.9)
    result = simulate(_model(), fleet, _rates((0.3, 3600), (5.0, 3600), (0.3, 3600)))
    assert result.scale_out_actions >= 1 and result.scale_in_actions >= 1
    assert result.task_launches == result.largest_fleet - 1  # up from one task, each launched once
    assert (result.smallest_fleet, result.largest_fleet) == (1, 10)  # the backlog of the step scales out to max
    assert 6 in np.rint(result.timeline.tasks)  # then rests at ceil(5 x 1 s / 0.9)
    assert result.longest_hold_seconds >= 3000
    assert [kind for _, kind in result.action_seconds][0] == "out"
    assert result.as_json()["task_launches"] == result.task_launches


def test_longest_hold_is_the_longest_stretch_of_one_fleet_size():
    assert longest_hold_seconds(np.array([1, 1, 2, 2, 2, 1])) == 3.0
    assert longest_hold_seconds(np.array([4.0] * 10)) == 10.0


def test_a_run_that_starts_mid_day_finds_the_floor_of_its_hour_in_force_from_its_first_second():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=0.9,
                                schedule=((3600, 6), (7200, 1)), start_second_of_day=3600 + 1800)
    assert [fleet.floor_at(s) for s in (0, 1799, 1800, 84_599, 84_600)] == [6, 6, 1, 1, 6]  # 01:00 next day
    result = simulate(_model(), fleet, _rates((0.3, 3600)))
    assert result.timeline.tasks[0] == 6  # the 01:30 floor, not midnight's


def test_a_first_deploy_starts_with_its_created_tasks_and_keeps_them_until_the_first_scheduled_action():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=0.9,
                                schedule=((3600, 6), (7200, 1)), start_second_of_day=7200 + 1800,
                                deploy_min_capacity=8)
    assert fleet.seconds_to_first_action() == 86_400 - 7200 - 1800 + 3600
    assert fleet.floor_at(0) == fleet.floor_at(fleet.seconds_to_first_action() - 1) == 8
    assert fleet.floor_at(fleet.seconds_to_first_action()) == 6
    result = simulate(_model(), fleet, _rates((0.0, 600)))
    assert result.timeline.tasks[0] == 8  # created with 8, not the tasks an idle queue needs


def test_a_schedule_raises_min_capacity_at_its_hour_and_counts_as_scheduled_not_as_the_policys():
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=0.9,
                                schedule=((3600, 6), (7200, 1)))
    assert [fleet.floor_at(s) for s in (0, 3599, 3600, 7199, 7200, 86_400 + 3600)] == [1, 1, 6, 6, 1, 6]
    result = simulate(_model(), fleet, _rates((0.3, 3 * 3600)))
    assert result.largest_fleet == 6
    assert result.timeline.tasks[60 + 1] == 6  # the raise at 1 h; tasks run a minute later
    assert result.scheduled_actions == 2  # the raise, and the scale-in the lowered floor releases
    assert result.scale_out_actions == 0 and result.scale_in_actions == 0


def test_poisson_arrivals_are_seeded_whole_messages_with_the_scenarios_mean():
    scenario = _rates((3.0, 7200))
    fleet = StaticFleet(tasks=5)
    first = simulate(_model(), fleet, scenario, Settings(random_seed=7))
    again = simulate(_model(), fleet, scenario, Settings(random_seed=7))
    other = simulate(_model(), fleet, scenario, Settings(random_seed=8))
    assert first.messages_arrived == again.messages_arrived != other.messages_arrived
    assert first.messages_arrived == pytest.approx(3.0 * 7200, rel=0.02)
    assert first.messages_arrived == int(first.messages_arrived)


def test_processing_times_drawn_to_the_p99_vary_a_small_fleets_minutes_more_than_a_large_ones():
    model = _model(processing_seconds=1.0, processing_p99_seconds=5.0)
    small = processing_factors(model, Settings(random_seed=3), 1, 2000)
    large = processing_factors(model, Settings(random_seed=3), 50, 2000)
    assert small.mean() == pytest.approx(1.0, abs=0.05)
    assert large.mean() == pytest.approx(1.0, abs=0.02)
    assert small.std() > 5 * large.std()  # 60 messages a minute against 3,000: the mean of many varies less
    assert np.all(processing_factors(model, Settings(), 1, 10) == 1.0)  # no seed: the mean, always


def test_a_scale_in_band_steps_in_below_its_threshold_without_waiting_for_target_trackings_scale_out_cooldown():
    # 20 msg/s for 20 minutes scales 1-slot 1 s tasks out; then 2 msg/s leaves the metric far below the band.
    # Target tracking's own scale-in waits out the hour-long scale-out cooldown; the band's step policy does not
    # (PutScalingPolicy: target tracking does not block another policy's scale-in).
    scenario = _rates((20, 1200), (2, 3 * 3600))
    own = TargetTrackingFleet(min_capacity=1, max_capacity=40, target_backlog_per_task=0.9,
                              scale_out_cooldown_seconds=3600)
    band = TargetTrackingFleet(min_capacity=1, max_capacity=40, target_backlog_per_task=0.9,
                               scale_out_cooldown_seconds=3600, scale_in_fraction=0.6)
    first_in = {}
    for label, fleet in (("own", own), ("band", band)):
        result = simulate(_model(), fleet, scenario)
        outs = [at for at, cause in result.action_seconds if cause == "out"]
        ins = [at for at, cause in result.action_seconds if cause == "in"]
        assert outs and ins, label
        first_in[label] = ins[0] - outs[-1]
    assert first_in["own"] >= 3600
    assert first_in["band"] < 3600
