"""`qcap` itself: every command is wired, and starting one does not import what only others need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from qcap.cli import COMMAND_MODULES, app

ROOT = Path(__file__).resolve().parent.parent
# Libraries only preview (pulumi, grpc), doctor/load/redrive (boto3, botocore) and simulate --png
# (matplotlib) use; importing them costs most of a second, more than `qcap plan` itself.
HEAVY = ("grpc", "pulumi", "boto3", "botocore", "matplotlib")

# Run in a fresh interpreter: this test process has them all loaded already (conftest, other tests).
PLAN_IMPORTS = """
import json, sys
import typer.main
import qcap.cli

def heavy():
    return sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))

group = typer.main.get_command(qcap.cli.app)
assert group.get_command(None, "plan") is not None
after_resolve = heavy()
code = None
try:
    group.main(["plan", "session-events", "--json"], prog_name="qcap")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"after_resolve": after_resolve, "after_plan": heavy(), "exit": code}), file=sys.stderr)
"""


def test_help_lists_every_command_with_its_help_text():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name, first_words in [("plan", "Derive and explain"), ("simulate", "Simulate the plan's"),
                              ("preview", "Run the program under"), ("doctor", "Check the live queues"),
                              ("load", "Send N numbered"), ("redrive", "Move WORKLOAD's"), ("worker", "Consume the")]:
        assert name in result.output
        assert first_words in result.output
    assert len(COMMAND_MODULES) == 7


def test_plan_imports_none_of_the_libraries_only_other_commands_need():
    done = subprocess.run([sys.executable, "-c", PLAN_IMPORTS, *HEAVY], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["exit"] == 0, done.stdout + done.stderr
    assert report["after_resolve"] == []
    assert report["after_plan"] == []
