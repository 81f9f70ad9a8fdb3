"""The typed plan: sections per consumer kind and resource family, no unknown fields, no value without its reason,
and `qcap plan --json` in its documented flat shape (tests/golden holds each shipped stack's JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import capacity.plan.service as service_planner
from capacity.plan import WorkloadPlan
from capacity.plan.models import JSON_FIELDS, AlarmPlan, CachePlan, ScalingPlan
from capacity.profile import Broker, ConsumerMode, Environment
from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, plan_stack, plan_workload
from factories import SQS_WORKLOAD
from qcap.cli import app

GOLDEN = Path(__file__).parent / "golden"
SHIPPED_STACKS = ["dev", "event-backlog", "job-queues", "scheduled-questions", "session-events", "track-points"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_plan_json_of_every_shipped_stack_is_unchanged_in_shape_and_value(stack):
    result = CliRunner().invoke(app, ["plan", stack, "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / f"plan-{stack}.json").read_text()


def test_plan_json_lists_every_field_of_every_workload_in_the_documented_order():
    for lane in plan_stack("job-queues").workloads + plan_stack("session-events").workloads:
        assert tuple(lane.as_json()) == JSON_FIELDS


def test_a_service_plan_has_scaling_service_and_alarm_sections_and_no_other_kind():
    w = plan_workload(SQS_WORKLOAD)
    assert (w.broker, w.mode, w.environment) == (Broker.sqs, ConsumerMode.service, Environment.dev)
    assert w.scaling is not None and w.service is not None and w.alarms.age_seconds is not None
    assert (w.scheduled, w.cloudflare, w.cache) == (None, None, None)


def test_a_redis_plan_has_a_cache_section_whose_json_keys_keep_their_flat_names():
    w = plan_workload(REDIS_WORKLOAD)
    assert isinstance(w.cache, CachePlan)
    flat = w.as_json()
    assert (flat["cache_node_type"], flat["alarm_cache_connections"]) == (w.cache.node_type, w.cache.alarm_connections)
    assert flat["cache_pool_size_per_task"] == 10


def test_a_scheduled_plan_has_no_scaling_and_its_absent_sections_read_as_null_in_json():
    w = plan_workload(SCHEDULED_WORKLOAD)
    assert w.scheduled is not None and (w.scaling, w.service, w.cloudflare) == (None, None, None)
    flat = w.as_json()
    assert (flat["target_backlog_per_task"], flat["shards"], flat["scheduled_capacity"]) == (None, None, [])
    assert (flat["max_concurrency"], flat["fifo_high_throughput"]) == (5, False)


def test_a_misspelt_field_in_a_planners_section_fails_at_construction_naming_the_field(monkeypatch):
    real = service_planner.ServicePlan

    def misspelt(**fields):
        fields["stop_timeout_second"] = fields.pop("stop_timeout_seconds")
        return real(**fields)

    monkeypatch.setattr(service_planner, "ServicePlan", misspelt)
    with pytest.raises(ValidationError) as raised:
        plan_workload(SQS_WORKLOAD)
    problems = {(e["loc"], e["type"]) for e in raised.value.errors()}
    assert problems == {(("stop_timeout_second",), "extra_forbidden"), (("stop_timeout_seconds",), "missing")}


def test_a_derived_value_whose_reason_is_filed_under_another_name_fails_naming_the_value():
    w = plan_workload(SQS_WORKLOAD)
    reasons = dict(w.reasons)
    reasons["stop_timeout_second"] = reasons.pop("stop_timeout_seconds")
    with pytest.raises(ValidationError, match="derived values without a reason: stop_timeout_seconds"):
        WorkloadPlan.model_validate({**dict(w), "reasons": reasons})


def test_a_section_forbids_fields_it_does_not_declare():
    with pytest.raises(ValidationError, match="scale_in_cooldown_second"):
        ScalingPlan(target_backlog_per_task=3.6, scale_out_cooldown_seconds=60, scale_in_cooldown_second=300,
                    scale_in_cooldown_seconds=300, target_utilization=0.9, scheduled_capacity=(),
                    hourly_arrival_per_second=None, time_zone=None)


def test_alarm_section_serialises_under_the_alarm_prefixed_names_the_json_documents():
    alarms = AlarmPlan(age_seconds=60, dlq_messages=1, saturation_messages=None, max_tasks=None, stalled_minutes=None)
    assert alarms.model_dump(by_alias=True) == {
        "alarm_age_seconds": 60, "alarm_dlq_messages": 1, "alarm_saturation_messages": None,
        "alarm_max_tasks": None, "alarm_max_tasks_age_seconds": None, "alarm_stalled_minutes": None,
    }


def test_every_number_of_a_cloudflare_plan_has_its_reason_including_the_invocation_rate():
    (w,) = plan_stack("session-events").workloads
    assert w.reasons["per_task_messages_per_second"] == (
        "200 = batch_size 100 / batch time 0.5 s: one consumer invocation's rate")
    assert w.reasons["receive_overhead_seconds"] == "0: Cloudflare pushes batches to the consumer, nothing polls"
    assert json.loads((GOLDEN / "plan-session-events.json").read_text())["workloads"][0]["reasons"][
        "alarm_dlq_messages"].startswith("1: any message in the dead-letter queue needs a person")
