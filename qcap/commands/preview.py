"""`qcap preview STACK`: parse, run the offline preview (qcap.offline.preview), render the tree and the verdict.

Exit 0 clean (advisories allowed), 1 on a mandatory violation, 2 when the
profile, the stack config, the policy config or the pack cannot be used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from capacity.contract import EXIT_NOT_OK as EXIT_BLOCKED
from capacity.contract import EXIT_OK
from capacity.plan import Plan, num
from capacity.plan.patches import format_patch
from qcap.commands.fitting import Node, print_tree
from qcap.commands.progress import Progress
from qcap.commands.stack_loading import EXIT_BAD_INPUT, err_console, load_stack
from qcap.commands.tables import render_rows

# qcap.offline (pulumi, grpc and botocore with it) is imported when a preview runs, so other commands start without it.
if TYPE_CHECKING:
    from capacity.stacks import LoadedStack
    from policies.access_check import AccessReport
    from qcap.offline.analysis import Analysis, Diagnostic
    from qcap.offline.contract import ContractReport
    from qcap.offline.preview import Preview
    from qcap.offline.program_run import ProgramRun, Registration

LEVEL_STYLES = {"mandatory": "bold red", "advisory": "yellow"}


# --- rendering ---------------------------------------------------------------------------


def render_plan_summary(console: Console, stack: str, plan: Plan) -> None:
    """One row per queue; the table fits the terminal and never cuts a queue name."""
    columns = [("queue", "left"), ("broker", "left"), ("tasks", "right"), ("target/task", "right"),
               ("visibility", "right"), ("retention", "right"), ("USD/month", "right")]
    rows = [
        [escape(w.name), w.broker, f"{w.min_capacity}-{w.max_capacity}", num(w.scaling.target_backlog_per_task) if w.scaling else "n/a",
         "n/a" if w.visibility_timeout_seconds is None else f"{w.visibility_timeout_seconds} s",
         f"{w.retention_seconds} s", f"{w.monthly_cost_usd:,.2f}"]
        for w in plan.workloads
    ]
    render_rows(console, f"qcap preview {escape(stack)} ({plan.environment}): plan", columns, rows)


def render_planner_warnings(console: Console, plan: Plan) -> int:
    """The planner's warnings (a late age alarm, no headroom, ...): the pack passing does not clear them."""
    count = 0
    for w in plan.workloads:
        for finding in w.warnings:
            if not count:
                console.print("\n[yellow]planner warnings[/] (the plan is feasible, with less margin than it should have):")
            count += 1
            console.print(f"  [yellow]{escape(w.name)}[/] {escape(f'[{finding.limit}]')} {escape(finding.message)}",
                          highlight=False)
            if finding.fix:
                console.print(f"    [dim]fix:[/] {escape(finding.fix)}", highlight=False)
            if finding.patch:
                console.print(f"    [dim]patch:[/] {escape(format_patch(finding.patch))}", highlight=False)
    return count


def render_tree(console: Console, run: ProgramRun, diagnostics: Sequence[Diagnostic]) -> None:
    """Every resource under its parent, with its type and its violation counts, none of them cut at any width."""
    from qcap.offline.program_run import STACK_TYPE

    flagged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d in diagnostics:
        flagged[d.urn][d.level] += 1
    children: dict[str, list[Registration]] = defaultdict(list)
    for r in run.registrations:
        children[r.parent].append(r)
    roots = [r for r in run.registrations if r.type == STACK_TYPE] or children[""]

    def node(r: Registration) -> Node:
        marks = [Text(f"{count} {level}", style=LEVEL_STYLES[level]) for level, count in sorted(flagged[r.urn].items())
                 if level in LEVEL_STYLES]
        # Sorted by name, so a workload's queue, alarms and consumer sit together.
        kids = sorted(children[r.urn], key=lambda c: (c.name, c.type))
        return Node([Text(r.name), Text(r.type, style="dim"), *marks], [node(c) for c in kids])

    for root in roots:
        print_tree(console, node(root))


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



def render_contract(console: Console, contract: ContractReport) -> None:
    """Contract violations as errors (resource, field, limit, source), then the count of checks."""
    if contract.violations:
        count = len(contract.violations)
        console.print(f"\n[bold red]{count} contract violation{'s' if count != 1 else ''}[/]: "
                      "AWS or Cloudflare would refuse these")
        for v in contract.violations:
            console.print(f"  [bold red]{escape(v.layer)}[/] {escape(v.resource)} ({escape(v.type)}) "
                          f"{escape(v.field)}", highlight=False)
            console.print(f"    {escape(v.message)}", highlight=False)
            console.print(f"    [dim]limit:[/] {escape(v.limit)} [dim]source:[/] {escape(v.source)}", highlight=False)
    console.print(f"\n{escape(contract.summary())}")


def render_access(console: Console, access: AccessReport, which: str) -> None:
    """Each call a principal needs and would be denied (principal, call, resource, what is missing, the fix),
    the calls that cannot be decided offline, then the count line."""
    if access.violations:
        count = len(access.violations)
        console.print(f"\n[bold red]{count} access violation{'s' if count != 1 else ''}[/] ({escape(which)}): "
                      "tasks would fail at run time")
        for f in access.violations:
            console.print(f"  [bold red]{escape(f.principal)}[/] {escape(f.call.action)} on {escape(f.resource)}",
                          highlight=False)
            console.print(f"    needed: {escape(f.call.why)}", highlight=False)
            console.print(f"    missing: {escape(f.missing)}", highlight=False)
            console.print(f"    [dim]fix:[/] {escape(f.fix)}", highlight=False)
    for f in access.undecided:
        console.print(f"  [yellow]cannot decide[/] ({escape(which)}) {escape(f.principal)} {escape(f.call.action)} on "
                      f"{escape(f.resource)}: {escape('; '.join(f.decision.reasons))}", highlight=False)
    console.print(f"{escape(access.summary())} ({escape(which)})")

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
            if finding.patch:
                console.print(f"    [dim]patch:[/] {escape(format_patch(finding.patch))}", highlight=False)


def render_new_stack(console: Console, result: Preview) -> None:
    """The first preview of a new stack, in a few lines: what blocks there, and what cannot be decided."""
    from qcap.offline.preview import new_stack_json

    report = new_stack_json(result)
    decided = [v for v in report["violations"] if v["level"] == "mandatory"]
    console.print(f"\n[bold]first preview of a new stack[/] (outputs computed on create are unknown): "
                  f"{len(decided)} mandatory violation{'s' if len(decided) != 1 else ''}, "
                  f"{report['undecided_mandatory']} mandatory rule(s) cannot decide")
    for item in report["violations"]:
        if item["level"] == "mandatory":
            console.print(f"  [{LEVEL_STYLES['mandatory']}]{escape(item['policy'])}[/] {escape(str(item['resource']))}: "
                          f"{escape(item['message'])}", highlight=False)
    for item in report["undecided"]:
        style = LEVEL_STYLES.get(item["level"] or "", "")
        console.print(f"  [{style}]cannot decide[/] {escape(item['policy'])} on {escape(str(item['resource']))}: "
                      f"{escape(item['reason'])}", highlight=False)


def _blocked_by_planner(console: Console, loaded: LoadedStack, json_output: bool) -> None:
    """An infeasible plan: the program would refuse to build it, so the pack never runs. Exits 1."""
    if json_output:
        typer.echo(json.dumps({"stack": loaded.name, "exit_code": EXIT_BLOCKED, "blocked_by": "planner",
                               "plan": loaded.plan.as_json()}, indent=2))
    else:
        render_plan_summary(console, loaded.name, loaded.plan)
        render_infeasible(console, loaded.plan)
    raise typer.Exit(EXIT_BLOCKED)


def _run_preview(progress: Progress, loaded: LoadedStack, policy_config: Path | None, program: Path | None,
                 new_stack: bool) -> Preview:
    """The offline preview of a loaded stack, each stage said on stderr; exits 2 on input it cannot use."""
    progress.stage("loading pulumi and the policy pack")
    from qcap.offline.policy_config import PolicyConfigError, read_policy_config
    from qcap.offline.preview import PreviewError, preview, program_problem

    given_policy_config = None
    if policy_config is not None:
        try:
            given_policy_config = read_policy_config(policy_config)
        except PolicyConfigError as exc:
            raise _fail(err_console, str(exc)) from None
    if program is not None and program_problem(program):
        raise _fail(err_console, program_problem(program))
    progress.stage(f"running {'the program' if program is None else program} under mocks and the policy pack", now=True)
    try:
        return preview(loaded, program, given_policy_config, policy_config_source=str(policy_config or "policy config"),
                       new_stack_only=new_stack)
    except PreviewError as exc:
        raise _fail(err_console, str(exc)) from None


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[bold red]qcap preview[/]: {escape(message)}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def preview_command(
    stack: Annotated[str, typer.Argument(help="A stack name under stacks/ (e.g. event-backlog) or a path to a profile.")],
    policy_config: Annotated[
        Path | None,
        typer.Option("--policy-pack-config", "--policy-config",
                     help="JSON policy config, the file `pulumi preview --policy-pack-config` takes."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON for machines.")] = False,
    program: Annotated[
        Path | None,
        typer.Option("--program", help="Gate any Pulumi Python program (a file, or a directory with Pulumi.yaml "
                                       "and __main__.py) with STACK's name and config, instead of __main__.py."),
    ] = None,
    new_stack: Annotated[
        bool,
        typer.Option("--new-stack", help="Only the first preview of a stack that does not exist yet: every output "
                                         "the provider computes on create is unknown. Default: both previews."),
    ] = False,
) -> None:
    """Run the program under mocks and the policy pack over gRPC, as an update and as a new stack.

    Exit 0 clean, 1 blocked (a mandatory violation in either preview, a contract violation, an access
    violation in either preview, or an infeasible plan), 2 unusable input (including a program that fails, with its error).
    """
    # soft_wrap: a long line stays one line in logs and pipes, so it can be grepped.
    console = Console(highlight=False, soft_wrap=True)
    with Progress("qcap preview") as progress:
        progress.stage(f"planning {stack}")
        loaded = load_stack(stack)
        infeasible = program is None and not loaded.plan.feasible
        result = None if infeasible else _run_preview(progress, loaded, policy_config, program, new_stack)
    if result is None:
        _blocked_by_planner(console, loaded, json_output)
        return
    from qcap.offline.preview import as_json, new_stack_json

    run, analysis, placeholders, timings = result.run, result.analysis, result.placeholders, result.timings
    exit_code = EXIT_BLOCKED if result.blocked else EXIT_OK

    if json_output:
        report = as_json(loaded, run, analysis, placeholders, timings, exit_code)
        report["contract"] = result.contract.as_dict()
        report["access"] = result.access.as_dict()
        report["mode"] = "new-stack" if new_stack else "update"
        report["new_stack"] = new_stack_json(result)
        typer.echo(json.dumps(report, indent=2))
        raise typer.Exit(exit_code)

    render_plan_summary(console, loaded.name, loaded.plan)
    warnings = render_planner_warnings(console, loaded.plan)
    if placeholders:
        console.print(f"[dim]offline placeholders for stack config not in Pulumi.{escape(loaded.name)}.yaml: "
                      f"{escape(', '.join(placeholders))}[/]")
    console.print(f"\n[bold]resources[/] ({len(run.resources)}):")
    render_tree(console, run, analysis.diagnostics)
    render_violations(console, analysis, {r.urn: r for r in run.registrations})
    if not new_stack:
        render_new_stack(console, result)
    render_contract(console, result.contract)
    console.print()
    render_access(console, result.access, "as a new stack" if new_stack else "as an update")
    if not new_stack:
        render_access(console, result.new_stack_access, "as a new stack")
    verdict = ("[bold red]BLOCKED[/]: fix the mandatory, contract and access violations above" if exit_code
               else "[green]passed[/]: no mandatory violation")
    if warnings:
        verdict += f"; [yellow]{warnings} planner warning{'s' if warnings != 1 else ''}[/] (see above)"
    console.print(
        f"\npolicy pack {escape(analysis.pack_name)} {escape(analysis.pack_version)}: {len(analysis.policies)} "
        f"policies, {len(analysis.mandatory)} mandatory and {len(analysis.advisory)} advisory violations. {verdict}"
    )
    console.print(
        f"[dim]time: program {timings['program']:.2f} s, pack start {timings['pack_start']:.2f} s (in parallel), "
        f"analysis {timings['analysis']:.2f} s, contract {timings['contract']:.2f} s, access {timings['access']:.2f} s, "
        f"total {timings['total']:.2f} s[/]"
    )
    raise typer.Exit(exit_code)


def register(app: typer.Typer) -> None:
    app.command("preview")(preview_command)
