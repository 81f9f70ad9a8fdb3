"""`qcap worker` hands over to the worker's runner."""

from __future__ import annotations

from typer.testing import CliRunner

from qcap.cli import app


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
