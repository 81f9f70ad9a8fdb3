"""Unsafe capacity profiles: what a profile can express is blocked, by the planner or by the pack.

Each case is stacks/dev.yaml in prod with one override; `qcap preview PROFILE` must exit 1 and
say who blocked it. Overrides the planner accepts are the pack's to catch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qcap.cli import app

pytestmark = pytest.mark.slow
DEV_PROFILE = Path(__file__).resolve().parent.parent / "stacks" / "dev.yaml"

# case -> (override line, objective seconds, who blocks: "planner" or the rule id)
UNSAFE_PROFILES = {
    "age-alarm-far-above-objective": ("alarm_age_seconds: 86400", 900, "age-alarm-within-objective"),
    "single-receive-in-prod": ("max_receive_count: 1", 900, "sqs-max-receive-count"),
    "visibility-under-processing": ("visibility_timeout_seconds: 1", 900, "planner"),
    "target-far-above-objective": ("target_backlog_per_task: 100000", 900, "planner"),
    "min-zero-shorter-than-cold-start": ("min_capacity: 0", 60, "planner"),
    "dlq-retention-equal-to-source": ("dlq_retention_seconds: 1123200, retention_seconds: 1123200", 900, "planner"),
}


def write_profile(directory: Path, name: str, override: str, objective_seconds: int) -> Path:
    text = DEV_PROFILE.read_text().replace("environment: dev", "environment: prod")
    text = text.replace("max_age_seconds: 900", f"max_age_seconds: {objective_seconds}")
    path = directory / f"{name}.yaml"
    path.write_text(text + f"    overrides: {{{override}}}\n")
    return path


@pytest.mark.parametrize("name", sorted(UNSAFE_PROFILES))
def test_unsafe_profile_is_blocked(tmp_path, name):
    override, objective, blocker = UNSAFE_PROFILES[name]
    result = CliRunner().invoke(app, ["preview", str(write_profile(tmp_path, name, override, objective)), "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    if blocker == "planner":
        assert report["blocked_by"] == "planner"
    else:
        assert blocker in {v["policy"] for v in report["violations"] if v["level"] == "mandatory"}


def test_cooldown_as_long_as_the_objective_is_refused_by_the_planner_with_a_patch(tmp_path):
    profile = write_profile(tmp_path, "slow-cooldown", "scale_out_cooldown_seconds: 3600, min_capacity: 1", 900)
    # Enough traffic that one task cannot carry the peak, so the fleet must scale out in time.
    profile.write_text(profile.read_text().replace("messages_per_day: 50000", "messages_per_day: 5000000"))
    result = CliRunner().invoke(app, ["preview", str(profile), "--json"])
    report = json.loads(result.stdout)
    # Overrides are judged like derived values, so the planner blocks before the pack's
    # advisory `scaling-cooldown-fits-objective` (which still gates raw programs) would see it.
    assert (result.exit_code, report["blocked_by"]) == (1, "planner")
    errors = [f for w in report["plan"]["workloads"] for f in w["findings"] if f["severity"] == "error"]
    assert [f["patch"] for f in errors] == [{"workloads[0].overrides.scale_out_cooldown_seconds": 60}]