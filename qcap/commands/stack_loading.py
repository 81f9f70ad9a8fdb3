"""Loading a stack for a command: a bad profile prints its problems and exits 2, never a traceback."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from capacity import stacks
from capacity.contract import EXIT_BAD_INPUT
from capacity.profile import ProfileError
from capacity.stacks import LoadedStack

# Error lines are never wrapped: a user greps them, and a wrapped path no longer matches.
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def load_stack(stack: str) -> LoadedStack:
    """Load and plan STACK (a name under stacks/ or a path); exit 2 with readable messages if it is bad."""
    try:
        return stacks.load_stack(stack)
    except ProfileError as exc:
        report_profile_error(exc)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def report_profile_error(exc: ProfileError) -> None:
    count = len(exc.problems)
    err_console.print(f"[bold red]{escape(exc.path)}[/]: {count} problem{'s' if count != 1 else ''}", soft_wrap=True)
    for problem in exc.problems:
        err_console.print(f"{exc.path}: {problem}", markup=False, soft_wrap=True)
