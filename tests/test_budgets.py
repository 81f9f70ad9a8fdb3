"""Shared budgets: a sink's or Redis server's budget is split, not counted once per lane."""

from __future__ import annotations

import copy

import pytest

from capacity.plan import plan
from capacity.plan.budgets import shared_budgets
from capacity.plan.patches import apply_patch, profile_data
from capacity.profile import parse_profile
from tests.factories import SQS_WORKLOAD, profile_data as one_workload
from tests.item_profiles import load, plan_of


def test_four_partitions_share_sixty_connections_so_each_lane_gets_fifteen():
    result = plan_of("shared_sink_partitions")
    assert [w.name for w in result.workloads] == ["orders-0", "orders-1", "orders-2", "orders-3"]
    for w in result.workloads:
        assert w.max_capacity == 1  # floor(15 / 10)
        assert not w.feasible
        assert w.binding_limit == "sink connections (orders-db 60)"
        assert ("60 connections x 0.25 = 15 connections (4 lanes of orders share orders-db) / (concurrency 10 x 1 "
                "per message) = 1.5 tasks") in w.reasons["max_capacity"]
    # Every lane needs 3 tasks x 10 = 30 connections: 120 in all; the patch raises the budget to that.
    assert result.workloads[0].errors[0].patch == {"workloads[0].sink.max_connections": 120}


def test_the_lanes_fit_once_the_shared_budget_covers_all_of_them():
    patched = parse_profile(apply_patch(profile_data(load("shared_sink_partitions")),
                                        {"workloads[0].sink.max_connections": 120}))
    result = plan(patched)
    assert result.feasible
    assert sum(w.max_capacity * 10 for w in result.workloads) <= 120


def test_workloads_naming_the_same_sink_split_it_by_their_demand_at_the_peak():
    a = copy.deepcopy(SQS_WORKLOAD)  # peak 20 msg/s x 1 s x 1 connection = 20 busy connections
    b = copy.deepcopy(SQS_WORKLOAD) | {"name": "refunds"}
    b["traffic"] = {**b["traffic"], "messages_per_day": 2_592_000}  # peak 60 msg/s: 60 busy connections
    for w in (a, b):
        w["sink"] = {"name": "ledger-db", "max_connections": 100}
    profile = parse_profile({"environment": "dev", "workloads": [a, b]})
    shares = shared_budgets(profile)
    assert shares["events"].connections.fraction == pytest.approx(0.25)
    assert shares["refunds"].connections.fraction == pytest.approx(0.75)
    assert shares["events"].connections.note == (
        "2 queues of events, refunds share ledger-db, split by their demand at the peak")
    result = plan(profile)
    # events: 25 connections / 2 per task = 12 tasks; refunds: 75 / 2 = 37 tasks. Together 98 <= 100.
    assert [w.max_capacity for w in result.workloads] == [12, 37]
    assert sum(w.max_capacity * 2 for w in result.workloads) <= 100


def test_a_sink_used_by_one_queue_is_not_split():
    profile = parse_profile(one_workload(sink={"name": "db", "max_connections": 20}))
    assert shared_budgets(profile) == {}
    w = plan(profile).workloads[0]
    assert w.max_capacity == 10
    assert "capped at 10 by sink connections (db 20): 20 connections / (concurrency 2 x 1 per message) = 10 tasks" in (
        w.reasons["max_capacity"])


def test_redis_maxclients_is_split_across_the_partitions_of_a_workload():
    redis = {
        "name": "points", "broker": "redis", "partitions": 2,
        "traffic": {"messages_per_day": 8_640_000, "peak_messages_per_second": 600, "message_bytes": 200},
        "consumer": {"processing_seconds": 0.01, "receive_batch": 100, "image": "example/redis-worker:1"},
        "objective": {"max_age_seconds": 60},
        "cache": {"pool_size_per_task": 10, "max_clients": 100, "producer_connections": 20},
    }
    result = plan(parse_profile({"environment": "dev", "workloads": [redis]}))
    for w in result.workloads:
        assert w.cache.connections_budget == 50
        assert w.cache.producer_connections == 10
        assert w.max_capacity == 4  # (50 - 10) / 10, as many as the 300 msg/s per lane needs at 80%
        assert "2 lanes of points share its Redis maxclients" in w.reasons["max_capacity"]
    assert sum(w.cache.connections for w in result.workloads) <= 100


def test_a_lane_that_only_drains_a_backlog_gets_a_share_of_the_sink_and_a_verdict_not_a_crash():
    # No traffic, only a backlog: its demand is the drain rate, not a peak of zero (a zero share divided by zero).
    busy = copy.deepcopy(SQS_WORKLOAD) | {"name": "busy", "sink": {"name": "db", "requests_per_second": 100}}
    idle = copy.deepcopy(busy) | {"name": "idle"}
    idle["traffic"] = {"messages_per_day": 0, "peak_to_average": 2, "message_bytes": 100, "backlog_messages": 1000}
    profile = parse_profile({"environment": "dev", "alerts": {"emails": ["ops@example.com"]},
                             "workloads": [busy, idle]}, "drain-only.yaml")
    shares = shared_budgets(profile)
    drain_rate = 1000 / (24 * 3600)
    assert shares["idle"].requests.fraction == pytest.approx(drain_rate / (drain_rate + 20))
    busy_plan, idle_plan = plan(profile).workloads
    assert busy_plan.feasible
    # Its share (0.06 req/s) is under one task's 2 msg/s, so the cap leaves it no task: a verdict naming the sink.
    assert not idle_plan.feasible
    assert idle_plan.errors[0].limit == "sink request rate (db 100 req/s)"
