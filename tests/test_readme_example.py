"""docs/deploying.md's "use a component from another program" example passes the gate it documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qcap.cli import app

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    text = (ROOT / "docs" / "deploying.md").read_text()
    section = text[text.index("## Using a component from another Pulumi program"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_component_example_passes_qcap_preview_program(tmp_path, monkeypatch):
    program = tmp_path / "my_program.py"
    program.write_text(readme_example())
    monkeypatch.chdir(ROOT)  # the example loads stacks/dev.yaml by a relative path
    result = CliRunner().invoke(app, ["preview", "dev", "--json", "--program", str(program)])
    report = json.loads(result.stdout)
    assert [(v["policy"], v["resource"]) for v in report["violations"] if v["level"] == "mandatory"] == []
    assert report["new_stack"]["undecided_mandatory"] == 0
    assert result.exit_code == 0


def test_program_that_fails_exits_2_with_its_error(tmp_path):
    program = tmp_path / "broken"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (program / "__main__.py").write_text("raise RuntimeError('no such bucket config')\n")
    result = CliRunner().invoke(app, ["preview", "dev", "--program", str(program)])
    assert result.exit_code == 2
    assert "no such bucket config" in result.stderr
