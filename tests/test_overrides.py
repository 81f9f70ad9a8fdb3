"""Overrides judged like the planner's own values."""

from __future__ import annotations

from capacity.plan import plan
from capacity.plan.overrides import reaction_seconds
from capacity.plan.patches import apply_patch, profile_data
from capacity.profile import parse_profile
from tests.factories import plan_one
from tests.item_profiles import load, plan_of


def test_reaction_is_three_datapoints_plus_metric_delay_plus_task_start():
    assert reaction_seconds() == 3 * 60 + 60 + 60


def test_guide_min_capacity_of_one_cannot_hold_a_sixty_second_objective_and_the_patch_is_the_planners_three():
    result = plan_of("guide_overrides")
    assert not result.feasible
    for w in result.workloads:
        # The guide's target of 100 is an error of its own (no resting point on 4 slots).
        assert sorted(f.limit for f in w.errors) == ["age objective (min_capacity override)", "no resting point"]
        (error,) = [f for f in w.errors if f.limit == "age objective (min_capacity override)"]
        assert error.message == (
            "min_capacity 1 (set in overrides) runs 7.67 msg/s, but the 60 s objective is shorter than the "
            "autoscaler's 5 min reaction, so the running tasks must absorb the 17.36 msg/s peak on their own; "
            "the planner would choose 3")
        # Lanes of one workload map back to the workload's entry.
        assert error.patch == {"workloads[0].overrides.min_capacity": 3}


def test_guide_overrides_with_the_patch_plan_feasible_keeping_the_other_overrides():
    patch = {"workloads[0].overrides.min_capacity": 3, "workloads[0].overrides.target_backlog_per_task": 1.6}
    result = plan(parse_profile(apply_patch(profile_data(load("guide_overrides")), patch)))
    assert result.feasible
    assert {(w.min_capacity, w.max_capacity, w.scaling.scale_out_cooldown_seconds, w.scaling.target_backlog_per_task)
            for w in result.workloads} == {(3, 10, 300, 1.6)}


def test_a_long_scale_out_cooldown_is_an_error_when_a_second_step_outlasts_the_objective():
    # A = 400 s >= the 300 s reaction, but a second scale-out comes 300 + 600 s later; min 1 holds 2 of 20 msg/s.
    w = plan_one(objective__max_age_seconds=400, overrides={"min_capacity": 1, "scale_out_cooldown_seconds": 600})
    (error,) = w.errors
    assert error.limit == "age objective (scale-out cooldown override)"
    assert "waits 15 min (reaction + cooldown), over the 6.7 min objective" in error.message
    assert error.patch == {"workloads[0].overrides.scale_out_cooldown_seconds": 60}


def test_p99_on_top_of_the_objective_leaves_no_wait_before_scale_out_under_a_resting_target():
    # Item 8's case (600 s mean, 1,800 s p99, a 45 min objective) was an error under the old
    # target, whose backlog waited (target - c) / mu before any scale-out. The resting target is
    # below the concurrency, so a backlog scales the fleet out at once: no p99 error.
    (w,) = plan_of("p99_over_objective").workloads
    assert w.scaling.target_backlog_per_task < w.concurrency_per_task
    assert "age objective (p99)" not in {f.limit for f in w.findings}


def test_max_capacity_override_over_a_sink_budget_is_an_error_with_the_cap_as_patch():
    w = plan_one(sink={"name": "db", "max_connections": 60}, overrides={"max_capacity": 40})
    error = next(f for f in w.errors if f.limit == "sink connections (db 60)")
    assert error.message.startswith("max_capacity 40 (set in overrides) is over the 30 tasks sink connections (db 60)")
    assert error.patch == {"workloads[0].overrides.max_capacity": 30}


def test_visibility_override_shorter_than_p99_times_the_batch_is_patched_to_the_planners_value():
    w = plan_one(overrides={"visibility_timeout_seconds": 10})
    (error,) = w.errors
    assert error.limit == "visibility timeout"
    assert error.patch == {"workloads[0].overrides.visibility_timeout_seconds": 30}  # 2 x ceil(10 / 2) x 3 s


def test_retention_override_shorter_than_the_drain_is_patched_to_cover_it():
    w = plan_one(traffic__backlog_messages=1_000_000, overrides={"retention_seconds": 3600})
    error = next(f for f in w.errors if f.limit == "retention (data loss)")
    # Drain 1,000,000 / (14 tasks x 2 - 10) = 55,555.6 s + objective 300 s = 55,856 s (max capacity 14 leaves
    # room above the fleet resting at the peak); the planner's own value is its 4-day floor.
    assert error.fix == "set overrides.retention_seconds to at least 55,856"
    assert error.patch == {"workloads[0].overrides.retention_seconds": 345_600}


def test_cloudflare_concurrency_override_too_low_for_the_peak_is_an_error_with_the_planners_value():
    from tests.factories import CLOUDFLARE_WORKLOAD

    w = plan_one(CLOUDFLARE_WORKLOAD, overrides={"max_concurrency": 1})
    (error,) = w.errors
    assert error.message == ("1 shard(s) x max_concurrency 1 x batch 100 / 0.5 s = 200 msg/s is short of the 2,000 "
                             "msg/s peak; the planner would choose max_concurrency 13")
    assert error.patch == {"workloads[0].overrides.max_concurrency": 13}


def test_cloudflare_batch_override_over_the_sinks_request_size_is_an_error():
    from tests.factories import CLOUDFLARE_WORKLOAD

    w = plan_one(CLOUDFLARE_WORKLOAD, sink={"name": "x", "max_request_bytes": 8000, "requests_per_second": 1000,
                                            "messages_per_request": 100}, overrides={"batch_size": 100})
    error = next(f for f in w.errors if f.limit == "sink request size (x)")
    assert error.patch == {"workloads[0].overrides.batch_size": 10}  # 8,000 / 800 bytes
