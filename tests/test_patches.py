"""Patches: paths, applying them, and the property that every patch a plan proposes works.

The property test generates profiles across brokers and consumer kinds, biased toward the
infeasible and the tight (small sink budgets, short objectives, long p99s, bad overrides),
and checks for each: a refused profile is a ProfileError, never a crash; every finding's
patch passes the profile's validation, removes that finding and adds no error; fix texts
name profile fields (`consumer.receive_batch`), not raw provider fields (`maxReceiveCount`).
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.plan import Plan, plan
from capacity.plan.patches import apply_patch, format_patch, parse_path, profile_data, stack_patch
from capacity.profile import (
    Cache, Consumer, Objective, Overrides, Profile, ProfileError, Retries, Sink, Traffic, parse_profile,
)
from tests.tiers import examples

# Property-test size: 320 generated, of which about 300 validate (the rest must be refused cleanly); seconds in CI.
# The fast tier (tests/tiers.py) runs a tenth of them.
PROPERTY_EXAMPLES = 320

SECTIONS = {"consumer": Consumer, "sink": Sink, "traffic": Traffic, "objective": Objective, "overrides": Overrides,
            "cache": Cache, "retries": Retries}
SECTION_FIELD = re.compile(r"\b(consumer|sink|traffic|objective|overrides|cache|retries)\.([a-z_]+)\b")
# Provider spellings (camelCase properties of pulumi-aws, ECS, Cloudflare) a fix must not tell a user to set.
RAW_PROVIDER_FIELD = re.compile(r"\b[a-z]+(?:[A-Z][a-z0-9]+)+\b")


def test_a_path_reads_as_keys_and_list_indexes():
    assert parse_path("workloads[2].consumer.receive_batch") == ["workloads", 2, "consumer", "receive_batch"]


def test_applying_a_patch_creates_missing_sections_and_leaves_the_original_alone():
    data = {"workloads": [{"name": "a"}]}
    patched = apply_patch(data, {"workloads[0].overrides.min_capacity": 3})
    assert patched == {"workloads": [{"name": "a", "overrides": {"min_capacity": 3}}]}
    assert data == {"workloads": [{"name": "a"}]}


def test_a_patch_reads_as_paths_and_values():
    assert format_patch({"workloads[0].consumer.interval_seconds": 840, "workloads[1].overrides.x": "a"}) == (
        'workloads[0].consumer.interval_seconds: 840, workloads[1].overrides.x: "a"')


def test_the_stack_patch_merges_lanes_of_a_workload_into_one_entry():
    from tests.item_profiles import plan_of

    # The guide's target of 100 has no resting point on 4 slots; its min of 1 cannot hold 60 s.
    assert stack_patch(plan_of("guide_overrides")) == {"workloads[0].overrides.min_capacity": 3,
                                                       "workloads[0].overrides.target_backlog_per_task": 1.6}


# --- the property ------------------------------------------------------------------------


def _maybe(draw, strategy, p_none: float = 0.5):
    """None about p_none of the time (sampled, so that Hypothesis does not lean to one side)."""
    tenths = round(p_none * 10)
    return None if draw(st.sampled_from([True] * tenths + [False] * (10 - tenths))) else draw(strategy)


@st.composite
def workloads(draw, index: int):
    kind = draw(st.sampled_from(["sqs", "sqs-fifo", "redis", "cloudflare", "scheduled"]))
    broker = "sqs" if kind == "scheduled" else kind
    per_day = draw(st.sampled_from([0, 1_000, 86_400, 864_000, 8_640_000, 86_400_000, 500_000_000]))
    traffic = {
        "messages_per_day": per_day,
        "message_bytes": draw(st.sampled_from([200, 1024, 4096, 100_000])),
        "trough_to_average": draw(st.sampled_from([0, 0.2, 1])),
        "backlog_messages": draw(st.sampled_from([0, 0, 10_000, 2_800_000, 100_000_000])),
    }
    if per_day == 0 or draw(st.booleans()):
        traffic["peak_messages_per_second"] = max(per_day / 86_400, 0.01) * draw(st.sampled_from([1, 2, 5]))
    else:
        traffic["peak_to_average"] = draw(st.sampled_from([1, 2, 3, 10]))
    mean = draw(st.sampled_from([0.005, 0.1, 0.5, 2, 10, 600]))
    consumer = {
        "processing_seconds": mean,
        "processing_p99_seconds": mean * draw(st.sampled_from([1, 2, 3, 10])),
        "concurrency_per_task": draw(st.sampled_from([1, 2, 10, 50])),
        "receive_batch": draw(st.sampled_from([1, 10] if broker != "cloudflare" else [1, 10, 50, 100])),
    }
    if broker == "cloudflare":
        consumer["script_name"] = "consumer"
    else:
        consumer["image"] = "example/worker:1"
    if kind == "scheduled":
        consumer |= {"mode": "scheduled", "interval_seconds": draw(st.sampled_from([60, 300, 600, 900, 3600])),
                     "batch_limit": draw(st.sampled_from([10, 30, 100, 1_000]))}
    elif broker != "cloudflare" and draw(st.booleans()):
        consumer["current_tasks"] = draw(st.sampled_from([0, 1, 5, 50]))
    workload = {
        "name": f"w{index}", "broker": broker, "traffic": traffic, "consumer": consumer,
        "objective": {"max_age_seconds": draw(st.sampled_from([30, 60, 300, 900, 2_700, 3_600, 86_400])),
                      "drain_backlog_within_hours": draw(st.sampled_from([1, 24, 168, 336]))},
    }
    if draw(st.booleans()):
        sink = {"name": draw(st.sampled_from(["db", "Tinybird", "api"])),
                "requests_per_second": _maybe(draw, st.sampled_from([1, 10, 100, 1_000])),
                "messages_per_request": draw(st.sampled_from([1, 10, 100])),
                "bytes_per_second": _maybe(draw, st.sampled_from([1e5, 2e7]), 0.7),
                "max_request_bytes": _maybe(draw, st.sampled_from([10_000, 10_000_000]), 0.7),
                "max_connections": _maybe(draw, st.sampled_from([10, 60, 1_000]))}
        workload["sink"] = {k: v for k, v in sink.items() if v is not None}
    if broker == "sqs" and kind != "scheduled":
        lanes = draw(st.sampled_from(["one", "partitions", "priorities"]))
        if lanes == "partitions":
            workload["partitions"] = draw(st.sampled_from([2, 4]))
        elif lanes == "priorities":
            workload["priorities"] = [{"name": "high", "share": 0.25, "max_age_seconds": 30},
                                      {"name": "low", "share": 0.75, "max_age_seconds": 3_600}]
    if broker == "redis":
        workload["cache"] = {"pool_size_per_task": draw(st.sampled_from([1, 10, 50])),
                             "max_clients": draw(st.sampled_from([100, 1_000, 65_000])),
                             "producer_connections": draw(st.sampled_from([0, 50]))}
    overrides = {
        "min_capacity": _maybe(draw, st.sampled_from([0, 1, 3]), 0.7),
        "max_capacity": _maybe(draw, st.sampled_from([1, 5, 10, 40]), 0.7),
        "target_backlog_per_task": _maybe(draw, st.sampled_from([1.0, 100.0, 10_000.0]), 0.8),
        "scale_out_cooldown_seconds": _maybe(draw, st.sampled_from([0, 300, 900]), 0.8),
        "visibility_timeout_seconds": _maybe(draw, st.sampled_from([5, 60]), 0.85),
        "retention_seconds": _maybe(draw, st.sampled_from([3_600, 345_600]), 0.85),
        "alarm_age_seconds": _maybe(draw, st.sampled_from([60, 86_400]), 0.8),
        "cache_node_type": _maybe(draw, st.sampled_from(["cache.t4g.micro", "cache.r7g.large"]), 0.8)
        if broker == "redis" else None,
        "batch_limit": _maybe(draw, st.sampled_from([5, 500]), 0.85) if kind == "scheduled" else None,
        "max_concurrency": _maybe(draw, st.sampled_from([1, 300]), 0.8) if broker == "cloudflare" else None,
        "batch_size": _maybe(draw, st.sampled_from([5, 100]), 0.8) if broker == "cloudflare" else None,
        "shards": _maybe(draw, st.sampled_from([1, 3]), 0.8) if broker == "cloudflare" else None,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if overrides:
        workload["overrides"] = overrides
    if draw(st.sampled_from([False] * 19 + [True])):  # now and then a value the profile must refuse
        workload["objective"]["drain_backlog_within_hours"] = 720
    return workload


@st.composite
def profiles(draw):
    count = draw(st.sampled_from([1, 1, 2]))
    items = [draw(workloads(i)) for i in range(count)]
    if count == 2 and items[0].get("sink") and draw(st.booleans()):
        items[1]["sink"] = dict(items[0]["sink"])  # two workloads naming the same sink
    return {"environment": draw(st.sampled_from(["dev", "prod"])), "workloads": items}


def _error_keys(p: Plan) -> set[tuple[str, str]]:
    return {(w.name, f.limit) for w in p.workloads for f in w.errors}


def _fix_names_profile_fields(fix: str) -> None:
    assert not RAW_PROVIDER_FIELD.findall(fix), fix
    for section, name in SECTION_FIELD.findall(fix):
        assert name in SECTIONS[section].model_fields, f"{section}.{name} is not a profile field: {fix}"


@settings(max_examples=examples(PROPERTY_EXAMPLES), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(profiles())
def test_every_patch_removes_its_finding_adds_no_error_and_fix_texts_name_profile_fields(data):
    try:
        profile: Profile = parse_profile(data, "generated.yaml")
    except ProfileError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
        return
    result = plan(profile)
    before = _error_keys(result)
    base = profile_data(profile)
    for w in result.workloads:
        for f in w.findings:
            if f.fix:
                _fix_names_profile_fields(f.fix)
            if not f.patch:
                continue
            patched = parse_profile(apply_patch(base, f.patch), "patched.yaml")  # raises if the patch is refused
            after = plan(patched, check_patches=False)
            lane = next((x for x in after.workloads if x.name == w.name), None)
            assert lane is None or not any(g.severity == f.severity and g.limit == f.limit for g in lane.findings), (
                w.name, f.limit, f.patch)
            assert _error_keys(after) <= before, (w.name, f.limit, f.patch, _error_keys(after) - before)
