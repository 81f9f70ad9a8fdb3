"""`qcap doctor STACK`: check a deployed stack's queues, consumers and autoscaling against its plan.

Exit 0 when every check is ok, 1 when any is warn or critical, 2 when the check could not run
(a bad profile or option, no credentials, no permission, an endpoint that does not answer,
throttling that outlasted the retries).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape

from capacity import limits
from capacity.contract import EXIT_NOT_OK as EXIT_UNHEALTHY
from capacity.contract import EXIT_OK as EXIT_HEALTHY
from capacity.plan import WorkloadPlan, duration, num
from qcap.commands.stack_loading import EXIT_BAD_INPUT, err_console, load_stack
from qcap.commands.tables import render_rows

# qcap.live (boto3 and botocore with it) is imported when doctor runs, so the other commands start without it.
if TYPE_CHECKING:
    from qcap.live.derived_numbers import Computed
    from qcap.live.diagnosis import Diagnosis

DEFAULT_WINDOW_MINUTES = 60
DEFAULT_LEARN_DAYS = 14
MAX_LEARN_DAYS = limits.CLOUDWATCH_ONE_HOUR_RETENTION_SECONDS // limits.SECONDS_PER_DAY
MIN_WINDOW_MINUTES = 2  # two one-minute halves at least, for a trend
MAX_WINDOW_MINUTES = limits.CLOUDWATCH_ONE_MINUTE_RETENTION_SECONDS // 60
LEVEL_STYLE = {"ok": "green", "warn": "yellow", "critical": "bold red"}


def fail(message: str) -> typer.Exit:
    err_console.print(f"qcap doctor: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def select_workloads(plans: tuple[WorkloadPlan, ...], workload: str | None, queue_url: str | None) -> tuple[list[WorkloadPlan], list[str]]:
    """The SQS workloads to check, and notes about the ones doctor skips."""
    from capacity.contract import SQS_BROKERS
    from qcap.live import doctor

    chosen = list(plans)
    if workload is not None:
        chosen = [w for w in plans if w.name == workload or w.group == workload]
        if not chosen:
            raise fail(f"--workload {workload!r} is not in this stack; allowed: {', '.join(w.name for w in plans)}")
    notes = [doctor.skipped_note(w) for w in chosen if w.broker not in SQS_BROKERS]
    sqs = [w for w in chosen if w.broker in SQS_BROKERS]
    if not sqs:
        raise fail("no SQS workloads to check in this stack" + (f" ({'; '.join(notes)})" if notes else ""))
    if queue_url is not None and len(sqs) != 1:
        raise fail(
            "--queue-url checks one queue: name its workload with --workload; allowed: "
            + ", ".join(w.name for w in sqs)
        )
    return sqs, notes


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor_command(
        stack: str = typer.Argument(..., help="Stack name under stacks/ (or a path to a profile file)."),
        queue_url: Optional[str] = typer.Option(
            None, "--queue-url", help="Check this queue (one qcap did not deploy) against the stack's plan."
        ),
        workload: Optional[str] = typer.Option(None, "--workload", help="Check only this workload (plan name)."),
        region: Optional[str] = typer.Option(
            None, "--region", help="AWS region. Default: aws:region in Pulumi.<stack>.yaml, else boto3's chain."
        ),
        window_minutes: int = typer.Option(
            DEFAULT_WINDOW_MINUTES, "--window-minutes",
            help=f"CloudWatch history to read, in minutes ({MIN_WINDOW_MINUTES}-{MAX_WINDOW_MINUTES}). Default: 60.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        timeout: Optional[float] = typer.Option(
            None, "--timeout",
            help=f"Seconds to wait for each AWS answer (QCAP_AWS_READ_TIMEOUT). Default: {limits.AWS_READ_TIMEOUT_SECONDS}, "
            f"{limits.AWS_MAX_ATTEMPTS} tries.",
        ),
        learn: bool = typer.Option(
            False, "--learn", help="Estimate the profile's traffic and processing from CloudWatch history and compare."
        ),
        days: int = typer.Option(
            DEFAULT_LEARN_DAYS, "--days", help=f"With --learn: days of history to read (1-{MAX_LEARN_DAYS}). Default: {DEFAULT_LEARN_DAYS}."
        ),
        fix: bool = typer.Option(False, "--fix", help="With --learn: print the profile patched with the observed values "
                                 "and what the plan then changes."),
        write: bool = typer.Option(False, "--write", help="With --learn --fix: write the patched profile (comments kept)."),
    ) -> None:
        """Check the live queues, consumers and autoscaling of STACK against its plan."""
        from qcap.live import diagnosis, doctor, doctor_json
        from qcap.live.aws import AwsError, Timeouts, aws_errors, config_text, connect, resolve_region, stack_config

        if (fix or write) and not learn:
            raise fail("--fix and --write go with --learn (to fix a profile from its plan's findings: qcap plan --fix)")
        if learn and queue_url is not None:
            raise fail("--learn reads the stack's own queues by their names; it does not go with --queue-url")
        if learn:
            learn_command(stack, workload, region, days, fix, write, as_json, timeout)
        if not MIN_WINDOW_MINUTES <= window_minutes <= MAX_WINDOW_MINUTES:
            raise fail(
                f"--window-minutes {window_minutes} is out of range; allowed: {MIN_WINDOW_MINUTES}-{MAX_WINDOW_MINUTES} "
                "(CloudWatch keeps one-minute datapoints for 15 days)"
            )
        loaded = load_stack(stack)
        plans, notes = select_workloads(loaded.plan.workloads, workload, queue_url)
        try:
            choice = resolve_region(region, loaded.path, loaded.name)
            cluster_arn = config_text(stack_config(loaded.path, loaded.name).get("qcap:clusterArn"))
            aws = connect(choice, Timeouts.from_env(timeout))
            aws.require_credentials()
            if not as_json:
                err_console.print(f"qcap doctor: reading {len(plans)} queue(s) from {aws.endpoint} ...",
                                  markup=False, highlight=False)
            start, end = doctor.metric_window(doctor.utc_now(), window_minutes)
            with aws_errors("reading the stack's queues, metrics and services"):
                endpoint = aws.endpoint
                facts = [
                    doctor.gather(aws, loaded.name, w, start, end, queue_url=queue_url, cluster_arn=cluster_arn)
                    for w in plans
                ]
        except AwsError as exc:
            raise fail(str(exc)) from None
        diagnoses = [diagnosis.diagnose(w, f) for w, f in zip(plans, facts)]
        healthy = all(d.level == "ok" for d in diagnoses)
        if as_json:
            report = doctor_json.as_json(loaded.name, aws.region, aws.region_source, endpoint, window_minutes, diagnoses, notes)
            typer.echo(json.dumps(report, indent=2))
        else:
            render(Console(highlight=False), loaded.name, aws.region, aws.region_source, endpoint, window_minutes,
                   plans, diagnoses, notes)
        raise typer.Exit(EXIT_HEALTHY if healthy else EXIT_UNHEALTHY)


def learn_command(stack: str, workload: str | None, region: str | None, days: int, fix: bool, write: bool,
                  as_json: bool, timeout: float | None) -> None:
    """`--learn`: read each service workload's history, print profile against observed; exit 0 when it holds."""
    from qcap.commands.learning import learnable, run_learn
    from qcap.live import doctor
    from qcap.live.aws import AwsError, Timeouts, aws_errors, connect, resolve_region
    from qcap.live.learn_reading import learn_window, read_history

    if not 1 <= days <= MAX_LEARN_DAYS:
        raise fail(f"--days {days} is out of range; allowed: 1-{MAX_LEARN_DAYS} (CloudWatch keeps one-hour datapoints "
                   "455 days, one-minute datapoints 15: the peak is read by minute only within those)")
    loaded = load_stack(stack)
    names = [w.name for w in loaded.profile.workloads]
    if workload is not None and workload not in names:
        raise fail(f"--workload {workload!r} is not in this stack; allowed: {', '.join(names)}")
    chosen, notes = learnable(loaded, workload)
    if not chosen:
        raise fail("no workload to learn in this stack" + (f" ({'; '.join(notes)})" if notes else ""))
    try:
        aws = connect(resolve_region(region, loaded.path, loaded.name), Timeouts.from_env(timeout))
        aws.require_credentials()
        now = doctor.utc_now()
        start, end = learn_window(now, days)
        if not as_json:
            err_console.print(f"qcap doctor --learn: reading {days} days of {len(chosen)} queue(s) from {aws.endpoint} ...",
                              markup=False, highlight=False)
        with aws_errors("reading the queues' and workers' CloudWatch history"):
            histories = [read_history(aws, loaded.name, lane, start, end, now) for _, lane in chosen]
    except AwsError as exc:
        raise fail(str(exc)) from None
    console = Console(highlight=False)
    if not as_json:
        console.print(f"[bold]qcap doctor {loaded.name} --learn[/]: {days} days from {start:%Y-%m-%d %H:%M} to "
                      f"{end:%Y-%m-%d %H:%M} UTC, region {aws.region}")
    holds = run_learn(console, loaded, chosen, histories, fix, write, as_json)
    for note in notes:
        err_console.print(f"note: {note}", markup=False, highlight=False)
    raise typer.Exit(EXIT_HEALTHY if holds else EXIT_UNHEALTHY)


def _eta_words(c: Computed) -> str:
    """The drain ETA in words: a duration, "no backlog to drain" when outflow keeps pace, else "never"."""
    if c.backlog == 0 or (c.keeps_pace and c.wait_seconds <= c.flow.window_seconds):
        return "none: no backlog to drain"
    return "never" if math.isinf(c.eta_seconds) else duration(c.eta_seconds)


def _inputs(plan: WorkloadPlan, d: Diagnosis) -> list[str]:
    """The facts every verdict is computed from, one line each, so a reader can redo the arithmetic."""
    from qcap.live.verdict import rate

    f = d.facts
    q = f.queue
    if q is None:
        return [f"queue {f.queue_name}: not found"]
    c = d.computed
    assert c is not None
    lines = [
        f"queue {q.name}: visible {num(q.visible)}, in flight {num(q.in_flight)}, delayed {num(q.delayed)}, "
        f"oldest {duration(c.oldest_age_seconds) if c.age_measured else 'no data'}; retention {num(q.retention_seconds)} s, visibility "
        f"{num(q.visibility_timeout_seconds)} s, max receives {num(q.max_receive_count)}",
        f"flow over {duration(c.flow.window_seconds)}: in {rate(c.flow.inflow_per_second)}, out "
        f"{rate(c.flow.outflow_per_second)}; drain ETA "
        f"{_eta_words(c)}",
        f"plan: {num(plan.per_task_messages_per_second)} msg/s per task (concurrency {plan.concurrency_per_task}), "
        f"objective {duration(plan.max_age_seconds)}, capacity {plan.min_capacity}-{plan.max_capacity}, target "
        f"{num(plan.scaling.target_backlog_per_task) if plan.scaling else 'n/a'} per task",
    ]
    if f.dlq_name:
        lines.append(f"dead-letter queue {f.dlq_name}: {num(f.dlq_visible) if f.dlq_visible is not None else 'missing'}")
    if f.service is not None:
        s = f.service
        lines.append(
            f"service {s.cluster}/{s.service}: " + (f"{s.running} running, {s.desired} desired" if s.found else "missing")
        )
    if f.scaling is not None:
        sc = f.scaling
        lines.append(
            f"autoscaling {sc.resource_id}: "
            + (f"{sc.min_capacity}-{sc.max_capacity} tasks, target {num(sc.target_backlog_per_task)} per task"
               if sc.target_found else "no scalable target")
        )
    return lines


def render(console: Console, stack: str, region: str | None, region_source: str, endpoint: str,
           window_minutes: int, plans: list[WorkloadPlan], diagnoses: list[Diagnosis], notes: list[str]) -> None:
    console.print(f"[bold]qcap doctor {stack}[/]: region {region} ({region_source}), endpoint {endpoint}, "
                  f"window {window_minutes} min")
    for plan, d in zip(plans, diagnoses):
        console.print(f"\n[bold]{plan.name}[/] inputs:")
        for line in _inputs(plan, d):
            console.print(f"  {line}", markup=False)
    rows = [[escape(c.workload), escape(c.name), f"[{LEVEL_STYLE[c.level]}]{c.level}[/]", escape(c.value),
             escape(c.expected)] for d in diagnoses for c in d.checks]
    reasons = [c.detail for d in diagnoses for c in d.checks]
    columns = [("workload", "left"), ("check", "left"), ("verdict", "left"), ("value", "left"), ("expected", "left")]
    render_rows(console, "verdicts", columns, rows, "the numbers behind it", reasons)
    all_notes = list(notes) + [f"{d.workload}: {n}" for d in diagnoses for n in d.facts.notes]
    for note in all_notes:
        console.print(f"note: {note}", markup=False)
    counts = {level: sum(c.level == level for d in diagnoses for c in d.checks) for level in ("critical", "warn")}
    if counts["critical"] or counts["warn"]:
        console.print(f"[bold red]unhealthy[/]: {counts['critical']} critical, {counts['warn']} warn")
    else:
        console.print("[green]healthy[/]: every check is ok")
