"""A component's inputs are validated as `qcap plan` validates a stack file: the same one-line problems,
all at once, each at its input's path; an infeasible plan and missing settings are refused by name."""

from __future__ import annotations

import pytest
import yaml
from conftest import SQS_WORKLOAD
from provider_harness import camel_keys, wire
from pulumi.errors import InputPropertiesError
from pulumi.output import Unknown
from typer.testing import CliRunner

from capacity.plan import plan
from capacity.profile import load_profile, parse_profile, resolve_stack
from components.workload import infeasible_message
from provider.host import QcapProvider
from provider.validation import (
    feasible_plan,
    load_profile_input,
    queue_plan,
    schema_path,
    stack_settings,
)
from qcap.cli import app
from tests.item_profiles import profile_path

WHERE = "QueueWorkload 'shop'"


@pytest.fixture(scope="module")
def host() -> QcapProvider:
    return QcapProvider()


def refusal(**args) -> InputPropertiesError:
    with pytest.raises(InputPropertiesError) as raised:
        load_profile_input(WHERE, args)
    return raised.value


def typed(host: QcapProvider, data: dict) -> dict:
    """A profile as the provider hands it to a component: sent in schema names, mapped back."""
    definition = host._component_defs["QueueWorkload"]
    return host.python_inputs(wire({"profile": camel_keys(data)}), definition.inputs, definition.inputs_mapping)


def qcap_plan_problems(path) -> list[str]:
    result = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    return [line.removeprefix(f"{path}: ") for line in result.stderr.splitlines()[1:]]


def test_a_profile_given_as_yaml_text_fails_with_the_lines_qcap_plan_prints():
    path = profile_path("five_problems")
    error = refusal(profile_yaml=path.read_text())
    problems = qcap_plan_problems(path)
    assert len(problems) == 5
    assert error.message.splitlines() == [f"{WHERE}: the capacity profile cannot be used:",
                                          *(f"profileYaml: {p}" for p in problems)]
    assert [(e["property_path"], e["reason"]) for e in error.errors] == [("profileYaml", p) for p in problems]


def test_a_profile_given_field_by_field_fails_with_the_same_lines_each_at_its_input_path(host):
    path = profile_path("five_problems")
    error = refusal(**typed(host, yaml.safe_load(path.read_text())))
    problems = qcap_plan_problems(path)
    assert error.message.splitlines()[1:] == [f"profile: {p}" for p in problems]
    assert [e["property_path"] for e in error.errors] == [
        "profile.workloads[0].traffic.troughToAverage", "profile.workloads[0].traffic",
        "profile.workloads[0].consumer.concurrencyPerTask", "profile.workloads[0].consumer", "profile.workloads[0]"]
    assert error.errors[0]["reason"] == "1.5 is out of range; allowed: <= 1"


def test_a_bad_choice_names_the_allowed_values_and_a_fraction_in_a_count_is_not_truncated(host):
    data = {"environment": "moon", "workloads": [{**SQS_WORKLOAD, "broker": "kafka",
                                                  "traffic": {**SQS_WORKLOAD["traffic"], "message_bytes": 2048.5}}]}
    reasons = dict((e["property_path"], e["reason"]) for e in refusal(**typed(host, data)).errors)
    assert reasons == {
        "profile.environment": "'moon' is not allowed; allowed: 'dev', 'staging' or 'prod'",
        "profile.workloads[0].broker": "'kafka' is not allowed; allowed: 'sqs', 'sqs-fifo', 'cloudflare' or 'redis'",
        "profile.workloads[0].traffic.messageBytes": "2048.5 is not a whole number; this field counts, write an "
                                                     "integer; allowed: a whole number > 0 and <= 1,048,576",
    }


def test_a_profile_is_given_once_and_known_before_the_plan_is_made():
    assert refusal().errors == [{"property_path": "profile", "reason": "neither is given"}]
    assert refusal(profile={}, profile_yaml="").errors[0]["reason"] == "both are given"
    unknown = refusal(profile={"environment": "dev", "workloads": [{"name": Unknown()}]})
    assert unknown.errors == [{"property_path": "profile.workloads[0].name",
                               "reason": "not known before the plan is made"}]
    assert "give plain values, not other resources' outputs" in unknown.message


def test_a_stack_file_and_its_fields_load_to_its_profile(host):
    path = resolve_stack("event-backlog")
    assert load_profile_input(WHERE, {"profile_yaml": path.read_text()}) == load_profile(path)
    assert load_profile_input(WHERE, typed(host, yaml.safe_load(path.read_text()))) == load_profile(path)


def test_an_infeasible_plan_is_refused_with_the_planners_message():
    profile = parse_profile({"environment": "dev", "workloads": [
        {**SQS_WORKLOAD, "sink": {"name": "Orders DB", "requests_per_second": 1}}]})
    with pytest.raises(InputPropertiesError) as raised:
        feasible_plan(WHERE, profile, "shop")
    assert raised.value.message == f"{WHERE}: {infeasible_message(plan(profile), 'shop')}"
    assert "binding limit: sink request rate (Orders DB 1 req/s)" in raised.value.errors[0]["reason"]


def test_a_building_block_names_its_queue_when_the_plan_has_several():
    stack_plan = plan(load_profile(resolve_stack("job-queues")))
    with pytest.raises(InputPropertiesError, match=r"the plan has 7 queues \(jobs-0, .*\); name one with `queue`"):
        queue_plan(WHERE, stack_plan, None)
    with pytest.raises(InputPropertiesError, match="queue 'jobs-9' is not in the plan; allowed: jobs-0, "):
        queue_plan(WHERE, stack_plan, "jobs-9")
    assert queue_plan(WHERE, stack_plan, "notify-high").name == "notify-high"


@pytest.mark.parametrize(("stack", "missing", "given"), [
    ("dev", "subnetIds", {"region": "us-east-1"}),
    ("dev", "securityGroupIds", {"region": "us-east-1", "subnet_ids": ["subnet-1"]}),
    ("track-points", "vpcId", {"region": "eu-west-1", "subnet_ids": ["s"], "security_group_ids": ["sg"]}),
    ("track-points", "redisAuthToken", {"region": "eu-west-1", "subnet_ids": ["s"], "security_group_ids": ["sg"],
                                        "vpc_id": "vpc-1"}),
    ("session-events", "cloudflareAccountId", {}),
])
def test_a_setting_the_plan_needs_is_required_by_its_input_name(stack, missing, given):
    stack_plan = plan(load_profile(resolve_stack(stack)))
    with pytest.raises(InputPropertiesError) as raised:
        stack_settings(WHERE, stack_plan, given)
    assert raised.value.message.startswith(f"{WHERE}: input {missing} is not set (")
    assert raised.value.errors[0]["property_path"] == missing


def test_field_paths_become_input_paths_in_schema_names():
    assert schema_path("workloads[2].consumer.processing_p99_seconds") == \
        "profile.workloads[2].consumer.processingP99Seconds"
    assert schema_path("(top level)") == "profile"
    assert schema_path("alerts.emails[0]", "x") == "x.alerts.emails[0]"
