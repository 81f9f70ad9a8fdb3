"""One resource of each of 54 common pulumi_aws types through the offline preview: registered, analysed, no artefact.

One preview (both modes, the real policy pack over gRPC) of tests/common_types_program.py, so
the cost is one run. What it proves: no type crashes the engine, the contract or the access
check; every type gets the outputs the provider computes (an ARN where it declares one), so no
violation comes from the mock rather than from the program.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qcap.commands.stack_loading import load_stack
from qcap.offline.preview import preview, to_analyzer_resources, undecided
from qcap.offline.provider_sdk import computed_outputs, resource_output_types

pytestmark = pytest.mark.slow

PROGRAM = Path(__file__).parent / "common_types_program.py"
COMMON_TYPES = 54
# A violation that says a reference (an ARN, id, URL or name) is missing or unknown: with every output the
# provider computes in place, only an artefact of the mock says that ("missing policyArn", "no arn").
REFERENCE = r"\b(?:\w*(?:Arn|ARN|Id|Url)|arn|id|url|name)\b"
ABSENT = r"\b(?:missing|unset|not set|unknown|empty|no|None|undefined)\b"
ARTEFACT = re.compile(rf"{ABSENT}[^.;:]{{0,40}}{REFERENCE}|{REFERENCE}[^.;:]{{0,40}}{ABSENT}")


@pytest.fixture(scope="module")
def result():
    return preview(load_stack("dev"), PROGRAM)


def test_every_common_type_is_registered_once_with_its_id(result):
    custom = [r for r in result.run.resources if r.custom]
    assert len({r.type for r in custom}) == COMMON_TYPES and len(custom) == COMMON_TYPES + 5  # 3 more roles, a subnet, the DLQ
    assert {"aws:lambda/function:Function", "aws:ecs/taskSet:TaskSet", "aws:pipes/pipe:Pipe",
            "aws:memorydb/cluster:Cluster", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"} <= {r.type for r in custom}
    assert all(r.id for r in custom)


def test_every_type_gets_the_arn_and_computed_outputs_its_provider_declares(result):
    for r in (r for r in result.run.resources if r.custom):
        if "arn" in resource_output_types(r.type):
            assert str(r.outputs.get("arn", "")).startswith("arn:aws:"), r.type
        missing = [k for k in computed_outputs(r.type) if k != "id" and k not in r.outputs]
        scalars = [k for k in missing if computed_outputs(r.type)[k] in (str, int, float, bool)]
        assert scalars == [], (r.type, scalars)


def test_outputs_flow_into_the_inputs_that_read_them(result):
    run = result.run
    assert run.named("task-read").inputs["policyArn"] == run.named("queue-read").outputs["arn"]
    statement = json.loads(run.named("queue-policy").inputs["policy"])["Statement"][0]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": run.named("topic").outputs["arn"]}}
    assert run.outputs["functionInvokeArn"].endswith(f"{run.named('function').outputs['arn']}/invocations")


def test_every_resource_is_analysed_by_the_pack_the_contract_and_the_access_check(result):
    custom = [r for r in result.run.resources if r.custom]
    assert len(to_analyzer_resources(result.run)) == len(result.run.registrations)
    assert result.contract.resources == len(custom) and result.contract.checks > len(custom)
    assert undecided(result.analysis) == []
    assert result.analysis.policies and not [line for level, line in result.analysis.engine_logs if level == "error"]


def test_no_violation_is_an_artefact_of_the_mock(result):
    assert [v.message for v in result.contract.violations] == []
    messages = [d.message for d in (*result.analysis.diagnostics, *result.new_stack_analysis.diagnostics)
                if not d.message.startswith("can't run policy")]
    assert messages and [m for m in messages if ARTEFACT.search(m)] == []
    assert [f.missing for f in result.access.violations if ARTEFACT.search(f.missing)] == []
