"""`qcap plan --fix`: the patched profile as a diff, comments and key order kept, and its plan."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from capacity.fixing import edit_yaml, fix_profile
from capacity.plan import plan
from capacity.profile import load_profile, resolve_stack, stack_names
from qcap.cli import app
from tests.item_profiles import profile_path

runner = CliRunner()


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


def test_three_independent_problems_are_fixed_into_a_feasible_plan_with_comments_kept():
    before = plan(load_profile(profile_path("three_problems")))
    assert {w.group for w in before.workloads if not w.feasible} == {"clicks", "digests", "jobs"}
    result = fix_profile(profile_path("three_problems"))
    assert result.applied == {
        "workloads[0].consumer.receive_batch": 75,
        "workloads[1].consumer.interval_seconds": 840,
        "workloads[2].overrides.min_capacity": 5,
    }
    assert result.plan.feasible
    assert not [f for w in result.plan.workloads for f in w.errors]
    assert _comments(result.fixed_text) == _comments(result.original_text)
    # Only the three values change, each on its own line, comments and all.
    changed = [line for line in result.diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-      receive_batch: 10           # too small for the sink",
        "+      receive_batch: 75           # too small for the sink",
        "-      interval_seconds: 900       # every 15 minutes",
        "+      interval_seconds: 840       # every 15 minutes",
        "-      min_capacity: 1             # the guide's minWorkers",
        "+      min_capacity: 5             # the guide's minWorkers",
    ]


def test_fix_prints_the_diff_and_the_patched_plan_and_write_applies_it(tmp_path):
    path = tmp_path / "three.yaml"
    shutil.copy(profile_path("three_problems"), path)
    shown = runner.invoke(app, ["plan", str(path), "--fix"])
    assert shown.exit_code == 0, shown.output
    assert "+      receive_batch: 75" in shown.output
    assert "3 value(s) set, not written (add --write to apply it)" in shown.output
    assert "every workload is feasible" in shown.output
    assert path.read_text() == profile_path("three_problems").read_text()
    written = runner.invoke(app, ["plan", str(path), "--fix", "--write"])
    assert written.exit_code == 0, written.output
    assert runner.invoke(app, ["plan", str(path)]).exit_code == 0
    again = json.loads(runner.invoke(app, ["plan", str(path), "--fix", "--json"]).output)
    assert again["patch"] == {} and again["diff"] == "" and again["plan"]["feasible"]


def test_plan_json_carries_each_findings_patch():
    result = runner.invoke(app, ["plan", str(profile_path("three_problems")), "--json"])
    assert result.exit_code == 1
    findings = [f for w in json.loads(result.output)["workloads"] for f in w["findings"]]
    assert {json.dumps(f["patch"]) for f in findings if f["severity"] == "error"} == {
        '{"workloads[0].consumer.receive_batch": 75}', '{"workloads[1].consumer.interval_seconds": 840}',
        '{"workloads[2].overrides.min_capacity": 5}'}


def test_editing_adds_a_missing_overrides_section_in_the_files_style():
    text = "workloads:\n  - name: a  # keep\n    broker: sqs\n"
    assert edit_yaml(text, {"workloads[0].overrides.min_capacity": 3}) == (
        "workloads:\n  - name: a  # keep\n    broker: sqs\n    overrides:\n      min_capacity: 3\n")


def test_every_shipped_stack_is_left_as_it_is_or_only_warnings_are_patched():
    for name in stack_names():
        result = fix_profile(resolve_stack(name))
        assert result.plan.feasible, name
        if not result.applied:
            assert result.fixed_text == result.original_text, name
