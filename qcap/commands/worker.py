"""`qcap worker MODULE:FUNCTION`: run the reference consumer (worker/) for a handler.

Settings come from the environment the Fargate component sets (docs/workers.md); the
command only parses, then hands over to `worker.runner`, which a consumer image can also
run without qcap installed (`python -m worker MODULE:FUNCTION`).
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker_command(
        handler: str = typer.Argument(..., help="The handler, package.module:function, called with one Message."),
    ) -> None:
        """Consume the queue in QUEUE_URL (SQS) or REDIS_HOST (Redis) with HANDLER until SIGTERM.

        Runs CONCURRENCY handlers at once, receives only into free slots, deletes on success,
        backs off failures, extends long-running messages, holds ECS scale-in protection while
        busy, and on SIGTERM finishes or releases what it holds within STOP_TIMEOUT_SECONDS.
        """
        from worker.runner import main

        raise typer.Exit(main([handler], exit_after_run=True))
