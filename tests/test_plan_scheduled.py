"""Scheduled consumers' fixes point the right way and propose values the profile accepts (items 4, 5)."""

from __future__ import annotations

from capacity.plan import plan
from capacity.plan.patches import apply_patch, profile_data
from capacity.profile import parse_profile
from tests.item_profiles import load, plan_of


def test_p99_overlap_fix_lowers_the_batch_limit_below_what_it_is():
    (w,) = plan_of("scheduled_p99_overlap").workloads
    (error,) = w.errors
    assert error.message == "at p99 a full run takes 1,002 s, as long as the 600 s interval: runs overlap"
    # ceil(600 / 10) - 1 = 59 rounds of 1 message end before the next run; 100 / 59 rounds needs concurrency 2.
    assert error.fix == ("lower consumer.batch_limit to at most 59 (it is 100) or raise consumer.concurrency_per_task "
                         "to 2; or lengthen consumer.interval_seconds to 1020")
    assert error.patch == {"workloads[0].consumer.batch_limit": 59}


def test_p99_overlap_is_gone_with_the_lower_batch_limit_or_more_concurrency():
    data = profile_data(load("scheduled_p99_overlap"))
    for patch in ({"workloads[0].consumer.batch_limit": 59}, {"workloads[0].consumer.concurrency_per_task": 2}):
        (w,) = plan(parse_profile(apply_patch(data, patch))).workloads
        assert w.feasible, patch


def test_interval_fix_is_whole_minutes_so_the_profile_accepts_it():
    (w,) = plan_of("scheduled_interval_too_long").workloads
    (error,) = w.errors
    assert error.limit == "age objective"
    # 900 s objective - 50 s run = 850 s; EventBridge Scheduler runs whole minutes: 840.
    assert error.fix == "shorten consumer.interval_seconds to at most 840 s (whole minutes)"
    assert error.patch == {"workloads[0].consumer.interval_seconds": 840}
    (patched,) = plan(parse_profile(apply_patch(profile_data(load("scheduled_interval_too_long")),
                                                error.patch))).workloads
    assert patched.feasible and patched.scheduled.interval_seconds == 840


def test_age_alarm_override_later_than_the_objective_warns_in_scheduled_mode_too():
    data = profile_data(load("scheduled_interval_too_long"))
    data["workloads"][0]["consumer"]["interval_seconds"] = 840
    data["workloads"][0]["overrides"] = {"alarm_age_seconds": 86_400}
    (w,) = plan(parse_profile(data)).workloads
    (warning,) = w.warnings
    assert warning.limit == "age alarm"
    assert warning.patch == {"workloads[0].overrides.alarm_age_seconds": 900}


def test_a_run_stops_receiving_a_task_start_and_a_stop_timeout_before_the_next_run_and_says_so():
    (w,) = plan_of("scheduled_interval_too_long").workloads
    interval = w.scheduled.interval_seconds
    assert w.scheduled.run_deadline_seconds == interval - 60 - 30
    assert w.reasons["run_deadline_seconds"].startswith(f"{interval - 90} s = interval {interval} s - task start 60 s")


def test_a_run_longer_than_its_room_keeps_its_own_length_as_the_deadline():
    data = profile_data(load("scheduled_p99_overlap"))
    data["workloads"][0]["consumer"]["interval_seconds"] = 120  # room 120 - 90 = 30 s, against a 202 s run
    (w,) = plan(parse_profile(data)).workloads
    assert w.scheduled.run_seconds > 30
    assert w.scheduled.run_deadline_seconds == __import__("math").ceil(w.scheduled.run_seconds)
    assert "raised to the run's own" in w.reasons["run_deadline_seconds"]
