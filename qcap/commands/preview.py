"""`qcap preview STACK`: parse, run the offline preview (qcap.offline.preview), render the tree and the verdict.

Exit 0 clean (advisories allowed), 1 on a mandatory violation, 2 when the
profile, the stack config, the policy config or the pack cannot be used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from capacity.plan import Plan, num
from qcap.commands.stack_loading import EXIT_BAD_INPUT, err_console, load_stack
from qcap.commands.tables import render_rows
from qcap.offline.analyzer_client import Analysis, Diagnostic, PolicyConfigError, read_policy_config
from qcap.offline.mock_engine import STACK_TYPE, ProgramRun, Registration
from qcap.offline.preview import PreviewError, as_json, preview

EXIT_BLOCKED = 1
LEVEL_STYLES = {"mandatory": "bold red", "advisory": "yellow"}


# --- rendering ---------------------------------------------------------------------------


def render_plan_summary(console: Console, stack: str, plan: Plan) -> None:
    """One row per queue; the table fits the terminal and never cuts a queue name."""
    columns = [("queue", "left"), ("broker", "left"), ("tasks", "right"), ("target/task", "right"),
               ("visibility", "right"), ("retention", "right"), ("USD/month", "right")]
    rows = [
        [escape(w.name), w.broker, f"{w.min_capacity}-{w.max_capacity}", num(w.target_backlog_per_task),
         "n/a" if w.visibility_timeout_seconds is None else f"{w.visibility_timeout_seconds} s",
         f"{w.retention_seconds} s", f"{w.monthly_cost_usd:,.2f}"]
        for w in plan.workloads
    ]
    render_rows(console, f"qcap preview {escape(stack)} ({plan.environment}): plan", columns, rows)


def render_tree(console: Console, run: ProgramRun, diagnostics: Sequence[Diagnostic]) -> None:
    flagged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d in diagnostics:
        flagged[d.urn][d.level] += 1
    children: dict[str, list[Registration]] = defaultdict(list)
    for r in run.registrations:
        children[r.parent].append(r)
    roots = [r for r in run.registrations if r.type == STACK_TYPE] or children[""]

    def label(r: Registration) -> str:
        marks = "".join(f" [{LEVEL_STYLES[level]}]{count} {level}[/]" for level, count in sorted(flagged[r.urn].items())
                        if level in LEVEL_STYLES)
        return f"{escape(r.name)} [dim]{escape(r.type)}[/]{marks}"

    def grow(node: Tree, r: Registration) -> None:
        # Sorted by name, so a workload's queue, alarms and consumer sit together.
        for child in sorted(children[r.urn], key=lambda c: (c.name, c.type)):
            grow(node.add(label(child)), child)

    for root in roots:
        tree = Tree(label(root))
        grow(tree, root)
        console.print(tree)


def render_violations(console: Console, analysis: Analysis, names: dict[str, Registration]) -> None:
    for level in ("mandatory", "advisory"):
        found = [d for d in analysis.diagnostics if d.level == level]
        if not found:
            continue
        console.print(f"\n[{LEVEL_STYLES[level]}]{len(found)} {level} violation{'s' if len(found) != 1 else ''}[/]")
        for d in found:
            resource = names.get(d.urn)
            where = f"{resource.name} ({resource.type})" if resource else (d.urn or "the stack")
            console.print(f"  [{LEVEL_STYLES[level]}]{escape(d.policy)}[/] {escape(where)}", highlight=False)
            console.print(f"    {escape(d.message)}", highlight=False)
            if d.remediation:
                console.print(f"    [dim]fix:[/] {escape(d.remediation)}", highlight=False)


# --- the command -----------------------------------------------------------------------


def render_infeasible(console: Console, plan: Plan) -> None:
    console.print("[bold red]BLOCKED by the planner[/]: the plan is infeasible, so the program refuses to build it "
                  "and the policy pack never sees it.")
    for w in plan.workloads:
        for finding in w.errors:
            console.print(f"  [bold red]{escape(w.name)}[/] {escape(f'[{finding.limit}]')} {escape(finding.message)}",
                          highlight=False)
            if finding.fix:
                console.print(f"    [dim]fix:[/] {escape(finding.fix)}", highlight=False)


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[bold red]qcap preview[/]: {escape(message)}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def preview_command(
    stack: Annotated[str, typer.Argument(help="A stack name under stacks/ (e.g. event-backlog) or a path to a profile.")],
    policy_config: Annotated[
        Path | None,
        typer.Option("--policy-config", help="JSON policy config, as for `pulumi preview --policy-config`."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON for machines.")] = False,
    program: Annotated[
        Path | None,
        typer.Option("--program", help="Gate another Pulumi program file instead of the project's __main__.py."),
    ] = None,
) -> None:
    """Run the program under mocks and the policy pack over gRPC.

    Exit 0 clean, 1 blocked (a mandatory violation or an infeasible plan), 2 unusable input.
    """
    # soft_wrap: a long line stays one line in logs and pipes, so it can be grepped.
    err = err_console
    console = Console(highlight=False, soft_wrap=True)
    loaded = load_stack(stack)
    given_policy_config = None
    if policy_config is not None:
        try:
            given_policy_config = read_policy_config(policy_config)
        except PolicyConfigError as exc:
            raise _fail(err, str(exc)) from None
    if program is not None and not program.is_file():
        raise _fail(err, f"{program}: program file not found")
    if program is None and not loaded.plan.feasible:
        if json_output:
            typer.echo(json.dumps({"stack": loaded.name, "exit_code": EXIT_BLOCKED, "blocked_by": "planner",
                                   "plan": loaded.plan.as_json()}, indent=2))
        else:
            render_plan_summary(console, loaded.name, loaded.plan)
            render_infeasible(console, loaded.plan)
        raise typer.Exit(EXIT_BLOCKED)
    try:
        result = preview(loaded, program, given_policy_config, policy_config_source=str(policy_config or "policy config"))
    except PreviewError as exc:
        raise _fail(err, str(exc)) from None
    run, analysis, placeholders, timings = result.run, result.analysis, result.placeholders, result.timings
    exit_code = EXIT_BLOCKED if result.blocked else 0

    if json_output:
        typer.echo(json.dumps(as_json(loaded, run, analysis, placeholders, timings, exit_code), indent=2))
        raise typer.Exit(exit_code)

    render_plan_summary(console, loaded.name, loaded.plan)
    if placeholders:
        console.print(f"[dim]offline placeholders for stack config not in Pulumi.{escape(loaded.name)}.yaml: "
                      f"{escape(', '.join(placeholders))}[/]")
    console.print(f"\n[bold]resources[/] ({len(run.resources)}):")
    render_tree(console, run, analysis.diagnostics)
    render_violations(console, analysis, {r.urn: r for r in run.registrations})
    verdict = ("[bold red]BLOCKED[/]: fix the mandatory violations above" if exit_code
               else "[green]passed[/]: no mandatory violation")
    console.print(
        f"\npolicy pack {escape(analysis.pack_name)} {escape(analysis.pack_version)}: {len(analysis.policies)} "
        f"policies, {len(analysis.mandatory)} mandatory and {len(analysis.advisory)} advisory violations. {verdict}"
    )
    console.print(
        f"[dim]time: program {timings['program']:.2f} s, pack start {timings['pack_start']:.2f} s (in parallel), "
        f"analysis {timings['analysis']:.2f} s, total {timings['total']:.2f} s[/]"
    )
    raise typer.Exit(exit_code)


def register(app: typer.Typer) -> None:
    app.command("preview")(preview_command)
