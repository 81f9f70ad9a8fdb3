"""Every shipped stack and edge profile, as an update and as a new stack: no call a principal needs is denied.

At a new stack's first preview the only calls left undecided are those of Redis consumers whose
container definitions carry the AUTH secret's full ARN, which exists only once the secret does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capacity.profile import stack_names
from capacity.stacks import load_stack
from qcap.cli import app
from qcap.offline.access import check_run
from qcap.offline.mock_engine import run_program
from qcap.offline.preview import program_config

pytestmark = pytest.mark.slow
PROFILES_DIR = Path(__file__).parent / "profiles"
EDGE_PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("edge-*.yaml"))
EXISTING_CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/shared"
SUMMARY = re.compile(r"^access: \d+ calls of \d+ principals checked: 0 violations")


def run(stack: str, new_stack: bool):
    loaded = load_stack(str(PROFILES_DIR / f"{stack}.yaml") if stack in EDGE_PROFILES else stack)
    overrides, _ = program_config(loaded)
    if stack == "edge-existing-cluster":
        overrides["qcap:clusterArn"] = EXISTING_CLUSTER_ARN
    result = run_program(loaded.name, overrides, new_stack=new_stack)
    assert result.ok, result.error
    return loaded, result


@pytest.mark.parametrize("new_stack", [False, True], ids=["update", "new-stack"])
@pytest.mark.parametrize("stack", [*stack_names(), *EDGE_PROFILES])
def test_no_access_violation(stack, new_stack):
    loaded, result = run(stack, new_stack)
    report, _ = check_run(result)
    assert [f.describe() for f in report.violations] == []
    assert SUMMARY.match(report.summary())
    aws = any(w.broker != "cloudflare" for w in loaded.plan.workloads)
    assert (report.principals >= 4) if aws else (report.findings == [])
    redis_tasks = {f"{w.name}-task" for w in loaded.plan.workloads if w.broker == "redis"}
    waiting = {r for f in report.undecided for r in redis_tasks if f"container definitions of {r} " in
               " ".join(f.decision.reasons)}
    assert len(report.undecided) == 2 * len(waiting)  # the execution role's and the task role's
    assert waiting == (redis_tasks if new_stack else set())


def test_qcap_preview_prints_the_access_section_of_both_previews():
    result = CliRunner().invoke(app, ["preview", "track-points"])
    assert result.exit_code == 0, result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("access: ")]
    assert len(lines) == 2 and all(SUMMARY.match(line) for line in lines)
    assert lines[0].endswith("(as an update)") and lines[1].endswith("(as a new stack)")
    assert "cannot decide (as a new stack) execution role qcap-track-points-track-points-execution" in result.stdout


def test_qcap_preview_json_carries_the_access_report_of_both_previews():
    report = json.loads(CliRunner().invoke(app, ["preview", "scheduled-questions", "--json"]).stdout)
    for access in (report["access"], report["new_stack"]["access"]):
        assert access["violations"] == [] and access["calls"] > 20 and SUMMARY.match(access["summary"])
