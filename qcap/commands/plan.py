"""`qcap plan STACK`: every derived number with its reason, the binding limit and the cost."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from capacity.contract import EXIT_NOT_OK as EXIT_INFEASIBLE
from capacity.plan import Plan, duration, num
from capacity.plan.patches import format_patch
from capacity.profile import ProfileError, resolve_stack
from qcap.commands.progress import Progress
from qcap.commands.stack_loading import EXIT_BAD_INPUT, load_stack, report_profile_error
from qcap.commands.tables import render_rows

# Seconds from which a value also reads as minutes, hours or days (as `duration` switches units).
SHOW_DURATION_FROM_SECONDS = 120

# The rows `qcap plan` prints, in order, with their units; a row is shown when the plan has it.
ROWS: list[tuple[str, str]] = [
    ("arrival_average_per_second", "msg/s"),
    ("arrival_peak_per_second", "msg/s"),
    ("arrival_trough_per_second", "msg/s"),
    ("receive_overhead_seconds", "s"),
    ("per_task_messages_per_second", "msg/s"),
    ("max_capacity", "tasks"),
    ("erlang_peak_tasks", "tasks"),
    ("min_capacity", "tasks"),
    ("scheduled_capacity", "actions"),
    ("target_backlog_per_task", "msgs/task"),
    ("scale_out_cooldown_seconds", "s"),
    ("scale_in_cooldown_seconds", "s"),
    ("scale_in_backlog_per_task", "msgs/task"),
    ("shards", "queues"),
    ("batch_size", "msgs"),
    ("max_wait_time_ms", "ms"),
    ("max_concurrency", ""),
    ("max_retries", ""),
    ("retry_delay_seconds", "s"),
    ("sink_requests_per_second", "req/s"),
    ("batch_limit", "msgs"),
    ("run_seconds", "s"),
    ("interval_seconds", "s"),
    ("run_deadline_seconds", "s"),
    ("visibility_timeout_seconds", "s"),
    ("stop_timeout_seconds", "s"),
    ("drain_seconds", "s"),
    ("retention_seconds", "s"),
    ("dlq_retention_seconds", "s"),
    ("max_receive_count", ""),
    ("fifo_high_throughput", ""),
    ("alarm_age_seconds", "s"),
    ("alarm_dlq_messages", "msgs"),
    ("alarm_saturation_messages", "msgs"),
    ("alarm_max_tasks", "tasks"),
    ("alarm_stalled_minutes", "min"),
    ("cache_node_type", ""),
    ("cache_nodes", ""),
    ("cache_memory_bytes", "B"),
    ("cache_connections", ""),
    ("cache_connections_budget", ""),
    ("alarm_cache_connections", ""),
    ("current_tasks", "tasks"),
    ("current_drain_seconds", "s"),
    ("monthly_cost_usd", "USD"),
]


def _value(flat: dict[str, Any], field: str, unit: str) -> str:
    value = flat[field]
    if field == "scheduled_capacity":
        return f"{len(value)} {unit}"
    if field == "current_drain_seconds" and value is None:
        return "never"
    if isinstance(value, float) and unit == "msg/s":
        value = round(value, 3)
    text = num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    if field.endswith("_usd"):
        return f"${value:,.2f}"
    if unit == "s" and isinstance(value, (int, float)) and value >= SHOW_DURATION_FROM_SECONDS:
        return f"{text} s ({duration(value)})"
    if unit in ("tasks", "msgs") and value == 1:
        unit = unit[:-1]  # "1 task", "1 msg"
    return f"{text} {unit}".strip()


def render_plan(console: Console, stack: str, plan: Plan) -> None:
    """Print a table per workload: value and reason for every derived number."""
    console.print(f"[bold]qcap plan[/] {stack} ({plan.environment}): {len(plan.workloads)} queue(s)")
    for w in plan.workloads:
        verdict = "[green]feasible[/]" if w.feasible else "[bold red]INFEASIBLE[/]"
        title = f"{w.name} ({w.broker}, {w.mode}) {verdict}; binding: {escape(w.binding_limit)}"
        rows, reasons = [], []
        flat = w.as_json()
        for field, unit in ROWS:
            if field not in w.reasons:
                continue
            shown = "n/a" if flat[field] is None and field != "current_drain_seconds" else _value(flat, field, unit)
            rows.append([f"[cyan]{field}[/]", escape(shown)])
            reasons.append(w.reasons[field])
        if w.scaling is not None and w.scaling.predictive is not None:
            rows.append(["[cyan]predictive[/]", escape(w.scaling.predictive.mode)])
            reasons.append(w.reasons["predictive"])
        render_rows(console, title, [("field", "left"), ("value", "right")], rows, "reason", reasons)
        for f in w.findings:
            style = "bold red" if f.severity == "error" else "yellow"
            console.print(f"  [{style}]{f.severity}[/] {escape(f'[{f.limit}]')} {escape(f.message)}", highlight=False)
            if f.fix:
                console.print(f"    fix: {escape(f.fix)}", highlight=False)
            if f.patch:
                console.print(f"    patch: {escape(format_patch(f.patch))}", highlight=False)
    for group, rule in plan.routing.items():
        console.print(f"routing {escape(rule)}", highlight=False)
    console.print(f"[bold]monthly cost[/]: ${plan.monthly_cost_usd:,.2f}; "
                  + ("every workload is feasible" if plan.feasible else "[bold red]some workloads are infeasible[/]"))


def plan_command(
    stack: Annotated[str, typer.Argument(help="A stack name under stacks/ (e.g. event-backlog) or a path to a profile.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON (a stable contract).")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Simulate the standard scenarios and report whether each objective holds.")
    ] = False,
    fix: Annotated[
        bool, typer.Option("--fix", help="Print the profile with every finding's patch applied, as a unified diff, "
                                         "then the plan of the patched profile.")
    ] = False,
    write: Annotated[
        bool, typer.Option("--write", help="With --fix: write the patched profile back (comments and key order kept).")
    ] = False,
) -> None:
    """Derive and explain every provisioned number. Exit 0 feasible, 1 infeasible, 2 bad profile."""
    console = Console()
    if fix or write:
        # No plan first: --fix repairs a profile that does not validate, so it reads the file itself.
        _fix(console, resolve_stack(stack), write, as_json)
        return
    with Progress("qcap plan") as progress:
        progress.stage(f"planning {stack}")
        loaded = load_stack(stack)
    if as_json:
        typer.echo(json.dumps({"stack": loaded.name, **loaded.plan.as_json()}, indent=2))
    else:
        render_plan(console, loaded.name, loaded.plan)
    holds = True
    if verify:
        from qcap.commands.simulate import render_verification

        holds = render_verification(console, loaded.profile, loaded.plan)
    if not loaded.plan.feasible or not holds:
        raise typer.Exit(EXIT_INFEASIBLE)


def _fix(console: Console, path, write: bool, as_json: bool) -> None:
    from capacity.fixing import fix_profile  # ruamel.yaml: only --fix edits a profile, so only --fix loads it

    try:
        with Progress("qcap plan --fix") as progress:
            progress.stage("patching the profile and planning it again")
            result = fix_profile(path)
    except ProfileError as exc:
        report_profile_error(exc)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if write and result.changed:
        path.write_bytes(result.fixed_text.encode("utf-8"))
    if as_json:
        typer.echo(json.dumps({"stack": path.stem, "patch": result.applied, "diff": result.diff,
                               "repairs": [r.message for r in result.repairs],
                               "written": bool(write and result.changed), "skipped": result.skipped,
                               "unsolved": result.unsolved,
                               "plan": result.plan.as_json()}, indent=2))
    else:
        if not result.changed:
            console.print(f"[bold]qcap plan --fix[/] {escape(str(path))}: no finding has a patch; nothing to change")
        else:
            # Raw, never wrapped or styled, so `patch` applies what is printed.
            console.file.write(result.diff)
            console.file.flush()
            for repair in result.repairs:
                console.print(f"repaired {escape(repair.message)}", highlight=False)
            where = f"written to {path}" if write else "not written (add --write to apply it)"
            count = len(result.applied) + len(result.repairs)
            console.print(f"[bold]{count} value(s) set[/], {escape(where)}\n", highlight=False)
        for problem in result.skipped:
            console.print(f"[yellow]skipped[/] {escape(problem)}", highlight=False)
        for problem in result.unsolved:
            console.print(f"[bold red]not fixed[/] {escape(problem)}", highlight=False)
        render_plan(console, f"{path.stem} (patched)", result.plan)
    if not result.plan.feasible:
        raise typer.Exit(EXIT_INFEASIBLE)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
