"""Progress on stderr while a command waits: a spinner on a terminal, a plain line per stage in a pipe.

A preview runs a program and a policy pack for seconds, a plan or a simulation can too; without a
word a user cannot tell working from stuck. stdout stays the command's output (clean for --json):
everything here goes to stderr. On a terminal a transient spinner names the stage and the seconds
so far; elsewhere (a pipe, a log, CI) a line `qcap preview: running the program...`, no control
codes, at most one per PIPE_EVERY_SECONDS (a stage known to be slow is said at once), and only
once the command has waited a second.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console
from rich.status import Status

from qcap.commands.stack_loading import err_console

# A command quiet for this long shows its progress; with the second Python takes to start and
# import, a user waits about 2 s before the first line (the spinner sooner: it costs a pipe nothing).
PIPE_AFTER_SECONDS = 1.0
TERMINAL_AFTER_SECONDS = 0.5
# The fewest seconds between two lines in a pipe; a stage that stays this long is said again.
PIPE_EVERY_SECONDS = 5.0
# How often the watcher wakes to update the spinner or write a line.
TICK_SECONDS = 0.1


class Progress:
    """`with Progress("qcap preview") as p: p.stage("running the program")`; `p.fraction(0.4)` for a share done."""

    def __init__(self, command: str, console: Console | None = None, after: float | None = None):
        self.command = command
        self.console = console or err_console
        self.terminal = self.console.is_terminal
        self.after = after if after is not None else (TERMINAL_AFTER_SECONDS if self.terminal else PIPE_AFTER_SECONDS)
        self.started = time.monotonic()
        self.what = ""
        self.done: float | None = None
        self.said: tuple[str, float] | None = None  # the stage last written to a pipe, and when
        self.status: Status | None = None
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="qcap-progress", daemon=True)

    def __enter__(self) -> Progress:
        self.watcher.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stopped.set()
        self.watcher.join()
        if self.status is not None:
            self.status.stop()

    def stage(self, what: str, now: bool = False) -> None:
        """The stage running from here on; `now` shows it at once, however soon after the last line
        (a stage known to take seconds)."""
        with self.lock:
            self.what, self.done = what, None
            if now:
                self.after = min(self.after, time.monotonic() - self.started)
                self.said = None
        self._show()

    def fraction(self, done: float) -> None:
        """The share of the current stage done (0 to 1), shown beside it on a terminal."""
        self.done = done

    def text(self) -> str:
        seconds = time.monotonic() - self.started
        share = "" if self.done is None else f" {self.done:.0%}"
        return f"{self.command}: {self.what}...{share} ({seconds:.0f} s)"

    def _watch(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            self._show()

    def _show(self) -> None:
        with self.lock:
            now = time.monotonic()
            if not self.what or now - self.started < self.after or self.stopped.is_set():
                return
            if self.terminal:
                if self.status is None:
                    self.status = self.console.status(self.text())
                    self.status.start()
                else:
                    self.status.update(self.text())
                return
            if self.said is not None and now - self.said[1] < PIPE_EVERY_SECONDS:
                return
            again = self.said is not None and self.said[0] == self.what
            line = f"{self.command}: still {self.what}... ({now - self.started:.0f} s)" if again else (
                f"{self.command}: {self.what}...")
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
            self.said = (self.what, now)
