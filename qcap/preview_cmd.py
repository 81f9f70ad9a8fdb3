"""`qcap preview STACK`: run the real program under mocks, run the real policy pack over gRPC, gate.

The offline counterpart of `pulumi preview --policy-pack policies`: the pack starts first (as
its own process, exactly as the CLI starts it) while the program runs under the SDK's mock
monitor; then every registration goes through Analyze and the whole stack through
AnalyzeStack. Exit 0 clean (advisories allowed), 1 on a mandatory violation, 2 when the
profile, the stack config, the policy config or the pack cannot be used.
"""

from __future__ import annotations

import json
import runpy
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from capacity.plan import Plan, num
from capacity.profile import STACKS_DIR
from qcap.analyzer_client import (
    Analysis,
    AnalyzerResource,
    Diagnostic,
    PolicyConfigError,
    PolicyPackError,
    PolicyPackProcess,
    read_policy_config,
    run_analysis,
)
from qcap.loading import EXIT_BAD_INPUT, LoadedStack, load_stack
from qcap.mock_engine import (
    STACK_TYPE,
    ProgramRun,
    Registration,
    project_name,
    run_function,
    run_program,
    stack_config,
)

EXIT_BLOCKED = 1
# Stack config `qcap preview` fills in when Pulumi.<stack>.yaml lacks it: offline, network ids
# and accounts only need to exist, never to be real. Listed in the output when used.
OFFLINE_PLACEHOLDER_CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    "qcap:subnetIds": ["subnet-0offline000000000a", "subnet-0offline000000000b"],
    "qcap:securityGroupIds": ["sg-0offline000000000a"],
    "qcap:vpcId": "vpc-0offline000000000a",
    "qcap:cloudflareAccountId": "0" * 32,
}
# Which placeholders each broker's components read.
AWS_PLACEHOLDER_KEYS = ("aws:region", "qcap:subnetIds", "qcap:securityGroupIds")
PLACEHOLDER_KEYS_BY_BROKER: dict[str, tuple[str, ...]] = {
    "sqs": AWS_PLACEHOLDER_KEYS,
    "sqs-fifo": AWS_PLACEHOLDER_KEYS,
    "redis": (*AWS_PLACEHOLDER_KEYS, "qcap:vpcId"),
    "cloudflare": ("qcap:cloudflareAccountId",),
}
LEVEL_STYLES = {"mandatory": "bold red", "advisory": "yellow"}


# --- inputs ----------------------------------------------------------------------------


def program_config(loaded: LoadedStack) -> tuple[dict[str, Any], list[str]]:
    """Config overrides for the run: the profile path when it is not stacks/<stack>.yaml, and placeholders."""
    overrides: dict[str, Any] = {}
    if loaded.path.resolve() != (STACKS_DIR / f"{loaded.name}.yaml").resolve():
        overrides["qcap:profile"] = str(loaded.path.resolve())
    present, secure = stack_config(loaded.name)
    needed = {k for w in loaded.plan.workloads for k in PLACEHOLDER_KEYS_BY_BROKER.get(w.broker, ())}
    placeholders = [k for k in OFFLINE_PLACEHOLDER_CONFIG if k in needed and k not in present and k not in secure]
    overrides.update({k: OFFLINE_PLACEHOLDER_CONFIG[k] for k in placeholders})
    return overrides, placeholders


def run_stack_program(name: str, overrides: dict[str, Any], program: Path | None,
                      new_stack: bool = False) -> ProgramRun:
    """Run the project's __main__.py for the stack, or another Pulumi program (a file, or a directory with
    Pulumi.yaml and __main__.py) with the same config; `new_stack` runs it as a new stack's first preview."""
    if program is None:
        return run_program(name, config=overrides, new_stack=new_stack)
    values, secure = stack_config(name)
    values.update(overrides)

    def body() -> None:  # returns None: run_function would export a returned dict (runpy's globals)
        runpy.run_path(str(program), run_name="__main__")

    return run_function(body, stack=name, config=values, secret_keys=[k for k in secure if k in values],
                        new_stack=new_stack)


# The message pulumi-policy reports for a policy that read a value unknown during preview.
UNDECIDED_MARKER = "can't run policy"


def undecided(analysis: Analysis) -> list[Diagnostic]:
    """The policies that could not decide because a value they read is unknown until the resource exists."""
    return [d for d in analysis.diagnostics if UNDECIDED_MARKER in d.message]


def undecided_mandatory(analysis: Analysis) -> list[Diagnostic]:
    levels = {p.name: p.level for p in analysis.policies}
    return [d for d in undecided(analysis) if levels.get(d.policy) == "mandatory"]


def program_problem(program: Path) -> str | None:
    """Why --program cannot be run, or None: a Python file, or a Pulumi project directory with __main__.py."""
    if program.is_file():
        return None
    if program.is_dir():
        if not (program / "__main__.py").is_file():
            return f"{program}: a program directory needs __main__.py (a Pulumi Python project)"
        return None
    return f"{program}: program file not found"


def to_analyzer_resources(run: ProgramRun) -> list[AnalyzerResource]:
    """The registrations of a run as the Analyzer receives them (inputs, outputs, parent, options)."""
    return [
        AnalyzerResource(
            urn=r.urn, type=r.type, name=r.name, inputs=r.inputs, outputs=r.outputs, parent=r.parent,
            dependencies=r.dependencies, property_dependencies=r.property_dependencies,
            protect=r.protect, ignore_changes=r.ignore_changes,
        )
        for r in run.registrations
    ]


# --- rendering ---------------------------------------------------------------------------


def render_plan_summary(console: Console, stack: str, plan: Plan) -> None:
    table = Table(title=f"qcap preview {stack} ({plan.environment}): plan", title_justify="left")
    for column, justify in (("queue", "left"), ("broker", "left"), ("tasks", "right"), ("target/task", "right"),
                            ("visibility", "right"), ("retention", "right"), ("USD/month", "right")):
        table.add_column(column, justify=justify, no_wrap=True)
    for w in plan.workloads:
        table.add_row(
            w.name, w.broker, f"{w.min_capacity}-{w.max_capacity}", num(w.target_backlog_per_task),
            "n/a" if w.visibility_timeout_seconds is None else f"{w.visibility_timeout_seconds} s",
            f"{w.retention_seconds} s", f"{w.monthly_cost_usd:,.2f}",
        )
    console.print(table)


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


def as_json(loaded: LoadedStack, run: ProgramRun, analysis: Analysis, placeholders: list[str],
            timings: dict[str, float], exit_code: int) -> dict[str, Any]:
    names = {r.urn: r for r in run.registrations}
    return {
        "stack": loaded.name,
        "profile": str(loaded.path),
        "exit_code": exit_code,
        "plan": loaded.plan.as_json(),
        "offline_placeholders": placeholders,
        "policy_pack": {"name": analysis.pack_name, "version": analysis.pack_version,
                        "policies": len(analysis.policies)},
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "protect": r.protect,
                       "ignore_changes": list(r.ignore_changes)} for r in run.registrations],
        "violations": [
            {"policy": d.policy, "level": d.level, "urn": d.urn,
             "resource": names[d.urn].name if d.urn in names else None,
             "type": names[d.urn].type if d.urn in names else None,
             "message": d.message, "remediation": d.remediation}
            for d in analysis.diagnostics
        ],
        "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
    }


def new_stack_json(run: ProgramRun, analysis: Analysis) -> dict[str, Any]:
    """What the first preview of a new stack decides, and which rules cannot decide there."""
    names = {r.urn: r.name for r in run.registrations}
    levels = {p.name: p.level for p in analysis.policies}
    blind = undecided(analysis)
    return {
        "exit_code": EXIT_BLOCKED if analysis.mandatory else 0,
        "violations": [{"policy": d.policy, "level": d.level, "resource": names.get(d.urn), "message": d.message}
                       for d in analysis.diagnostics if d not in blind],
        "undecided": [{"policy": d.policy, "level": levels.get(d.policy), "resource": names.get(d.urn),
                       "reason": d.message.split("during preview: ", 1)[-1]} for d in blind],
        "undecided_mandatory": len(undecided_mandatory(analysis)),
    }


def render_new_stack(console: Console, run: ProgramRun, analysis: Analysis) -> None:
    """The first preview of a new stack, in a few lines: what blocks there, and what cannot be decided."""
    report = new_stack_json(run, analysis)
    decided = [v for v in report["violations"] if v["level"] == "mandatory"]
    console.print(f"\n[bold]first preview of a new stack[/] (outputs computed on create are unknown): "
                  f"{len(decided)} mandatory violation{'s' if len(decided) != 1 else ''}, "
                  f"{report['undecided_mandatory']} mandatory rule(s) cannot decide")
    for item in report["undecided"]:
        style = LEVEL_STYLES.get(item["level"] or "", "")
        console.print(f"  [{style}]cannot decide[/] {escape(item['policy'])} on {escape(str(item['resource']))}: "
                      f"{escape(item['reason'])}", highlight=False)


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

    Exit 0 clean, 1 blocked (a mandatory violation in either preview, or an infeasible plan),
    2 unusable input (including a program that fails, with its error).
    """
    started = time.perf_counter()
    # soft_wrap: a long line stays one line in logs and pipes, so it can be grepped.
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    console = Console(highlight=False, soft_wrap=True)
    loaded = load_stack(stack)
    given_policy_config = None
    if policy_config is not None:
        try:
            given_policy_config = read_policy_config(policy_config)
        except PolicyConfigError as exc:
            raise _fail(err, str(exc)) from None
    if program is not None and program_problem(program):
        raise _fail(err, program_problem(program))
    if program is None and not loaded.plan.feasible:
        if json_output:
            typer.echo(json.dumps({"stack": loaded.name, "exit_code": EXIT_BLOCKED, "blocked_by": "planner",
                                   "plan": loaded.plan.as_json()}, indent=2))
        else:
            render_plan_summary(console, loaded.name, loaded.plan)
            render_infeasible(console, loaded.plan)
        raise typer.Exit(EXIT_BLOCKED)
    overrides, placeholders = program_config(loaded)
    present, _ = stack_config(loaded.name)
    timings: dict[str, float] = {}
    # The pack reads the stack's environment from config, so prod rules apply to untagged resources too.
    pack_config = {"qcap:environment": loaded.plan.environment, **present, **overrides}
    modes = (True,) if new_stack else (False, True)
    results: dict[bool, tuple[ProgramRun, Analysis]] = {}
    with PolicyPackProcess(stack=loaded.name, project=project_name(), config=pack_config) as pack:
        for fresh in modes:
            clock = time.perf_counter()
            run = run_stack_program(loaded.name, overrides, program, new_stack=fresh)
            timings["program"] = timings.get("program", 0.0) + time.perf_counter() - clock
            if not run.ok:
                raise _fail(err, f"the program for stack {loaded.name!r} failed:\n{run.error}")
            try:
                analysis = run_analysis(pack, to_analyzer_resources(run), given_policy_config,
                                        config_source=str(policy_config or "policy config"))
            except PolicyConfigError as exc:
                raise _fail(err, str(exc)) from None
            except PolicyPackError as exc:
                raise _fail(err, str(exc)) from None
            results[fresh] = (run, analysis)
            timings["analysis"] = timings.get("analysis", 0.0) + sum(
                analysis.timings_seconds[k] for k in ("configure", "analyze", "analyze_stack"))
            timings.setdefault("policy_wait_after_program", analysis.timings_seconds["pack_ready"])
    run, analysis = results[modes[0]]
    timings["pack_start"] = analysis.timings_seconds["pack_start"]
    timings["total"] = time.perf_counter() - started
    blocked = any(a.mandatory for _, a in results.values())
    exit_code = EXIT_BLOCKED if blocked else 0
    first = results[True][1]

    if json_output:
        report = as_json(loaded, run, analysis, placeholders, timings, exit_code)
        report["mode"] = "new-stack" if new_stack else "update"
        report["new_stack"] = new_stack_json(results[True][0], first)
        typer.echo(json.dumps(report, indent=2))
        raise typer.Exit(exit_code)

    render_plan_summary(console, loaded.name, loaded.plan)
    if placeholders:
        console.print(f"[dim]offline placeholders for stack config not in Pulumi.{escape(loaded.name)}.yaml: "
                      f"{escape(', '.join(placeholders))}[/]")
    console.print(f"\n[bold]resources[/] ({len(run.resources)}):")
    render_tree(console, run, analysis.diagnostics)
    render_violations(console, analysis, {r.urn: r for r in run.registrations})
    if not new_stack:
        render_new_stack(console, results[True][0], first)
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
