"""The pack ships its own copy of the limits its rules read; each copy equals capacity/limits.py's."""

from __future__ import annotations

import ast
from pathlib import Path

from capacity import limits as planner_limits
from policies import limits as pack_limits

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
# Derived in the pack only (no constant of that name in capacity/limits.py).
PACK_ONLY = {"COLD_START_SECONDS", "POLICY_MAX_AGE_ALARM_SECONDS"}


def test_every_pack_limit_equals_the_planner_limit_of_the_same_name():
    names = [n for n in dir(pack_limits) if n.isupper() and n not in PACK_ONLY]
    assert len(names) >= 25
    mismatched = {n: (getattr(pack_limits, n), getattr(planner_limits, n, "missing")) for n in names
                  if getattr(planner_limits, n, None) != getattr(pack_limits, n)}
    assert mismatched == {}


def test_pack_cold_start_is_the_planners_cold_start():
    assert pack_limits.COLD_START_SECONDS == (planner_limits.CLOUDWATCH_METRIC_DELAY_SECONDS
                                              + planner_limits.TARGET_TRACKING_DATAPOINT_SECONDS
                                              + planner_limits.TASK_START_SECONDS)


def test_no_pack_module_imports_outside_the_pack():
    outside = []
    for path in POLICIES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            outside += [f"{path.name}: {m}" for m in modules
                        if m.split(".")[0] in ("capacity", "components", "qcap")]
    assert outside == []
