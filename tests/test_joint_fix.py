"""The joint fixer: findings that pull one field opposite ways are solved by changing fields together."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from capacity.fixing import fix_profile
from capacity.joint_fix import joint_fix
from capacity.plan import plan
from capacity.profile import load_profile
from qcap.cli import app

# Every 5 minutes, 1 msg/s arriving, a 10 s p99 and one message at a time: the p99 wants a batch of at
# most 29 (runs overlap otherwise), the arrivals want more than 300.
CONFLICT = """\
# Reports, run every 5 minutes.
environment: prod
alerts:
  emails: [ops@example.com]
workloads:
  - name: reports
    broker: sqs
    traffic: {messages_per_day: 86400, peak_to_average: 1,
              message_bytes: 1024}
    consumer:
      mode: scheduled
      interval_seconds: 300   # five minutes
      batch_limit: 100
      processing_seconds: 1
      processing_p99_seconds: P99
      concurrency_per_task: 1
      image: example/reports:1
    objective:
      max_age_seconds: 900
"""


def _write(tmp_path, p99: int):
    path = tmp_path / "reports.yaml"
    path.write_text(CONFLICT.replace("P99", str(p99)))
    return path


def test_conflicting_findings_each_patch_alone_leaves_an_error(tmp_path):
    profile = load_profile(_write(tmp_path, 10))
    limits = {f.limit for w in plan(profile).workloads for f in w.errors}
    assert limits == {"run time vs interval", "batch limit vs arrivals"}


def test_the_joint_fixer_finds_the_smallest_change_of_two_fields_that_makes_the_plan_feasible(tmp_path):
    found = joint_fix(load_profile(_write(tmp_path, 10)), 0)
    # 301 a run keeps up with 1 msg/s; ceil(301 / 11) = 28 rounds x 10.02 s at p99 fit in the 300 s interval.
    assert found is not None
    assert found.patch == {"workloads[0].consumer.batch_limit": 301, "workloads[0].consumer.concurrency_per_task": 11}


def test_fix_write_ends_feasible_with_only_the_two_values_changed(tmp_path):
    path = _write(tmp_path, 10)
    before = path.read_text()
    result = CliRunner().invoke(app, ["plan", str(path), "--fix", "--write"])
    assert result.exit_code == 0, result.output
    changed = [(a, b) for a, b in zip(before.splitlines(), path.read_text().splitlines()) if a != b]
    assert changed == [("      batch_limit: 100", "      batch_limit: 301"),
                       ("      concurrency_per_task: 1", "      concurrency_per_task: 11")]
    assert plan(load_profile(path)).feasible


@pytest.mark.slow  # searches every adjustable field's whole range before it can say no (about 9 s)
def test_when_no_change_within_the_bounds_works_fix_says_so_plainly(tmp_path):
    # A p99 of 1,000 s: a run needs an interval over 1,000 s, and any such wait misses the 900 s objective.
    path = _write(tmp_path, 1000)
    assert joint_fix(load_profile(path), 0) is None
    result = fix_profile(path)
    assert not result.plan.feasible
    assert result.unsolved == ["reports: no change of workloads[0].consumer.concurrency_per_task, "
                               "workloads[0].consumer.batch_limit, workloads[0].consumer.interval_seconds within "
                               "their allowed values makes the plan feasible"]
    shown = CliRunner().invoke(app, ["plan", str(path), "--fix"])
    assert shown.exit_code == 1
    assert "not fixed reports: no change of" in " ".join(shown.output.split())
