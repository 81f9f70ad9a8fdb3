"""`qcap worker MODULE:FUNCTION`: run the reference consumer (worker/) for a handler.

Settings come from the environment the Fargate component sets (docs/workers.md); the
command only parses, then hands over to `worker.runner`, which a consumer image can also
run without qcap installed (`python -m worker MODULE:FUNCTION`). Like `python -m`, it puts
the current directory first on the import path, so a handler next to the user is found.
"""

from __future__ import annotations

import os
import sys

import typer

from capacity.contract import WORKER_EXIT_BAD_SETUP


def import_from_cwd() -> str:
    """Put the current directory first on the import path, as `python -m` does; return it."""
    cwd = os.getcwd()
    if cwd not in sys.path[:1]:
        sys.path.insert(0, cwd)
    return cwd


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker_command(
        handler: str = typer.Argument(..., help="The handler, package.module:function, called with one Message; "
                                                "the module is imported from the current directory first."),
    ) -> None:
        """Consume the queue in QUEUE_URL (SQS) or REDIS_HOST (Redis) with HANDLER until SIGTERM.

        Runs CONCURRENCY handlers at once, receives only into free slots, deletes on success,
        backs off failures, extends long-running messages, holds ECS scale-in protection while
        busy, and on SIGTERM finishes or releases what it holds within STOP_TIMEOUT_SECONDS.
        """
        from worker.runner import missing_module

        problem = missing_module(handler, import_from_cwd())
        if problem:
            typer.echo(f"qcap worker: {problem}", err=True)
            raise typer.Exit(WORKER_EXIT_BAD_SETUP)
        from worker.runner import main

        raise typer.Exit(main([handler], exit_after_run=True))
