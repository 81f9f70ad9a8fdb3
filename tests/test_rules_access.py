"""The pack's access rules hold the same as qcap's access check, over what `pulumi preview` hands a stack rule.

Views come through the pack's own property wrapping (values unknown at a first preview raise when
read, as pulumi_policy makes them), and one test runs the real pack process over gRPC.
"""

from __future__ import annotations

import json

import pytest
from access_planting import drop_statement, edit_document, recorded, role

from capacity.stacks import load_stack
from policies.pack import wrap_props
from policies.rules_access import RULES
from policies.rules_base import ResourceView
from qcap.offline.analysis import AnalyzerResource
from qcap.offline.analyzer_client import analyze
from qcap.offline.mock_engine import run_program
from qcap.offline.preview import program_config

RULE = {r.id: r for r in RULES}
TP_EXECUTION = role("track-points", "track-points", "execution")


def views(resources) -> list[ResourceView]:
    return [ResourceView(type=r.type, name=r.name, props=wrap_props(dict(r.props)), urn=r.urn,
                         property_dependencies=dict(r.property_dependencies)) for r in resources]


def planted_points():
    return edit_document(recorded("track-points"), "track-points-execution-secrets", "policy",
                         drop_statement("DecryptTaskSecrets"))


def test_the_rule_is_mandatory_and_reports_principal_call_missing_and_fix_on_the_role():
    assert RULE["runtime-access-allowed"].level == "mandatory" and RULE["runtime-access-allowed"].stack
    (violation,) = RULE["runtime-access-allowed"].run_stack(views(planted_points()))
    assert violation.urn.endswith("::track-points-execution-role")
    assert violation.message.startswith("execution role qcap-track-points-track-points-execution cannot call "
                                        "kms:Decrypt on arn:aws:kms:eu-west-1:123456789012:key/")
    assert "no identity policy" in violation.message and "Fix: " in violation.message


def test_the_rule_is_quiet_on_the_shipped_stack():
    assert RULE["runtime-access-allowed"].run_stack(views(recorded("track-points"))) == []


def test_unknown_values_of_a_first_preview_never_raise_and_never_violate():
    loaded = load_stack("track-points")
    overrides, _ = program_config(loaded)
    run = run_program("track-points", overrides, new_stack=True)
    fresh = [ResourceView(type=r.type, name=r.name, props=wrap_props({**r.inputs, **r.outputs}), urn=r.urn,
                          property_dependencies=r.property_dependencies) for r in run.registrations if r.custom]
    assert RULE["runtime-access-allowed"].run_stack(fresh) == []
    undecided = RULE["runtime-access-decidable"].run_stack(fresh)
    assert undecided and all("not known until" in v.message for v in undecided)


@pytest.mark.slow
def test_the_real_pack_process_blocks_the_planted_mistake():
    resources = [AnalyzerResource(urn=r.urn, type=r.type, name=r.name, inputs=json.loads(json.dumps(dict(r.props))),
                                  property_dependencies=r.property_dependencies) for r in planted_points()]
    analysis = analyze(resources, stack="track-points")
    access = [d for d in analysis.mandatory if d.policy == "runtime-access-allowed"]
    assert len(access) == 1 and access[0].urn.endswith("::track-points-execution-role")
    assert "cannot call kms:Decrypt" in access[0].message and TP_EXECUTION.rsplit("/", 1)[-1] in access[0].message
