"""Plan verification on the shipped stacks: verdicts, task-hours against the lower bound and static fleet, tuning."""

from __future__ import annotations

import re

import pytest
import yaml

from capacity import scenarios as sc
from capacity.plan import plan
from capacity.profile import load_profile, parse_profile, resolve_stack
from capacity.simulate import QueueModel, Settings, StaticFleet, TargetTrackingFleet, simulate
from capacity.simulation_inputs import model_from_plan
from capacity.verify import churn_checks, seed_checks, standard_scenarios, verify

# Verifying a stack simulates its days, spikes, drains and constant rates (3-10 s a stack): those
# tests are the slow tier's; the scheduled and Cloudflare verdicts (quick) stay in the fast tier.
long_simulation = pytest.mark.slow


def _stack(name: str):
    profile = load_profile(resolve_stack(name))
    return profile, plan(profile)


@pytest.fixture(scope="module")
def seed_004():
    profile, stack_plan = _stack("event-backlog")
    return profile, stack_plan, verify(profile, stack_plan)


@long_simulation
def test_verify_holds_for_seed_004_in_the_diurnal_day_and_the_spike(seed_004):
    _, _, (verdict,) = seed_004
    checks = {c.scenario: c for c in verdict.checks}
    assert checks["diurnal"].holds and checks["spike"].holds
    assert checks["diurnal"].result.max_age_seconds <= 300


@long_simulation
def test_verify_keeps_seed_004_task_hours_within_1_3_of_the_lower_bound(seed_004):
    _, _, (verdict,) = seed_004
    for check in verdict.checks:
        if check.scenario != "drain":
            assert check.result.task_hours_ratio < 1.3


@long_simulation
def test_verify_uses_fewer_task_hours_than_a_static_fleet_at_max_for_seed_004(seed_004):
    profile, stack_plan, (verdict,) = seed_004
    lane = stack_plan.workloads[0]
    model = model_from_plan(lane, profile.workloads[0].sink)
    for check, scenario in zip(verdict.checks, standard_scenarios(lane, 1e9)):
        if check.scenario == "drain":
            continue
        static = simulate(model, StaticFleet(tasks=lane.max_capacity), scenario)
        assert check.result.task_hours < static.task_hours


@long_simulation
def test_verify_drains_the_seed_004_backlog_within_the_allowed_time(seed_004):
    _, _, (verdict,) = seed_004
    drain = next(c for c in verdict.checks if c.scenario == "drain")
    assert drain.holds
    assert drain.result.drain_seconds < 336 * 3600


@long_simulation
def test_verify_finds_nothing_cheaper_for_seed_004_whose_target_was_already_chosen_by_simulation(seed_004):
    _, stack_plan, (verdict,) = seed_004
    assert verdict.tuning is None
    assert stack_plan.workloads[0].scaling.target_backlog_per_task == 0.9


@long_simulation
def test_verify_runs_seed_004_at_constant_rates_and_finds_it_settles(seed_004):
    _, _, (verdict,) = seed_004
    constant = [c for c in verdict.churn if c.scenario == "constant"]
    assert [c.description.split(" (")[0] for c in constant] == [
        "constant 25% of peak", "constant 50% of peak", "constant 75% of peak", "constant 100% of peak"]
    assert all(c.holds for c in constant)
    assert all(c.reason.startswith("0 scaling actions in the 6 h after the first hour") for c in constant)
    # With its scale-in band min capacity 16 rests steadily at every rate, so no row carries a resting note
    # (target tracking's own band at 16 would rest 0.3 deviations under its scale-out point at the peak).
    assert all("Poisson" not in c.reason for c in constant)


@long_simulation
def test_verify_runs_the_day_the_spike_and_each_constant_rate_on_ten_seeds_and_names_the_seeds_that_fail(seed_004):
    _, _, (verdict,) = seed_004
    seeds = [c for c in verdict.churn if c.scenario == "seeds"]
    assert [c.description for c in seeds] == [
        "diurnal, seeds 1-10", "spike, seeds 1-10", "constant 25% of peak, seeds 1-10",
        "constant 50% of peak, seeds 1-10", "constant 75% of peak, seeds 1-10", "constant 100% of peak, seeds 1-10"]
    for check in seeds:
        assert re.fullmatch(r"fails on \d+ of 10 seeds: \d+ \((flaps|misses)\)(, \d+ \((flaps|misses)\))*"
                            r"|holds on all 10 seeds without flapping; the oldest message at most .+", check.reason)
        assert check.holds == check.reason.startswith("holds")
    assert verdict.holds == all(c.holds for c in verdict.checks + verdict.churn)


@long_simulation
def test_verify_holds_for_seed_001_whose_min_capacity_covers_the_peak():
    profile, stack_plan = _stack("track-points")
    (verdict,) = verify(profile, stack_plan)
    assert verdict.holds


@long_simulation
def test_verify_says_the_objective_misses_and_finds_a_setting_that_holds_when_min_capacity_is_too_low():
    data = yaml.safe_load(resolve_stack("track-points").read_text())
    data["workloads"][0]["overrides"] = {"min_capacity": 1, "target_backlog_per_task": 0.9}
    profile = parse_profile(data, "track-points-min-1.yaml")
    stack_plan = plan(profile)
    (verdict,) = verify(profile, stack_plan)
    assert not verdict.holds
    spike = next(c for c in verdict.checks if c.scenario == "spike")
    assert not spike.holds and "over the 60 s objective" in spike.reason
    assert verdict.tuning is not None
    assert verdict.tuning.target_backlog_per_task < 0.9  # more headroom instead of a larger floor
    assert all(c.holds for c in verdict.tuning.checks)
    assert "cheapest setting that holds" in verdict.tuning.reason


def test_verify_does_not_tune_a_scheduled_consumer_and_says_why():
    profile, stack_plan = _stack("scheduled-questions")
    (verdict,) = verify(profile, stack_plan)
    assert verdict.tuning is None
    assert "scheduled runs" in verdict.note


def test_verify_holds_for_the_cloudflare_stack_within_its_objective():
    profile, stack_plan = _stack("session-events")
    (verdict,) = verify(profile, stack_plan)
    assert verdict.holds
    assert all(c.result.max_age_seconds <= 120 for c in verdict.checks if c.scenario != "drain")


@long_simulation
def test_verify_fails_a_plan_that_flaps_at_a_constant_rate_with_seed_004s_old_target():
    data = yaml.safe_load(resolve_stack("event-backlog").read_text())
    # The old target with the old min: a min the planner raises would pin the fleet where no target moves it.
    data["workloads"][0]["overrides"] = {"target_backlog_per_task": 76, "min_capacity": 7}
    data["workloads"][0]["consumer"]["receive_overhead_seconds"] = 0.0  # the issue measured 636 launches at 2 s a message
    profile = parse_profile(data, "event-backlog-old-target.yaml")
    stack_plan = plan(profile)
    assert stack_plan.workloads[0].errors[0].limit == "no resting point"
    (verdict,) = verify(profile, stack_plan)
    assert not verdict.holds
    flapping = [c for c in verdict.churn if "flaps" in c.reason]
    assert flapping and not any(c.holds for c in flapping)
    diurnal = next(c for c in verdict.checks if c.scenario == "diurnal")
    assert not diurnal.holds and diurnal.reason.startswith("flaps: 636 task launches in the day")


def _deploy_check(lane, stack_profile):
    from capacity.simulate import Settings
    from capacity.verify import deploy_checks

    workload = next(w for w in stack_profile.workloads if w.name == lane.group)
    day = standard_scenarios(lane, 86_400)[0]
    (check,) = deploy_checks(model_from_plan(lane, workload.sink), lane, day, Settings())
    return check


def test_a_scheduled_fleet_deployed_afresh_at_any_of_the_24_hours_holds_until_its_schedule_takes_over():
    profile, stack_plan = _stack("track-points")
    (lane,) = stack_plan.workloads
    check = _deploy_check(lane, profile)
    assert check.holds, check.reason
    assert check.reason.startswith(f"created with {lane.scaling.deploy_min_capacity} tasks at any of the 24 hours")


def test_created_at_the_smallest_floor_a_daytime_first_deploy_misses_and_the_check_names_the_hours():
    profile, stack_plan = _stack("track-points")
    (lane,) = stack_plan.workloads
    smallest = lane.model_copy(update={"scaling": lane.scaling.model_copy(update={"deploy_min_capacity": None})})
    check = _deploy_check(smallest, profile)
    assert not check.holds
    assert check.reason.startswith("a first deploy at 07:00, 08:00,") and "created with 1 task," in check.reason


def test_a_fleet_without_a_schedule_gets_no_deploy_check():
    profile, stack_plan = _stack("event-backlog")
    (lane,) = stack_plan.workloads
    from capacity.simulate import Settings
    from capacity.verify import deploy_checks

    assert deploy_checks(model_from_plan(lane), lane, standard_scenarios(lane, 86_400)[0], Settings()) == ()


def test_seed_checks_hold_on_every_seed_for_a_roomy_static_fleet_and_name_each_seed_a_tight_one_misses():
    model = QueueModel("q", processing_seconds=2.0, concurrency_per_task=1, max_age_seconds=60,
                       processing_p99_seconds=8.0)
    day = [sc.diurnal(0.5, 1.0, 0.2, days=1)]
    roomy = seed_checks(model, StaticFleet(tasks=6), day, 1.0, 1e9, Settings())
    assert [c.holds for c in roomy] == [True] * 5  # the day and four constant rates (no spike was given)
    tight = seed_checks(model, StaticFleet(tasks=2), day, 1.0, 1e9, Settings())
    assert not tight[0].holds and tight[0].reason.startswith("fails on 10 of 10 seeds: 1 (misses), 2 (misses)")
    assert seed_checks(model, StaticFleet(tasks=6), day, 1.0, 1e9, Settings(random_seed=3)) == ()


def test_a_constant_rate_that_rests_near_a_scaling_point_says_noise_will_scale_it_there():
    # job-queues' jobs lanes over min capacity 1: the noiseless run settles, but at 75% of the peak the fleet
    # rests at 3 tasks under the point where 2 would do, which Poisson arrivals cross (seeds 1-10 flap there).
    model = QueueModel("jobs", 0.521, 4, 60.0, processing_p99_seconds=2.021)
    fleet = TargetTrackingFleet(min_capacity=1, max_capacity=10, target_backlog_per_task=3.6)
    checks = {c.description.split(" (")[0]: c for c in churn_checks(model, fleet, 17.36, Settings())}
    assert checks["constant 75% of peak"].reason.startswith("0 scaling actions in the 6 h after the first hour; with "
                                                            "Poisson arrivals, over min capacity 1, it rests at 3 tasks")
    assert "scales it in about" in checks["constant 75% of peak"].reason
    roomy = TargetTrackingFleet(min_capacity=4, max_capacity=10, target_backlog_per_task=3.6)
    assert all("Poisson" not in c.reason for c in churn_checks(model, roomy, 17.36, Settings()))


@long_simulation
def test_no_cheaper_setting_is_offered_beside_a_plan_that_holds_on_every_seed_when_it_fails_one():
    # tests/factories.py's workload with a 24 h objective plans a static fleet of 6 that holds on seeds 1-10.
    from capacity.simulation_inputs import plan_fleet
    from capacity.verify import drain_allowed_seconds
    from tests.factories import make_profile

    profile = make_profile(objective__max_age_seconds=86_400, environment="prod")
    stack_plan = plan(profile)
    (verification,) = verify(profile, stack_plan)
    assert verification.holds
    # A setting is offered only when it holds on all 10 seeds too: target tracking from 4 at 0.9 with its band
    # does (263 task-hours over the spike and the day against the static 288); from 1 it does not.
    offered = verification.tuning
    assert offered is None or offered.min_capacity > 1
    # The setting the one-seed bar finds cheaper: target tracking from 1 task under the same max of 6. It holds the
    # planner's noisy day (seed 1) but not every seed of the verifier's, so offering it would be a step back.
    lane = stack_plan.workloads[0]
    model = model_from_plan(lane)
    allowed = drain_allowed_seconds(profile.workloads[0], lane)
    scenarios = standard_scenarios(lane, allowed)
    cheaper = plan_fleet(lane, min_capacity=1)
    day = next(s for s in scenarios if s.name == "diurnal")
    assert simulate(model, cheaper, day, Settings(random_seed=1)).objective_met
    checks = seed_checks(model, cheaper, scenarios[:2], lane.arrival_peak_per_second, allowed, Settings())
    assert not all(c.holds for c in checks)
