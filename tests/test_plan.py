"""The planner: every formula against hand-computed figures, infeasible cases, and properties.

The base workload (tests/factories.py): 864,000 messages/day = 10 msg/s on average, peak x2
= 20 msg/s, trough x0.5 = 5 msg/s; 2 in flight per task at 1 s each = 2 msg/s per task,
p99 3 s; objective 300 s.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity.plan import duration, num, plan
from capacity.plan.autoscaling import reaction_seconds
from capacity.profile import load_profile, resolve_stack
from tests.factories import CLOUDFLARE_WORKLOAD, DELETE, make_profile, plan_one
from tests.tiers import examples

SEED_004 = dict(
    traffic__messages_per_day=600_000,
    traffic__peak_to_average=1.0,
    traffic__backlog_messages=2_800_000,
    consumer__processing_seconds=2.0,
    consumer__processing_p99_seconds=4.0,
    consumer__concurrency_per_task=1,
)


def seed(name: str):
    return plan(load_profile(resolve_stack(name)))


# --- the fleet --------------------------------------------------------------------------


def test_peak_sets_max_capacity_at_eighty_percent_utilisation_then_room_for_the_resting_fleet():
    w = plan_one()
    assert w.per_task_messages_per_second == 2.0
    assert w.binding_limit == "peak arrivals"
    assert w.feasible
    assert "ceil(peak 20 / (2 x 0.8)) = 13" in w.reasons["max_capacity"]
    # Simulation chose utilization 0.9 (with a scale-in band), so target tracking rests at
    # ceil(20 / (2 x 0.9)) = 12 up to 13 tasks at the peak (scale-in may leave a fleet above 90% of the
    # target): max is one more.
    assert w.scaling.target_utilization == 0.9
    assert w.max_capacity == 14
    assert "raised to 14: target tracking at utilization 0.9 rests at 12-13 tasks at the peak" in (
        w.reasons["max_capacity"])


def test_backlog_drain_binds_max_capacity_when_it_needs_more_tasks_than_the_peak():
    w = plan_one(**SEED_004, objective__drain_backlog_within_hours=168)
    # ceil((6.944 + 2,800,000 / 604,800) / 0.5) = ceil(23.15) = 24; the peak needs ceil(6.944 / 0.4) = 18
    assert w.max_capacity == 24
    assert w.binding_limit == "backlog drain within 7 days"
    assert w.drain_seconds == pytest.approx(2_800_000 / (24 * 0.5 - 600_000 / 86_400), abs=0.1)


def test_min_capacity_covers_the_trough_when_the_objective_is_shorter_than_two_cold_starts():
    # max(1, ceil(5 / 2)) = 3, since 300 s < 2 x 180 s; a scale-in band keeps it there (below).
    w = plan_one()
    assert w.min_capacity == 3
    assert w.reasons["min_capacity"] == ("3 = max(1, ceil(trough 5 / 2)): the 5 min objective is shorter than 2 x the "
                                         "3 min cold start, so the service never scales to zero")
    assert plan_one(overrides__min_capacity=3).min_capacity == 3


def test_where_target_trackings_own_scale_in_would_flap_the_plan_widens_the_band_instead_of_raising_min():
    # At 25% of the peak (5 msg/s) the fleet at 0.9 rests at 4 tasks right at the point of one fewer: target
    # tracking's own 90% band scales it in and out. A step policy below 0.6 x 1.8 = 1.08 rests at every rate.
    w = plan_one()
    assert (w.min_capacity, w.scaling.target_utilization, w.scaling.scale_in_backlog_per_task) == (3, 0.9, 1.08)
    why = w.reasons["scale_in_backlog_per_task"]
    assert why.startswith("1.08 = 0.6 x the target 1.8: target tracking's own scale-in")
    assert "at a constant 5 msg/s (25% of the peak) it rests at 4 tasks" in why
    assert "a step policy scales in once 15 one-minute datapoints in a row sit below 1.08" in why
    assert plan_one(overrides__target_backlog_per_task=1.8).scaling.scale_in_backlog_per_task is None


def test_min_capacity_covers_the_peak_when_the_objective_is_shorter_than_the_scale_out_reaction():
    w = plan_one(objective__max_age_seconds=120)
    assert w.min_capacity == 10  # ceil(20 / 2): 120 s < 3 datapoints + 60 s delay + 60 s start = 300 s
    assert "shorter than the autoscaler's 5 min reaction" in w.reasons["min_capacity"]


def test_min_capacity_is_zero_when_the_objective_outlasts_two_cold_starts():
    w = plan_one(objective__max_age_seconds=360, traffic__messages_per_day=86_400)
    assert w.min_capacity == 0
    assert "step policy on queue depth" in w.reasons["min_capacity"]


def test_target_is_concurrency_times_a_utilization_below_one_so_the_fleet_has_a_resting_point():
    w = plan_one()
    # The highest utilization holds the day, the spike and the eight noisy days (Poisson arrivals, each message
    # its own processing time, p99 3 x the mean) over min 3, with its scale-in band.
    assert w.scaling.target_utilization == 0.9
    assert w.scaling.target_backlog_per_task == 1.8  # 2 slots x 0.9, below the concurrency
    assert "(visible + in flight) / running tasks" in w.reasons["target_backlog_per_task"]
    assert ("chosen by simulation: the cheapest that held the objective in diurnal and spike (and the day again with "
            "Poisson arrivals and p99 processing times, on each of seeds 1-8) without flapping, 1 of the candidates "
            "0.9, 0.8, 0.7, 0.6, 0.5, 0.4 tried") in w.reasons["target_backlog_per_task"]


def test_cooldowns_scale_out_fast_and_in_slowly():
    w = plan_one()
    assert (w.scaling.scale_out_cooldown_seconds, w.scaling.scale_in_cooldown_seconds) == (60, 300)


# --- the queue --------------------------------------------------------------------------


def test_visibility_timeout_is_twice_the_worst_batch_and_at_least_thirty_seconds():
    assert plan_one().visibility_timeout_seconds == 30  # 2 x ceil(10 / 2) x 3 s = 30
    w = plan_one(consumer__processing_p99_seconds=7.5)
    assert w.visibility_timeout_seconds == 75  # 2 x 5 x 7.5
    assert plan_one(consumer__processing_p99_seconds=1.0).visibility_timeout_seconds == 30  # floor


def test_visibility_beyond_twelve_hours_is_infeasible():
    w = plan_one(consumer__processing_seconds=5_000, consumer__processing_p99_seconds=10_000,
                 consumer__concurrency_per_task=1, objective__max_age_seconds=100_000)
    assert not w.feasible
    (finding,) = [f for f in w.errors if f.limit == "visibility timeout (12 h)"]
    assert "over SQS's 12 h maximum" in finding.message
    assert "ChangeMessageVisibility" in finding.fix


def test_stop_timeout_covers_a_batch_in_progress_and_the_workers_teardown_up_to_fargates_limit():
    assert plan_one().service.stop_timeout_seconds == 16  # ceil(10 / 2) x 3 s + the 1 s teardown budget
    w = plan_one(consumer__processing_p99_seconds=60)
    assert w.service.stop_timeout_seconds == 120
    assert any(f.limit == "scale-in interrupts work" for f in w.warnings)


def test_a_batch_that_fits_fargates_limit_only_without_the_teardown_budget_is_warned_about():
    # ceil(10 / 2) x 23.9 s = 119.5 s fits 120 s, but with the worker's 1 s teardown it does not
    w = plan_one(consumer__processing_p99_seconds=23.9)
    assert w.service.stop_timeout_seconds == 120
    (warning,) = [f for f in w.warnings if f.limit == "scale-in interrupts work"]
    assert warning.message == (
        "a batch can take 119.5 s at p99, and with the worker's 1 s teardown that is longer than Fargate's 120 s stop "
        "timeout: scale-in can stop a task mid-batch (its messages come back after the visibility timeout)")


def test_retention_is_four_days_without_a_backlog():
    w = plan_one()
    assert w.retention_seconds == 345_600
    assert w.dlq_retention_seconds == 1_209_600


def test_retention_covers_drain_plus_objective_with_margin():
    w = plan_one(**SEED_004, objective__drain_backlog_within_hours=168)
    drain = 2_800_000 / (24 * 0.5 - 600_000 / 86_400)
    assert w.retention_seconds == math.ceil((drain + 300) * 1.2 / 3600) * 3600  # 185 h
    assert w.retention_seconds == 666_000
    assert w.dlq_retention_seconds > w.retention_seconds


def test_retention_shorter_than_the_drain_is_reported_as_data_loss():
    w = plan_one(**SEED_004, objective__drain_backlog_within_hours=168, overrides__retention_seconds=345_600)
    assert not w.feasible
    (finding,) = w.errors
    assert finding.limit == "retention (data loss)"
    assert "messages expire before they are processed" in finding.message


def test_a_backlog_that_cannot_drain_within_retention_is_infeasible():
    w = plan_one(**SEED_004, objective__drain_backlog_within_hours=336,
                 sink={"name": "Redshift", "max_connections": 15})
    assert w.max_capacity == 15
    limits_hit = [f.limit for f in w.errors]
    assert limits_hit[0] == "sink connections (Redshift 15)"
    assert "retention (data loss)" in limits_hit


def test_max_receive_count_comes_from_the_retry_budget_and_warns_at_one_in_prod():
    assert plan_one().max_receive_count == 5
    w = plan_one(environment="prod", retries__max_receives=1)
    assert w.max_receive_count == 1
    assert [f.limit for f in w.warnings] == ["retry budget"]


def test_fifo_high_throughput_turns_on_above_three_hundred_unbatched_sends_per_second():
    low = plan_one(broker="sqs-fifo", traffic__peak_to_average=DELETE, traffic__peak_messages_per_second=250,
                   traffic__messages_per_day=8_640_000, consumer__concurrency_per_task=100)
    high = plan_one(broker="sqs-fifo", traffic__peak_to_average=DELETE, traffic__peak_messages_per_second=2_315,
                    traffic__messages_per_day=86_400_000, consumer__concurrency_per_task=100)
    assert (low.service.fifo_high_throughput, high.service.fifo_high_throughput) == (False, True)
    # Item 6: 2,315 msg/s sent one per call is 2,315 SendMessage calls/s against FIFO's 300.
    assert high.reasons["fifo_high_throughput"].startswith(
        "on: the producers send one message per SendMessage call (unbatched, as the cost counts them), so the "
        "2,315 msg/s peak is 2,315 calls/s against FIFO's 300 calls/s"
    )


# --- caps ---------------------------------------------------------------------------------


def test_sink_request_rate_below_the_peak_makes_the_plan_infeasible_with_a_fix():
    w = plan_one(sink={"name": "db", "requests_per_second": 10})
    assert not w.feasible
    assert w.max_capacity == 5  # floor(10 / 2)
    assert w.binding_limit == "sink request rate (db 10 req/s)"
    assert "short by 10 msg/s" in w.shortfall
    assert "messages_per_request" in w.fix


def test_sink_cap_between_need_and_peak_is_feasible_with_a_headroom_warning():
    w = plan_one(sink={"name": "db", "requests_per_second": 25})
    assert w.feasible
    assert w.max_capacity == 12  # floor(25 / 2), below the 13 for 80% utilisation
    assert w.binding_limit == "sink request rate (db 25 req/s)"
    # Target tracking at the chosen utilization (0.9) would rest up to the cap at the peak: the plan says so.
    assert [f.limit for f in w.warnings] == ["peak headroom", "peak resting fleet"]
    assert "no room above the resting fleet 12-13 at the peak: sink request rate (db 25 req/s) caps it at 12" in (
        w.reasons["max_capacity"])


def test_sink_messages_per_request_multiplies_the_request_cap():
    w = plan_one(sink={"name": "db", "requests_per_second": 10, "messages_per_request": 5})
    assert w.feasible
    assert w.max_capacity == 14  # cap floor(50 / 2) = 25 binds neither the 13 for the peak nor the 14 of room


def test_sink_bandwidth_caps_tasks():
    w = plan_one(sink={"name": "api", "bytes_per_second": 20_480})  # 20 msg/s of 1 KiB
    assert w.max_capacity == 10
    assert w.feasible
    assert w.binding_limit.startswith("sink bandwidth")


def test_sink_connections_cap_tasks_by_concurrency_and_connections_per_slot():
    w = plan_one(sink={"name": "pg", "max_connections": 20, "connections_per_slot": 1})
    assert w.max_capacity == 10  # 20 / (2 x 1)
    assert w.binding_limit == "sink connections (pg 20)"


def test_max_capacity_override_below_the_need_is_reported_not_obeyed_silently():
    w = plan_one(overrides__max_capacity=5)
    assert w.max_capacity == 5
    assert not w.feasible
    assert w.binding_limit == "max_capacity override"
    assert w.fix == "set overrides.max_capacity to at least 10 (or remove it)"
    assert w.findings[0].patch == {"workloads[0].overrides.max_capacity": 13}
    assert w.reasons["max_capacity"].startswith("5 set in overrides (the planner would choose 13")


def test_target_override_at_or_above_the_concurrency_is_an_error_with_no_resting_point():
    w = plan_one(overrides__target_backlog_per_task=2_000)
    assert not w.feasible
    assert w.errors[0].limit == "no resting point"
    assert w.errors[0].fix == "set target_backlog_per_task below 2, e.g. 1.8 (the planner's)"


# --- seeds ----------------------------------------------------------------------------------


def test_seed_004_needs_twenty_tasks_and_fifteen_never_drain():
    (w,) = seed("event-backlog").workloads
    # 2 s a message plus a 20 ms SQS receive: 0.495 msg/s a task, so 20 tasks drain within the retention bound.
    assert w.per_task_messages_per_second == pytest.approx(1 / 2.02)
    assert w.max_capacity == 20
    assert w.feasible
    assert w.service.current_tasks == 15
    assert w.service.current_drain_seconds is None
    assert w.reasons["current_drain_seconds"].startswith("never: 15 tasks x 0.495 = 7.43 msg/s")
    assert "67.33 days" in w.reasons["current_drain_seconds"]


def test_seed_000_names_tinybird_request_rate_as_the_binding_stage():
    (w,) = seed("session-events").workloads
    assert w.binding_limit == "sink request rate (Tinybird Events API 100 req/s)"
    assert "queues and consumers grow with shards" in w.reasons["binding_limit"]


def test_seed_002_reproduces_the_fifteen_second_run():
    (w,) = seed("scheduled-questions").workloads
    # ceil(30 / 5) = 6 rounds x (2.5 s + a 20.32 ms receive): the seed's 15 s run plus the receives.
    assert w.scheduled.run_seconds == pytest.approx(6 * (2.5 + 0.02 * (1 + 0.5 * 4 * 0.02 / 2.5)))
    assert (w.scheduled.batch_limit, w.scheduled.max_concurrency, w.scheduled.interval_seconds) == (30, 5, 300)
    assert w.feasible


def test_seed_001_caps_workers_at_the_database_and_budgets_connections():
    (w,) = seed("track-points").workloads
    # 5 ms a point plus a 1 ms claim: 166.7 points/s a worker, so 1,000 inserts/s caps the fleet at 6.
    assert w.per_task_messages_per_second == pytest.approx(1 / 0.006)
    assert w.max_capacity == 6
    assert w.binding_limit == "sink request rate (Postgres (track points) 1,000 req/s)"
    assert w.cache.connections == 6 * 50 + 50
    assert w.cache.node_type == "cache.t4g.micro"
    # backlog + saturation depth (6 tasks x 166.7 msg/s x the 60 s objective) held in memory
    assert w.cache.memory_bytes == math.ceil((50_000 + 6 * (1 / 0.006) * 60) * 300 / 0.75)
    assert w.cache.nodes == 2


def test_seed_001_follows_its_commuter_day_with_floors_at_90_percent_and_a_90_percent_target():
    # With the 1 ms claim a worker does 167 points/s: the floors that run each hour (and the next) at most
    # 89% busy carry the commuter day, and the first pair tried (target 0.9 above them) holds, also with
    # Poisson arrivals.
    (w,) = seed("track-points").workloads
    assert (w.min_capacity, w.scaling.target_backlog_per_task) == (1, 0.9)
    assert [(a.hour, a.min_capacity) for a in w.scaling.scheduled_capacity] == [
        (5, 2), (6, 3), (7, 4), (9, 3), (13, 2), (14, 3), (16, 5), (18, 4), (19, 3), (20, 2), (21, 1)]
    assert "busier of it and the next at most 89% busy" in w.reasons["scheduled_capacity"]


def test_seed_003_splits_partitions_and_priorities_into_lanes():
    p = seed("job-queues")
    names = [w.name for w in p.workloads]
    assert names == ["jobs-0", "jobs-1", "jobs-2", "jobs-3", "notify-high", "notify-normal", "notify-low"]
    jobs = p.workload("jobs-2")
    assert jobs.arrival_average_per_second == pytest.approx(2_000_000 / 86_400 / 4)
    # The floors carry the business day (2 from 07:00, 3 through the 09:00-12:00 and 13:00-15:00 peaks) and
    # target tracking at 90% (3.6 of 4 slots) only answers surges beyond them (below CDK's
    # default's task-hours).
    assert (jobs.min_capacity, jobs.max_capacity, jobs.scaling.target_backlog_per_task) == (1, 10, 3.6)
    assert [(a.hour, a.min_capacity) for a in jobs.scaling.scheduled_capacity] == [
        (7, 2), (9, 3), (11, 2), (18, 1)]
    assert {a.time_zone for a in jobs.scaling.scheduled_capacity} == {"America/New_York"}
    assert p.workload("notify-high").max_age_seconds == 30
    assert "fnv1a_32" in p.routing["jobs"]


def test_every_seed_stack_is_feasible():
    for name in ("event-backlog", "session-events", "track-points", "scheduled-questions", "job-queues", "dev"):
        assert seed(name).feasible, name


# --- Cloudflare ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "peak, shards, concurrency, wait_ms, requests, feasible",
    [
        # shards = ceil(peak / 4,000); concurrency = ceil(peak/shards x 0.5 s / (100 x 0.8));
        # wait = time to fill 100 at the 500 msg/s average per shard; requests = peak / 100
        (2_000, 1, 13, 200, 20.0, True),
        (10_000, 3, 21, 600, 100.0, True),
        (20_000, 5, 25, 1_000, 200.0, False),
    ],
)
def test_cloudflare_plan_at_seed_000_rates(peak, shards, concurrency, wait_ms, requests, feasible):
    w = plan_one(CLOUDFLARE_WORKLOAD, traffic__peak_messages_per_second=peak)
    assert (w.cloudflare.shards, w.cloudflare.batch_size, w.cloudflare.max_concurrency, w.cloudflare.max_wait_time_ms) == (shards, 100, concurrency, wait_ms)
    assert w.sink_requests_per_second == requests
    assert w.feasible is feasible
    assert w.binding_limit == "sink request rate (Tinybird 100 req/s)"


def test_cloudflare_sink_over_its_quota_is_named_plainly_with_the_fix():
    w = plan_one(CLOUDFLARE_WORKLOAD, traffic__peak_messages_per_second=20_000)
    assert "the sink, not the queue, is the limit" in w.shortfall
    assert "short by 10,000 msg/s" in w.shortfall
    assert "split the traffic across 3 sink targets" in w.fix
    assert "250 req/s" in w.fix


def test_cloudflare_sink_at_its_quota_warns_there_is_no_headroom():
    w = plan_one(CLOUDFLARE_WORKLOAD, traffic__peak_messages_per_second=10_000)
    assert [f.limit for f in w.warnings] == ["sink request rate (Tinybird 100 req/s)"]


def test_cloudflare_over_250_concurrency_is_infeasible():
    w = plan_one(CLOUDFLARE_WORKLOAD, traffic__peak_messages_per_second=4_000,
                 consumer__processing_seconds=6.0, consumer__processing_p99_seconds=10.0,
                 overrides__shards=1)
    assert w.cloudflare.max_concurrency == 300  # ceil(4,000 x 6 / 80)
    assert not w.feasible
    assert any(f.limit == "Cloudflare consumer concurrency (250)" for f in w.errors)


def test_cloudflare_adds_shards_when_one_queue_cannot_consume_the_peak():
    w = plan_one(CLOUDFLARE_WORKLOAD, traffic__peak_messages_per_second=4_000,
                 consumer__processing_seconds=6.0, consumer__processing_p99_seconds=10.0,
                 sink=DELETE)
    assert w.cloudflare.shards == 2  # ceil(4,000 / (250 x 100 / 6 x 0.8)) = ceil(1.2)
    assert w.cloudflare.max_concurrency == 150
    assert w.feasible


def test_cloudflare_batch_shrinks_to_fit_the_sink_request_size():
    w = plan_one(CLOUDFLARE_WORKLOAD, sink__max_request_bytes=40_000)
    assert w.cloudflare.batch_size == 50


def test_cloudflare_retries_and_retention():
    w = plan_one(CLOUDFLARE_WORKLOAD, retries__max_receives=4)
    assert (w.cloudflare.max_retries, w.cloudflare.retry_delay_seconds) == (3, 10)
    assert w.retention_seconds == 345_600
    assert w.visibility_timeout_seconds is None


# --- scheduled consumers ------------------------------------------------------------------

SCHEDULED = dict(consumer__mode="scheduled", consumer__interval_seconds=300, consumer__batch_limit=30,
                 consumer__concurrency_per_task=5, consumer__processing_seconds=2.5,
                 consumer__processing_p99_seconds=5.0, traffic__messages_per_day=1000,
                 objective__max_age_seconds=900)


def test_scheduled_run_longer_than_half_the_interval_is_infeasible():
    w = plan_one(**{**SCHEDULED, "consumer__batch_limit": 400})
    assert w.scheduled.run_seconds == 200.0
    assert not w.feasible
    # 59 rounds of 5: at p99 (5 s) 60 rounds would take the whole 300 s interval.
    assert w.fix == ("lower consumer.batch_limit to at most 295 (it is 400) or raise consumer.concurrency_per_task "
                     "to 7; or lengthen consumer.interval_seconds to 420")
    assert w.findings[0].patch == {"workloads[0].consumer.batch_limit": 295}


def test_scheduled_batch_below_arrivals_never_catches_up():
    w = plan_one(**{**SCHEDULED, "traffic__messages_per_day": 20_000})
    assert not w.feasible
    assert w.binding_limit == "batch limit vs arrivals"
    assert w.fix == "raise consumer.batch_limit above 70"  # ceil(20,000 / 86,400 x 300)


def test_scheduled_wait_of_interval_plus_run_must_fit_the_objective():
    w = plan_one(**{**SCHEDULED, "objective__max_age_seconds": 300})
    assert not w.feasible
    assert w.binding_limit == "age objective"


def test_scheduled_concurrency_over_the_connection_budget_is_infeasible():
    w = plan_one(**{**SCHEDULED, "consumer__batch_limit": 70, "consumer__concurrency_per_task": 70},
                 sink={"name": "Supabase", "max_connections": 60})
    assert not w.feasible
    assert w.fix == "lower consumer.concurrency_per_task to 60"


# --- formatting and the whole plan --------------------------------------------------------


def test_numbers_and_durations_read_as_a_person_writes_them():
    assert num(2_800_000) == "2,800,000"
    assert num(6.944444) == "6.94"
    assert num(0.0116) == "0.0116"
    assert duration(45) == "45 s"
    assert duration(1_095_652) == "12.68 days"
    assert duration(float("inf")) == "never"


def test_plan_json_carries_the_contract_fields_with_reasons():
    data = plan(make_profile()).as_json()
    (w,) = data["workloads"]
    for key in ("name", "broker", "feasible", "binding_limit", "min_capacity", "max_capacity",
                "target_backlog_per_task", "visibility_timeout_seconds", "retention_seconds",
                "dlq_retention_seconds", "max_receive_count", "monthly_cost_usd"):
        assert key in w
        if key not in ("name", "broker", "feasible"):
            assert w["reasons"][key], key


def test_monthly_cost_adds_the_plans_average_fleet_requests_and_alarms():
    w = plan_one()
    average = float(w.reasons["monthly_cost_usd"].split(" average tasks")[0].split("= ")[1])
    task_usd = 0.25 * limits.FARGATE_X86_USD_PER_VCPU_HOUR + 0.5 * limits.FARGATE_X86_USD_PER_GB_HOUR
    tasks = average * 730 * task_usd
    requests = 10 * 86_400 * 365 / 12 * (1 + 2 / 10) + average * 3 * 60 * 730
    expected = tasks + requests / 1e6 * 0.40 + 5 * 0.10
    assert w.monthly_cost_usd == pytest.approx(expected, abs=0.01)


# --- properties -------------------------------------------------------------------------------


@st.composite
def sqs_profiles(draw):
    workload = {
        "name": "w",
        "broker": draw(st.sampled_from(["sqs", "sqs-fifo", "redis"])),
        "traffic": {
            "messages_per_day": draw(st.floats(min_value=0, max_value=5e8)),
            "peak_to_average": draw(st.floats(min_value=1, max_value=20)),
            "trough_to_average": draw(st.floats(min_value=0, max_value=1)),
            "message_bytes": draw(st.integers(min_value=1, max_value=limits.SQS_MAX_MESSAGE_BYTES)),
            "backlog_messages": draw(st.integers(min_value=0, max_value=10**8)),
        },
        "consumer": {
            "processing_seconds": draw(st.floats(min_value=0.001, max_value=3_600)),
            "concurrency_per_task": draw(st.integers(min_value=1, max_value=256)),
            "receive_batch": draw(st.integers(min_value=1, max_value=10)),
            "image": "w:1",
        },
        "objective": {
            "max_age_seconds": draw(st.floats(min_value=1, max_value=86_400 * 3)),
            "drain_backlog_within_hours": draw(st.floats(min_value=0.5, max_value=336)),
        },
    }
    if draw(st.booleans()):
        workload["sink"] = {
            "name": "s",
            "requests_per_second": draw(st.floats(min_value=0.1, max_value=1e5)),
            "messages_per_request": draw(st.integers(min_value=1, max_value=500)),
            "max_connections": draw(st.integers(min_value=1, max_value=10_000)),
        }
    return make_profile(workload, environment=draw(st.sampled_from(["dev", "staging", "prod"])))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sqs_profiles())
def test_any_valid_profile_plans_without_raising_and_feasible_plans_cover_the_peak(profile):
    (w,) = plan(profile).workloads
    assert w.min_capacity <= w.max_capacity or not w.feasible
    if w.feasible and "a static fleet (min = max)" in w.reasons["min_capacity"]:
        # A static fleet rides the busy hours on its backlog: it must clear more than the average, and only an
        # objective the autoscaler could react within lets it (else min capacity carries the peak).
        assert w.min_capacity == w.max_capacity
        assert w.max_capacity * w.per_task_messages_per_second > w.arrival_average_per_second
        assert w.max_age_seconds >= reaction_seconds()
    elif w.feasible:
        assert w.max_capacity * w.per_task_messages_per_second >= w.arrival_peak_per_second * (1 - 1e-9)
        assert w.retention_seconds < w.dlq_retention_seconds
        assert w.visibility_timeout_seconds >= limits.MIN_VISIBILITY_TIMEOUT_SECONDS
        if w.broker != "redis":  # a Redis claim timeout has no 12-hour ceiling
            assert w.visibility_timeout_seconds <= limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS
        assert 1 <= w.max_capacity <= limits.ECS_MAX_TASKS_PER_SERVICE
    else:
        assert w.errors and w.shortfall and w.binding_limit


@settings(max_examples=examples(200), deadline=None)
@given(
    peak=st.floats(min_value=0.01, max_value=2e5),
    per_day=st.floats(min_value=0, max_value=1),
    batch_seconds=st.floats(min_value=0.01, max_value=600),
    bytes_=st.integers(min_value=1, max_value=limits.CLOUDFLARE_MAX_MESSAGE_BYTES),
    age=st.floats(min_value=1, max_value=86_400),
)
def test_any_cloudflare_profile_plans_and_feasible_plans_keep_settings_within_limits(peak, per_day, batch_seconds,
                                                                                     bytes_, age):
    w = plan_one(CLOUDFLARE_WORKLOAD, traffic__peak_messages_per_second=peak,
                 traffic__messages_per_day=peak * 86_400 * per_day, consumer__processing_seconds=batch_seconds,
                 consumer__processing_p99_seconds=batch_seconds, traffic__message_bytes=bytes_,
                 objective__max_age_seconds=age)
    if w.feasible:
        assert 1 <= w.cloudflare.batch_size <= 100
        assert 0 <= w.cloudflare.max_wait_time_ms <= 60_000
        assert 1 <= w.cloudflare.max_concurrency <= 250
        assert w.cloudflare.shards * w.cloudflare.max_concurrency * w.cloudflare.batch_size / batch_seconds >= peak * (1 - 1e-9)


def test_one_task_today_against_a_three_times_peak_gets_a_finding_at_the_peak():
    # 1 task x 2 msg/s against an average of 1.5 and a peak of 4.5 msg/s.
    w = plan_one(traffic__messages_per_day=129_600, traffic__peak_to_average=3, consumer__current_tasks=1)
    finding = next(f for f in w.warnings if f.limit == "current fleet at the peak")
    assert "not the 4.5 msg/s peak" in finding.message
    assert finding.patch == {"workloads[0].consumer.current_tasks": 3}
    enough = plan_one(traffic__messages_per_day=129_600, traffic__peak_to_average=3, consumer__current_tasks=3)
    assert not [f for f in enough.warnings if f.limit.startswith("current fleet")]
