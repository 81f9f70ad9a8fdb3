"""Every `qcap` command in the README's and docs' code blocks runs as written.

Offline commands (plan, simulate, preview) run in process in a scratch directory holding the
files the docs tell the reader to make (a trace, a policy config, another program). Live
commands (doctor, load, redrive) run against a loopback port nothing listens on, with one
try and a 1 s timeout: their options parse, the stack loads and they stop at the AWS call
with one line and exit 2. The moto load example itself runs in tests/test_load_cmd.py.
"""

from __future__ import annotations

import re
import shlex
import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capacity.profile import stack_names
from qcap.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A command line in a fenced block: `qcap ...`, `.venv/bin/qcap ...` or `python -m qcap ...`.
COMMAND = re.compile(r"^(?:\$ )?(?:\.venv/bin/)?(?:qcap|(?:\.venv/bin/)?python -m qcap) (?P<args>[a-z].*)$")
# Reference lines (`qcap doctor STACK [--json]`) show the syntax, not a command to run.
PLACEHOLDER = re.compile(r"\b(STACK|URL|[A-Z]{1,2})\b|\[")
LIVE = {"doctor", "load", "redrive"}

TRACE_CSV = "Timestamp,Sum\n" + "".join(f"2025-03-01T{h:02d}:{m:02d}:00Z,{60 + m}\n" for h in range(2) for m in range(60))
OTHER_PROGRAM = '"""Another Pulumi program: one queue."""\nimport pulumi_aws as aws\n\naws.sqs.Queue("other")\n'


def examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for language, block in re.findall(r"```([a-z]*)\n(.*?)```", doc.read_text(), re.S):
            if language == "text":
                continue  # what a command prints (`qcap preview: running...` is output, not a command)
            for line in block.replace("\\\n", " ").splitlines():
                match = COMMAND.match(line.strip())
                if match:
                    args = match.group("args").split("  #")[0].strip()
                    if not PLACEHOLDER.search(args):
                        found.append((doc.name, args))
        # Inline examples in prose (`qcap plan event-backlog`), when they name a stack.
        # (Quoted program output such as "Run `qcap plan shop`" names a stack that is not shipped.)
        for args in re.findall(r"`qcap ([a-z]+ [a-z][^`]*)`", doc.read_text()):
            shipped = args.split()[1] in stack_names()
            if shipped and not PLACEHOLDER.search(args) and (doc.name, args) not in found:
                found.append((doc.name, args))
    return found


def test_the_docs_have_command_examples_to_check():
    commands = {args.split()[0] for _, args in examples()}
    assert {"plan", "simulate", "preview", "doctor", "load"} <= commands


def component_example() -> str:
    """docs/deploying.md's "use a component from another program" example, the program it gates."""
    text = (ROOT / "docs" / "deploying.md").read_text()
    section = text[text.index("## Using a component from another Pulumi program"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    (tmp_path / "sent.csv").write_text(TRACE_CSV)
    (tmp_path / "policy-config.json").write_text("{}\n")
    (tmp_path / "my_other_program.py").write_text(OTHER_PROGRAM)
    (tmp_path / "my_program.py").write_text(component_example())
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "handlers.py").write_text("def handle(message):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "stacks").symlink_to(ROOT / "stacks")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    # Forget the modules imported from here (`app.handlers`, the programs): a later test in this process
    # must not find them.
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize(("doc", "args"), examples(), ids=lambda v: v if isinstance(v, str) else None)
def test_a_documented_command_runs_as_written(doc, args, scratch, monkeypatch):
    port = closed_port()
    words = shlex.split(args.replace("$PORT", str(port)))
    env = {"COLUMNS": "100"}
    if words[0] in LIVE:
        env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s",
                   AWS_DEFAULT_REGION="us-east-1", QCAP_AWS_MAX_ATTEMPTS="1", QCAP_AWS_CONNECT_TIMEOUT="1")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
    result = CliRunner().invoke(app, words, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Usage:" not in result.output and "No such option" not in result.output, result.output
    if words[0] in LIVE:
        assert result.exit_code == 2, result.output
        assert "cannot reach the AWS endpoint" in result.stderr, result.output
    elif words[0] == "worker":
        # The handler imports; with no QUEUE_URL (the Fargate component sets it) the worker stops at once.
        assert result.exit_code == 2, result.output
        assert "QUEUE_URL" in result.output, result.output
    else:
        assert result.exit_code in (0, 1), f"{doc}: qcap {args}\n{result.output}"


def test_the_readmes_plan_excerpt_is_what_qcap_plan_prints_today():
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```text\n(.*?)```", readme, re.S) if b.startswith("qcap plan event-backlog"))
    result = CliRunner().invoke(app, ["plan", "event-backlog"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    printed = result.stdout
    for chunk in block.split("...\n"):
        assert chunk.strip() and chunk in printed, chunk
