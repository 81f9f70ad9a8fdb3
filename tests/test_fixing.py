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
        # The overridden max of 10 leaves room above the 5-6 tasks target tracking at 0.9 rests at in the peak.
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
    findings = [f for w in json.loads(result.stdout)["workloads"] for f in w["findings"]]
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


# A profile written from docs/profile.md alone, with three ordinary mistakes planted: a misspelt key, an
# impossible Fargate pair and a p99 written in milliseconds.
THUMBNAILS = """\
# Thumbnails for uploaded photos: busy in the European evening.
environment: prod
alerts:
  emails: [media-oncall@example.com]
workloads:
  - name: thumbnails
    broker: sqs
    traffic:
      messages_per_day: 200000
      peak_to_average: 3
      trough_to_average: 0.2
      message_bytes: 2048
      daily_shape:
        time_zone: "Europe/Berlin"   # the evening peak is local
        hourly_multipliers: [0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0, 1.0,
                             1.0, 1.0, 1.0, 1.1, 1.3, 1.6, 2.0, 2.6, 2.8, 2.2, 1.2, 0.5]
    consumer:
      processing_seconds: 1.5
      processing_p99_seconds: 6000    # measured
      concurency_per_task: 4
      task_cpu: 1024
      task_memory_mib: 512
      image: public.ecr.aws/docker/library/python:3.12-slim
    objective:
      max_age_seconds: 600            # 10 minutes
"""
PLANTED = {
    "      processing_p99_seconds: 6000    # measured\n": "      processing_p99_seconds: 6    # measured\n",
    "      concurency_per_task: 4\n": "      concurrency_per_task: 4\n",
    "      task_memory_mib: 512\n": "      task_memory_mib: 2048\n",
}


def test_a_new_profile_with_three_planted_mistakes_is_fixed_by_fix_write_and_every_other_line_kept(tmp_path):
    path = tmp_path / "thumbnails.yaml"
    path.write_bytes(THUMBNAILS.encode())
    shown = runner.invoke(app, ["plan", str(path), "--fix"])
    assert "did you mean concurrency_per_task" not in shown.output  # repaired, not refused
    written = runner.invoke(app, ["plan", str(path), "--fix", "--write"])
    assert written.exit_code == 0, written.output
    before, after = THUMBNAILS.encode().splitlines(keepends=True), path.read_bytes().splitlines(keepends=True)
    assert len(before) == len(after)
    changed = {b.decode(): a.decode() for b, a in zip(before, after) if b != a}
    assert changed == PLANTED  # the flow list stays on its two lines, comments and quotes as they were
    clean = runner.invoke(app, ["plan", str(path)])
    assert clean.exit_code == 0, clean.output
    assert "warning" not in clean.output and "error" not in clean.output


def test_the_printed_diff_applies_with_patch_and_round_trips(tmp_path):
    import shutil as sh
    import subprocess

    path = tmp_path / "thumbnails.yaml"
    path.write_text(THUMBNAILS)
    result = fix_profile(path)
    shown = runner.invoke(app, ["plan", str(path), "--fix"], env={"COLUMNS": "80"})
    diff = shown.output[shown.output.index("--- "):shown.output.index("repaired ")]
    assert diff == result.diff  # raw, never wrapped at 80 columns
    assert max(len(line) for line in diff.splitlines()) > 80
    if sh.which("patch"):
        subprocess.run(["patch", "-s", str(path)], input=diff, text=True, check=True)
        assert path.read_text() == result.fixed_text
    else:
        restored = "".join(line[1:] for line in diff.splitlines(keepends=True)[2:] if line[:1] in " +")
        assert restored in result.fixed_text


def test_fix_write_keeps_crlf_line_ends_byte_for_byte(tmp_path):
    path = tmp_path / "thumbnails.yaml"
    original = THUMBNAILS.replace("\n", "\r\n").encode()
    path.write_bytes(original)
    assert runner.invoke(app, ["plan", str(path), "--fix", "--write"]).exit_code == 0
    after = path.read_bytes()
    assert after.count(b"\r\n") == original.count(b"\r\n") and b"concurrency_per_task: 4\r\n" in after
