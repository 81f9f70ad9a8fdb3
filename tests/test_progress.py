"""Progress on stderr: a line per stage in a pipe (no control codes, rate-limited), a spinner on a terminal."""

from __future__ import annotations

import io
import time

from rich.console import Console

from qcap.commands import progress as progress_module
from qcap.commands.progress import Progress


def pipe() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=80), out


def test_in_a_pipe_a_stage_shown_now_is_one_plain_line_naming_the_command():
    console, out = pipe()
    with Progress("qcap preview", console) as progress:
        progress.stage("running the program", now=True)
    assert out.getvalue() == "qcap preview: running the program...\n"


def test_in_a_pipe_a_command_done_before_the_wait_threshold_says_nothing():
    console, out = pipe()
    with Progress("qcap plan", console, after=1.0) as progress:
        progress.stage("planning dev")
    assert out.getvalue() == ""


def test_in_a_pipe_a_stage_that_starts_too_soon_after_a_line_waits_for_the_interval(monkeypatch):
    monkeypatch.setattr(progress_module, "PIPE_EVERY_SECONDS", 0.3)
    console, out = pipe()
    with Progress("qcap simulate", console, after=0) as progress:
        progress.stage("simulating a")
        progress.stage("simulating b")
        time.sleep(0.45)
    lines = out.getvalue().splitlines()
    assert lines[0] == "qcap simulate: simulating a..."
    assert lines[1] == "qcap simulate: simulating b..." and len(lines) == 2
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


def test_in_a_pipe_a_stage_that_lasts_is_said_again_with_its_seconds(monkeypatch):
    monkeypatch.setattr(progress_module, "PIPE_EVERY_SECONDS", 0.2)
    console, out = pipe()
    with Progress("qcap preview", console, after=0) as progress:
        progress.stage("running the program")
        time.sleep(0.3)
    lines = out.getvalue().splitlines()
    assert lines[0] == "qcap preview: running the program..."
    assert lines[1] == "qcap preview: still running the program... (0 s)"


def test_on_a_terminal_a_spinner_names_the_stage_and_its_share_done():
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True)
    with Progress("qcap simulate", console) as progress:
        progress.stage("simulating orders: plan autoscaling", now=True)
        progress.fraction(0.25)
        time.sleep(0.3)
    assert "qcap simulate: simulating orders: plan autoscaling... 25% (0 s)" in out.getvalue()


def test_in_a_pipe_a_stage_known_to_be_slow_is_said_at_once_even_right_after_a_line(monkeypatch):
    monkeypatch.setattr(progress_module, "PIPE_EVERY_SECONDS", 60.0)
    console, out = pipe()
    with Progress("qcap preview", console, after=0) as progress:
        progress.stage("loading pulumi and the policy pack")
        progress.stage("running the program", now=True)
    assert out.getvalue().splitlines() == [
        "qcap preview: loading pulumi and the policy pack...", "qcap preview: running the program..."]
