"""`qcap redrive STACK --workload W`: move a workload's dead-lettered messages back to its queue.

Shows how many wait in the DLQ and at what pace they would move, asks (unless --yes), then
starts SQS's StartMessageMoveTask. Exit 0 when started or nothing to move, 1 when declined,
2 on bad input or an AWS problem.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console

from capacity.contract import EXIT_NOT_OK as EXIT_DECLINED
from capacity.contract import EXIT_OK
from capacity.plan import duration, num
from capacity.profile import SQS_BROKERS
from qcap.commands.stack_loading import EXIT_BAD_INPUT, err_console, load_stack


def fail(message: str) -> typer.Exit:
    err_console.print(f"qcap redrive: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def register(app: typer.Typer) -> None:
    @app.command("redrive")
    def redrive_command(
        stack: str = typer.Argument(..., help="Stack name under stacks/ (or a path to a profile file)."),
        workload: str = typer.Option(..., "--workload", help="The workload (plan name) whose DLQ to redrive."),
        rate: Optional[int] = typer.Option(
            None, "--rate", help="Messages moved per second (1-500). Default: the fleet's spare throughput."
        ),
        region: Optional[str] = typer.Option(
            None, "--region", help="AWS region. Default: aws:region in Pulumi.<stack>.yaml, else boto3's chain."
        ),
        yes: bool = typer.Option(False, "--yes", help="Do not ask before starting."),
    ) -> None:
        """Move WORKLOAD's dead-lettered messages back to its queue (SQS StartMessageMoveTask)."""
        # boto3 and botocore cost a large part of a second: imported when redrive runs, not when qcap starts.
        from qcap.live import redrive
        from qcap.live.aws import AwsError, aws_errors, connect, resolve_region

        loaded = load_stack(stack)
        try:
            plan = loaded.plan.workload(workload)
        except KeyError:
            raise fail(
                f"--workload {workload!r} is not in this stack; allowed: "
                + ", ".join(w.name for w in loaded.plan.workloads)
            ) from None
        if plan.broker not in SQS_BROKERS:
            raise fail(f"workload {plan.name} uses broker {plan.broker}; redrive moves SQS dead-letter queues only")
        if rate is None:
            chosen = redrive.default_rate(plan)
        else:
            try:
                redrive.check_rate(rate)
            except ValueError as exc:
                raise fail(str(exc)) from None
            chosen = redrive.RedriveRate(rate, f"{rate} msg/s from --rate")
        console = Console(highlight=False)
        try:
            aws = connect(resolve_region(region, loaded.path, loaded.name))
            aws.require_credentials()
            with aws_errors("reading the dead-letter queue"):
                target = redrive.find_redrive(aws.sqs, loaded.name, plan)
            if target.dlq_visible == 0:
                console.print(
                    f"{target.dlq_name} holds no visible messages ({num(target.dlq_in_flight)} in flight): nothing to move",
                    markup=False,
                )
                raise typer.Exit(EXIT_OK)
            console.print(
                f"{target.dlq_name} holds {num(target.dlq_visible)} messages ({num(target.dlq_in_flight)} in flight). "
                f"Move them back to {target.queue_name} at {chosen.reason}: about "
                f"{duration(redrive.move_seconds(target.dlq_visible, chosen.per_second))}.",
                markup=False,
            )
            if not yes and not typer.confirm("Start the redrive?", default=False):
                console.print("not started", markup=False)
                raise typer.Exit(EXIT_DECLINED)
            with aws_errors("starting the redrive"):
                handle = redrive.start_redrive(aws.sqs, target, chosen.per_second)
        except AwsError as exc:
            raise fail(str(exc)) from None
        console.print(
            f"started: task {handle}. SQS moves the messages itself; follow it with "
            f"`aws sqs list-message-move-tasks --source-arn {target.dlq_arn}`",
            markup=False,
        )
