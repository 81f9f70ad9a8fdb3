"""`qcap load --queue-url URL --messages N`: a bounded load test of one SQS queue.

It touches no message it did not send: a queue that already holds messages is refused unless
the run works in a temporary queue of its own (--temporary-queue) or sends without draining
(--allow-busy-queue). Counts are of what arrived, by id or read back from the queue.
Exit 0 when every message arrived (and, with --drain, came back), 1 when some failed, are
uncertain or were lost, 2 on bad input or an AWS problem (no credentials, no permission, no
such queue, a busy queue).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from capacity import limits
from capacity.contract import EXIT_INTERRUPTED, EXIT_OK
from capacity.contract import EXIT_NOT_OK as EXIT_LOSS_OR_ERRORS
from capacity.plan import num
from qcap.commands.stack_loading import EXIT_BAD_INPUT, err_console
from qcap.live import load

COUNT_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed"]
# Attributes a temporary queue copies from the queue it stands in for.
COPIED_ATTRIBUTES = ("FifoQueue", "ContentBasedDeduplication", "MaximumMessageSize", "VisibilityTimeout")
SQS_MAX_QUEUE_NAME_CHARS = 80
MAX_CONCURRENCY = 256
# When output is not a terminal, a progress line at most this often.
PROGRESS_LINE_EVERY_SECONDS = 5.0


def fail(message: str) -> typer.Exit:
    err_console.print(f"qcap load: {message}", markup=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _progress(console: Console) -> Progress | _LineProgress:
    """A bar on a terminal; elsewhere (a pipe, a log, CI) a line every few seconds."""
    if not console.is_terminal:
        return _LineProgress(console)
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


class _LineProgress:
    """Progress for output that is not a terminal: `send 2,000/20,000, drain 1,950/20,000` lines, throttled."""

    def __init__(self, console: Console):
        self.console = console
        self.tasks: dict[int, list] = {}
        self.lock = threading.Lock()
        self.last = time.monotonic()

    def __enter__(self) -> _LineProgress:
        return self

    def __exit__(self, *_: object) -> None:
        self._say()

    def add_task(self, description: str, total: int) -> int:
        self.tasks[len(self.tasks)] = [description, 0, total]
        return len(self.tasks) - 1

    def advance(self, task: int, n: int) -> None:
        with self.lock:
            self.tasks[task][1] += n
            if time.monotonic() - self.last >= PROGRESS_LINE_EVERY_SECONDS:
                self.last = time.monotonic()
                self._say()

    def counts(self) -> str:
        """Each stage's count; a message a later stage counted passed the earlier ones (a drained message was
        sent), so an earlier stage reads at least that, though its own callback has not reported it yet."""
        stages = list(self.tasks.values())
        shown = [max(done for _, done, _ in stages[i:]) for i in range(len(stages))]
        return ", ".join(f"{d} {num(done)}/{num(total)}" for (d, _, total), done in zip(stages, shown))

    def _say(self) -> None:
        self.console.print(f"qcap load: {self.counts()}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load_command(
        queue_url: str = typer.Option(..., "--queue-url", help="The SQS queue to load (its full URL)."),
        messages: Optional[int] = typer.Option(
            None, "--messages", help="How many messages to send. Required: the generator never runs unbounded."
        ),
        rate: Optional[float] = typer.Option(
            None, "--rate", help="At most this many messages per second in all. Default: as fast as the threads go."
        ),
        message_bytes: int = typer.Option(
            load.DEFAULT_MESSAGE_BYTES, "--bytes", help="Body size of each message in bytes. Default: 256."
        ),
        concurrency: int = typer.Option(
            load.DEFAULT_CONCURRENCY, "--concurrency", help="Threads sending (and draining) at once. Default: 8."
        ),
        drain: bool = typer.Option(
            False, "--drain",
            help="Also receive and delete this run's messages (alongside the sends, then until all are back) "
            "and check by id that none was lost."
        ),
        drain_concurrency: Optional[int] = typer.Option(
            None, "--drain-concurrency", help="Threads receiving and deleting. Default: --concurrency."
        ),
        max_outstanding: Optional[int] = typer.Option(
            None, "--max-outstanding",
            help="With --drain: senders wait while this many sent messages are not yet received (a closed loop). "
            f"Default with --drain: {load.DEFAULT_MAX_OUTSTANDING}; give a large number for an open loop.",
        ),
        drain_timeout_seconds: float = typer.Option(
            load.DEFAULT_DRAIN_TIMEOUT_SECONDS, "--drain-timeout",
            help="With --drain, the whole run (sends and drain) ends after this many seconds. Default: 300."
        ),
        temporary_queue: bool = typer.Option(
            False, "--temporary-queue",
            help="Work in a queue of this run's own, created next to --queue-url with its settings and deleted "
            "after (needs sqs:CreateQueue and sqs:DeleteQueue)."
        ),
        allow_busy_queue: bool = typer.Option(
            False, "--allow-busy-queue",
            help="Send to a queue that already holds messages (not with --drain: draining would receive them)."
        ),
        region: Optional[str] = typer.Option(
            None, "--region", help="AWS region. Default: the one in the queue URL, else boto3's chain."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Send N numbered messages to a queue with a thread pool and report rate, latency and errors."""
        # boto3 and botocore cost a large part of a second: imported when load runs, not when qcap starts.
        from qcap.live.aws import AwsError, RegionChoice, aws_errors, connect, region_from_queue_url, resolve_region

        if messages is None:
            raise fail("refusing to run without an explicit --messages N (the number of messages to send)")
        if messages < 1:
            raise fail(f"--messages {messages} is out of range; allowed: >= 1")
        if rate is not None and rate <= 0:
            raise fail(f"--rate {rate:g} is out of range; allowed: > 0 messages per second")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise fail(f"--concurrency {concurrency} is out of range; allowed: 1-{MAX_CONCURRENCY}")
        if drain_concurrency is not None and not 1 <= drain_concurrency <= MAX_CONCURRENCY:
            raise fail(f"--drain-concurrency {drain_concurrency} is out of range; allowed: 1-{MAX_CONCURRENCY}")
        if max_outstanding is not None and (not drain or max_outstanding < limits.SQS_MAX_BATCH_ENTRIES):
            raise fail(
                f"--max-outstanding {max_outstanding} needs --drain and at least {limits.SQS_MAX_BATCH_ENTRIES} "
                "(one batch)"
            )
        if drain_timeout_seconds <= 0:
            raise fail(f"--drain-timeout {drain_timeout_seconds:g} is out of range; allowed: > 0 seconds")
        if allow_busy_queue and (drain or temporary_queue):
            raise fail(
                "--allow-busy-queue cannot go with " + ("--drain: draining would receive the queue's other messages "
                "and spend their receives (maxReceiveCount); use --temporary-queue" if drain else
                "--temporary-queue: a temporary queue is never busy")
            )
        if drain and max_outstanding is None:
            max_outstanding = load.DEFAULT_MAX_OUTSTANDING
        run_id = load.new_run_id()
        smallest = load.min_message_bytes(run_id)
        if not smallest <= message_bytes <= limits.SQS_MAX_MESSAGE_BYTES:
            raise fail(
                f"--bytes {message_bytes} is out of range; allowed: {smallest}-{limits.SQS_MAX_MESSAGE_BYTES} "
                "(each body carries its id)"
            )
        url_region = region_from_queue_url(queue_url)
        choice = (
            RegionChoice(url_region, "the queue URL") if url_region and not region else resolve_region(region)
        )
        try:
            aws = connect(choice)
            aws.require_credentials()
            with aws_errors(f"reading {queue_url}"):
                attributes = aws.sqs.get_queue_attributes(
                    QueueUrl=queue_url, AttributeNames=["All"]
                )["Attributes"]
            send_sqs = send_client(aws)
        except AwsError as exc:
            raise fail(str(exc)) from None
        largest = int(attributes.get("MaximumMessageSize", limits.SQS_MAX_MESSAGE_BYTES))
        if message_bytes > largest:
            raise fail(f"--bytes {message_bytes} is larger than the queue's MaximumMessageSize {largest}")
        fifo = attributes.get("FifoQueue") == "true"
        before = load.QueueCounts.from_attributes(attributes)
        if before.total and not (temporary_queue or allow_busy_queue):
            raise fail(
                f"{queue_url} holds {num(before.total)} messages that are not this run's ({before.describe()}); "
                "a load test would mix with them, and draining would receive them and spend their receives. "
                "Use an empty queue, --temporary-queue (a queue of this run's own, created and deleted by it), "
                "or --allow-busy-queue to send without draining."
            )
        target_url = queue_url
        if temporary_queue:
            try:
                with aws_errors("creating a temporary queue"):
                    target_url = create_temporary_queue(aws.sqs, queue_url, attributes, run_id)
            except AwsError as exc:
                raise fail(str(exc)) from None
        try:
            _run(aws, send_sqs, target_url, run_id, messages, message_bytes, rate, concurrency, fifo, drain,
                 drain_timeout_seconds, drain_concurrency, max_outstanding, as_json,
                 read_back=not allow_busy_queue and not drain, temporary=temporary_queue)
        finally:
            if temporary_queue:
                delete_temporary_queue(aws, target_url)


def send_client(aws) -> object:
    """An SQS client for SendMessageBatch without botocore's retries: `qcap load` decides what is sent again."""
    from dataclasses import replace

    from qcap.live.aws import aws_errors, client_config

    with aws_errors():
        return aws.session.client("sqs", config=client_config(replace(aws.timeouts, max_attempts=1)))


def create_temporary_queue(sqs, queue_url: str, attributes: dict[str, str], run_id: str) -> str:
    """A queue named after the given one and the run, with its FIFO-ness, size limit and visibility timeout."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".fifo")
    suffix = f"-{run_id}" + (".fifo" if attributes.get("FifoQueue") == "true" else "")
    copied = {k: attributes[k] for k in COPIED_ATTRIBUTES if k in attributes}
    return sqs.create_queue(QueueName=name[: SQS_MAX_QUEUE_NAME_CHARS - len(suffix)] + suffix,
                            Attributes=copied)["QueueUrl"]


def delete_temporary_queue(aws, url: str) -> None:
    from qcap.live.aws import AwsError, aws_errors

    try:
        with aws_errors(f"deleting the temporary queue {url}"):
            aws.sqs.delete_queue(QueueUrl=url)
        err_console.print(f"qcap load: deleted the temporary queue {url}", markup=False, highlight=False)
    except AwsError as exc:
        err_console.print(f"qcap load: {exc}; delete it by hand", markup=False, highlight=False)


def _run(aws, send_sqs, target_url: str, run_id: str, messages: int, message_bytes: int,
         rate: float | None, concurrency: int, fifo: bool, drain: bool, drain_timeout_seconds: float,
         drain_concurrency: int | None, max_outstanding: int | None, as_json: bool, read_back: bool,
         temporary: bool) -> None:
    from qcap.live import load_run
    from qcap.live.aws import AwsError, aws_errors

    console = Console(stderr=True, highlight=False)
    console.print(
        f"qcap load: {num(messages)} messages of {num(message_bytes)} B to {target_url} "
        f"({aws.region}, {aws.endpoint}), {concurrency} threads, "
        + (f"at most {num(rate)} msg/s" if rate else "no rate limit")
        + (f", all within {drain_timeout_seconds:g} s" if drain else "")
        + f"; run id {run_id}",
        markup=False,
    )
    counted = {"sent": 0, "drained": 0}

    def count(key: str, task: int | None, n: int) -> None:
        counted[key] += n
        if task is not None:
            progress.advance(task, n)

    try:
        with _progress(console) as progress:
            send_task = progress.add_task("send", total=messages)
            drain_task = progress.add_task("drain", total=messages) if drain else None
            sent, drained = load_run.run(
                aws.sqs, target_url, run_id, messages, message_bytes,
                rate_per_second=rate, concurrency=concurrency, fifo=fifo,
                drain=drain, drain_timeout_seconds=drain_timeout_seconds, drain_concurrency=drain_concurrency,
                max_outstanding=max_outstanding, send_sqs=send_sqs,
                on_sent=lambda n: count("sent", send_task, n),
                on_drained=lambda n: count("drained", drain_task, n),
            )
    except KeyboardInterrupt:
        err_console.print(
            f"qcap load: interrupted: sent {num(counted['sent'])} of {num(messages)}"
            + (f", drained {num(counted['drained'])}" if drain else "")
            + f"; run id {run_id} (its messages left in the queue carry it)",
            markup=False, highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    held = None
    if read_back:
        try:
            with aws_errors(f"reading {target_url}"):
                held = load_run.queue_counts(aws.sqs, target_url).total
        except AwsError as exc:
            err_console.print(f"qcap load: could not read the queue back: {exc}", markup=False, highlight=False)
    ok = outcome_ok(sent, drained, held)
    if as_json:
        report = {"queue_url": target_url, "temporary_queue": temporary, "run_id": run_id,
                  "message_bytes": message_bytes, "concurrency": concurrency, "rate_limit_per_second": rate,
                  "max_outstanding": max_outstanding, "send": sent.as_json(), "queue_holds_after": held,
                  "drain": drained.as_json() if drained else None, "ok": ok}
        typer.echo(json.dumps(report, indent=2))
    else:
        print_report(Console(highlight=False), sent, drained, held)
    raise typer.Exit(EXIT_OK if ok else EXIT_LOSS_OR_ERRORS)


def outcome_ok(sent: load.SendReport, drained: load.DrainReport | None, held: int | None) -> bool:
    """Everything requested arrived: acknowledged, or (no answer) seen by id or in the count read back."""
    if sent.failed or sent.not_attempted:
        return False
    if drained is not None:
        return drained.none_lost and drained.uncertain_missing == 0
    return sent.uncertain == 0 or (held is not None and held >= sent.sent + sent.uncertain)


def print_report(console: Console, sent: load.SendReport, drained: load.DrainReport | None,
                 held: int | None = None) -> None:
    console.print(
        f"sent {num(sent.sent)} of {num(sent.requested)} (acknowledged by SQS) in {sent.elapsed_seconds:.2f} s: "
        f"{sent.messages_per_second:,.0f} msg/s over {num(sent.calls)} SendMessageBatch calls; call latency "
        f"p50 {sent.latency_ms(50):.1f} ms, p95 {sent.latency_ms(95):.1f} ms, p99 {sent.latency_ms(99):.1f} ms",
        markup=False,
    )
    if sent.uncertain:
        console.print(f"no answer for {num(sent.uncertain)} sent messages: they may or may not have arrived "
                      "(not sent again, so none arrives twice)", markup=False)
    if sent.not_attempted:
        console.print(f"not sent: {num(sent.not_attempted)} (the run's time was up)", markup=False)
    if sent.errors:
        console.print(f"send errors: {dict(sent.errors)}", markup=False)
    if held is not None:
        console.print(f"the queue holds {num(held)} messages now (it held none of anyone else's before the run"
                      + (f"; so {num(held - sent.sent)} of those without an answer arrived" if sent.uncertain else "")
                      + ")", markup=False)
    if drained is None:
        return
    console.print(
        f"drained {num(len(drained.received_ids))} in {drained.elapsed_seconds:.2f} s "
        f"({drained.messages_per_second:,.0f} msg/s); deleted {num(drained.deleted)}, duplicates "
        f"{num(drained.duplicates)}"
        + (f"; of those without an answer {num(drained.uncertain_arrived)} arrived, "
           f"{num(drained.uncertain_missing)} never did" if sent.uncertain else ""),
        markup=False,
    )
    if drained.foreign:
        console.print(f"stopped draining: received {num(drained.foreign)} messages this run did not send (someone "
                      "else sends to this queue); released them at once. Use --temporary-queue", markup=False)
    if drained.lost:
        console.print(
            f"LOST {num(drained.lost)} messages (acknowledged by SQS, never received"
            + (", the run's time was up" if drained.timed_out else "")
            + f"), for example {', '.join(sorted(drained.missing_ids)[:3])}",
            markup=False,
        )
    elif drained.none_lost:
        console.print(f"none lost: all {num(drained.expected)} messages SQS acknowledged came back", markup=False)
    if drained.errors:
        console.print(f"drain errors: {dict(drained.errors)}", markup=False)
