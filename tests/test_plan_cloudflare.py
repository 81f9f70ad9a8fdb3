"""Cloudflare's sink stage: the fix names the setting that binds and patches it."""

from __future__ import annotations

import copy

from capacity.plan import plan
from capacity.plan.patches import apply_patch, profile_data
from capacity.profile import parse_profile
from tests.item_profiles import load, plan_of


def test_sink_fix_blames_the_consumer_batch_of_ten_not_cloudflares_hundred():
    (w,) = plan_of("cloudflare_small_batch").workloads
    (error,) = w.errors
    assert error.limit == "sink request rate (Events API 100 req/s)"
    # 100 req/s x 10 per batch = 1,000 msg/s; 60 per request reaches 6,000 msg/s, 75 leaves 20% headroom.
    assert error.fix == (
        "Events API takes 100 req/s x 10 messages per request = 1,000 msg/s, bound by consumer.receive_batch 10: "
        "raise consumer.receive_batch to 75 (from 60 it is feasible; at 75 the sink runs at 80% at the peak)"
    )
    assert "Cloudflare batch holds at most 100" not in error.fix and "Tinybird" not in error.fix
    assert error.patch == {"workloads[0].consumer.receive_batch": 75}


def test_sink_patched_to_batches_of_a_hundred_runs_at_sixty_percent():
    profile = load("cloudflare_small_batch")
    patched = parse_profile(apply_patch(profile_data(profile), {"workloads[0].consumer.receive_batch": 100}))
    (w,) = plan(patched).workloads
    assert w.feasible and not w.findings
    assert "60% used at the 6,000 msg/s peak" in w.reasons["binding_limit"]


def test_sink_fix_blames_messages_per_request_when_the_sink_packs_fewer_than_a_batch():
    data = profile_data(load("cloudflare_small_batch"))
    data["workloads"][0]["consumer"]["receive_batch"] = 100
    data["workloads"][0]["sink"]["messages_per_request"] = 10
    (w,) = plan(parse_profile(data)).workloads
    (error,) = w.errors
    # A batch of 100 goes out in ceil(100 / per request) requests: 75 per request would still take 2
    # requests of 50, so the whole batch goes in one.
    assert "bound by sink.messages_per_request 10: raise sink.messages_per_request to 100" in error.fix
    assert "at 100 the sink runs at 60% at the peak" in error.fix
    assert error.patch == {"workloads[0].sink.messages_per_request": 100}


def test_sink_over_what_a_hundred_per_request_can_carry_says_split_or_raise_the_quota():
    data = copy.deepcopy(profile_data(load("cloudflare_small_batch")))
    data["workloads"][0]["consumer"]["receive_batch"] = 100
    data["workloads"][0]["traffic"]["peak_messages_per_second"] = 12_000
    data["workloads"][0]["sink"]["name"] = "Tinybird Events API"
    (w,) = plan(parse_profile(data)).workloads
    error = next(f for f in w.errors if f.limit.startswith("sink request rate"))
    assert error.fix == (
        "Tinybird Events API takes 100 req/s x 100 messages per request = 10,000 msg/s; a request holds at most "
        "100 messages here (Cloudflare's batch of 100), so more shards do not help: split the traffic across 2 "
        "sink targets (for Tinybird, one data source per group of shards) or raise Tinybird Events API's quota to "
        "150 req/s (sink.requests_per_second), so it runs at 80% at the peak"
    )
    assert error.patch is None
