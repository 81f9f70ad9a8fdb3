"""`qcap worker` hands over to the worker's runner, importing the handler from the current directory first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from qcap.cli import app

HANDLER_MODULE = "def handle(message):\n    return None\n"


def test_qcap_worker_exits_2_and_names_the_variables_when_no_queue_is_configured(monkeypatch):
    for name in ("QUEUE_URL", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["worker", "json:dumps"])
    assert result.exit_code == 2
    assert "neither QUEUE_URL" in result.output


def test_qcap_worker_help_names_the_handler_argument():
    result = CliRunner().invoke(app, ["worker", "--help"])
    assert result.exit_code == 0
    assert "HANDLER" in result.output and "SIGTERM" in result.output


@pytest.fixture
def handler_dir(tmp_path, monkeypatch):
    """A directory holding handlers_here.py, made the current directory; the import path restored after."""
    (tmp_path / "handlers_here.py").write_text(HANDLER_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "handlers_here", raising=False)
    # Another test in this process may have imported an `app` package of its own (docs' `app.handlers`).
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setenv("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/orders")
    return tmp_path


def test_qcap_worker_imports_a_handler_module_from_the_current_directory(handler_dir, monkeypatch):
    import worker.runner
    import worker.sqs

    started = []
    monkeypatch.setattr(worker.sqs, "sqs_worker", lambda handler, config: SimpleNamespace(handler=handler, errors=[]))
    monkeypatch.setattr(worker.runner, "run_until_signalled", lambda engine: started.append(engine))
    monkeypatch.setattr(worker.runner, "exit_now", lambda code: None)  # the entry point's os._exit, not here
    result = CliRunner().invoke(app, ["worker", "handlers_here:handle"])
    assert result.exit_code == 0, result.output
    assert started[0].handler is sys.modules["handlers_here"].handle
    assert sys.path[0] == str(handler_dir)


def test_a_missing_handler_module_names_the_module_the_directory_searched_and_the_fix(handler_dir):
    result = CliRunner().invoke(app, ["worker", "app.handlers:handle"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"qcap worker: cannot import module 'app' for handler 'app.handlers:handle': there is no app.py or app/ "
        f"package in {handler_dir} (the current directory, searched first) nor on the Python path; run the worker "
        "from the directory that holds it, or add that directory to PYTHONPATH\n"
    )


def test_a_module_that_exists_but_lacks_the_function_is_the_runners_error(handler_dir):
    result = CliRunner().invoke(app, ["worker", "handlers_here:nope"])
    assert result.exit_code == 2
    assert "'handlers_here' has no 'nope' (handler 'handlers_here:nope')" in result.stderr


QCAP = Path(sys.executable).with_name("qcap")


@pytest.mark.skipif(not QCAP.exists(), reason="the qcap console script is not installed next to this python")
def test_the_installed_qcap_worker_runs_a_handler_from_the_directory_it_is_started_in(tmp_path):
    (tmp_path / "handlers_here.py").write_text(HANDLER_MODULE)
    # Fake credentials and a closed loopback endpoint: the worker starts, its receives fail locally.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHONPATH", "REDIS_"))}
    env.update(QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/orders", AWS_DEFAULT_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL="http://127.0.0.1:9",
               AWS_EC2_METADATA_DISABLED="true")
    process = subprocess.Popen([str(QCAP), "worker", "handlers_here:handle"], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert '"event": "start"' in first, process.stderr.read()
    assert process.returncode == 0
