"""`qcap simulate`: run a stack's queues against a scenario and compare the plan's fleet with a
static fleet and CDK's default scaling; and `render_verification`, which `qcap plan --verify` prints.
"""

from __future__ import annotations

import dataclasses

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape

from capacity import limits
from capacity import scenarios as sc
from capacity.plan import Plan, WorkloadPlan, duration, num
from capacity.profile import Profile
from capacity.stacks import LoadedStack
from qcap.commands.progress import Progress
from qcap.commands.stack_loading import EXIT_BAD_INPUT, err_console, load_stack
from qcap.commands.tables import render_grid

# The simulator is imported when a simulation runs, so the other commands start without it.
if TYPE_CHECKING:
    from capacity.simulate import Settings, SimulationResult
    from capacity.verify import Verification

class ScenarioName(str, Enum):
    constant = "constant"
    diurnal = "diurnal"
    spike = "spike"
    drain = "drain"
    trace = "trace"


def _lanes(plan: Plan, workload: str | None) -> list[WorkloadPlan]:
    if workload is None:
        return list(plan.workloads)
    chosen = [w for w in plan.workloads if workload in (w.name, w.group)]
    if not chosen:
        names = sorted({w.name for w in plan.workloads} | {w.group for w in plan.workloads})
        err_console.print(
            f"no workload {workload!r} in this stack; have: {', '.join(names)}", markup=False
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    return chosen


def _share(plan: Plan, lane: WorkloadPlan) -> float:
    group = [w for w in plan.workloads if w.group == lane.group]
    total = sum(w.arrival_average_per_second for w in group)
    return lane.arrival_average_per_second / total if total > 0 else 1 / len(group)


def build_scenario(
    plan: Plan,
    lane: WorkloadPlan,
    name: ScenarioName,
    days: float | None,
    trace: Path | None,
    spike_multiplier: float | None,
    spike_minutes: float | None,
    peak_fraction: float | None = None,
    start_hour: int | None = None,
) -> sc.Scenario:
    """The chosen scenario for one queue, from its planned rates (a trace is split by the queue's share).

    The spike is the standard one, sized from the profile's own peak, unless --spike-multiplier
    asks for a stress spike (a multiple of the average), which is labelled as beyond the design
    peak when it is. With start_hour the run starts at that local hour: the diurnal day from that
    hour on, the other scenarios as they are against the schedule of that hour.
    """
    chosen = _scenario_of(plan, lane, name, days, trace, spike_multiplier, spike_minutes, peak_fraction, start_hour)
    if start_hour is None:
        return chosen
    if chosen.start is not None:
        raise sc.ScenarioError("--start-hour: the trace's timestamps already say when it starts")
    if name is ScenarioName.diurnal:
        one_day = sc.design_day(lane.arrival_average_per_second, lane.arrival_peak_per_second,
                                lane.arrival_trough_per_second, lane.hourly_arrival_per_second, 1.0)
        chosen = dataclasses.replace(sc.day_from(one_day, start_hour * limits.SECONDS_PER_HOUR,
                                                 chosen.duration_seconds), description=chosen.description)
    else:
        chosen = dataclasses.replace(chosen, start_second_of_day=start_hour * limits.SECONDS_PER_HOUR)
    if name is ScenarioName.trace:
        chosen = dataclasses.replace(chosen, description=chosen.description.split("; starts ")[0])
    from capacity.simulation_inputs import run_start

    return dataclasses.replace(chosen, description=f"{chosen.description}; {run_start(chosen, lane)[1]}")


def _scenario_of(plan: Plan, lane: WorkloadPlan, name: ScenarioName, days: float | None, trace: Path | None,
                 spike_multiplier: float | None, spike_minutes: float | None, peak_fraction: float | None,
                 start_hour: int | None) -> sc.Scenario:
    """The scenario as named, starting at local midnight (a trace: at its own first timestamp)."""
    run_days = 1.0 if days is None else days
    average, peak, trough = lane.arrival_average_per_second, lane.arrival_peak_per_second, lane.arrival_trough_per_second
    if name is ScenarioName.constant:
        if peak_fraction is not None:
            scenario = sc.constant(peak * peak_fraction, run_days)
            return sc.Scenario(scenario.name, f"{scenario.description} ({peak_fraction:g} x the peak)",
                               scenario.arrivals_per_second)
        return sc.constant(average, run_days)
    if name is ScenarioName.diurnal:
        return sc.design_day(average, peak, trough, lane.hourly_arrival_per_second, run_days)
    if name is ScenarioName.spike:
        if spike_multiplier is None and spike_minutes is None:
            return sc.design_spike(average, peak, trough, lane.hourly_arrival_per_second, run_days)
        multiplier = limits.SPIKE_DEFAULT_MULTIPLIER if spike_multiplier is None else spike_multiplier
        minutes = limits.SPIKE_DEFAULT_MINUTES if spike_minutes is None else spike_minutes
        stress = sc.spike(average, average * multiplier, minutes, run_days)
        if average * multiplier > peak * (1 + 1e-9):
            return sc.Scenario("stress", f"stress (beyond the design peak {peak:.4g} msg/s): {stress.description}",
                               stress.arrivals_per_second)
        return stress
    if name is ScenarioName.drain:
        backlog = lane.backlog_messages or lane.arrival_peak_per_second * limits.DRAIN_OUTAGE_SECONDS
        return sc.drain(backlog, average, run_days)
    if trace is None:
        raise sc.ScenarioError("--scenario trace needs --trace FILE (a CSV of per-minute NumberOfMessagesSent)")
    from capacity.simulation_inputs import run_start

    whole = sc.trace(trace, days)
    share = _share(plan, lane)
    lanes_part = whole if share == 1 else whole.scaled(share)
    _, when = run_start(lanes_part, lane)
    return dataclasses.replace(lanes_part, description=f"{lanes_part.description}; {when}")


def _ratio(result: SimulationResult) -> str:
    ratio = result.task_hours_ratio
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def render_results(console: Console, lane: WorkloadPlan, scenario: sc.Scenario, results: list[SimulationResult]) -> None:
    """The fleets side by side, one row per figure; at a narrow width a block per figure."""
    figures = [
        ("objective met", lambda r: "yes" if r.objective_met else "[red]no[/]"),
        ("max age of oldest", lambda r: duration(r.max_age_seconds)),
        (f"p{limits.AGE_REPORT_PERCENTILE} age of oldest", lambda r: duration(r.p99_age_seconds)),
        (f"minutes over {duration(lane.max_age_seconds)}", lambda r: num(r.minutes_over_objective)),
        ("peak backlog (messages)", lambda r: num(round(r.peak_backlog_messages))),
        ("drain time", lambda r: duration(r.drain_seconds)),
        ("task-hours", lambda r: num(round(r.task_hours, 1))),
        ("cost (USD)", lambda r: f"${r.cost_usd:,.2f}"),
        ("task-hours / lower bound", _ratio),
        ("messages left at the end", lambda r: num(round(r.messages_left))),
        ("task launches", lambda r: num(r.task_launches)),
        ("scaling actions (out / in)", lambda r: f"{r.scale_out_actions} / {r.scale_in_actions}"),
        ("scheduled actions", lambda r: num(r.scheduled_actions)),
        ("fleet (smallest-largest)", lambda r: f"{r.smallest_fleet}-{r.largest_fleet}"),
        ("longest at one size", lambda r: duration(r.longest_hold_seconds)),
    ]
    columns = [("", "left"), *((escape(r.fleet), "right") for r in results)]
    rows = [[label, *(cell(r) for r in results)] for label, cell in figures]
    render_grid(console, f"{escape(lane.name)}: {escape(scenario.description)}", columns, rows)


def _figure_path(png: Path, lane: WorkloadPlan, many: bool) -> Path:
    """The file a figure goes to (matplotlib adds .png to a name without a suffix, so the report says so too)."""
    png = png if png.suffix else png.with_suffix(".png")
    return png if not many else png.with_name(f"{png.stem}-{lane.name}{png.suffix}")


def run_simulations(
    profile: Profile, plan: Plan, lane: WorkloadPlan, scenario: sc.Scenario, progress: Progress,
    settings: Settings, first_deploy: bool = False,
) -> list[SimulationResult]:
    """The plan's fleet and its comparisons against one scenario, each a stage of `progress`; with first_deploy
    the plan's fleet starts as a new service does, with the tasks it is created with."""
    from capacity.simulate import simulate
    from capacity.simulation_inputs import comparison_fleets, model_from_plan, run_start, smallest_static_fleet

    workload = next(w for w in profile.workloads if w.name == lane.group)
    model = model_from_plan(lane, workload.sink, _share(plan, lane))
    start_second, _ = run_start(scenario, lane)
    static = None
    if lane.scaling is not None and lane.scheduled is None and lane.cloudflare is None and lane.min_capacity < lane.max_capacity:
        progress.stage(f"simulating {lane.name}: the fewest static tasks that hold")
        static = smallest_static_fleet(lane, model, scenario, settings)
    results = []
    for fleet in comparison_fleets(lane, start_second, first_deploy, static):
        progress.stage(f"simulating {lane.name}: {fleet.label}")
        results.append(simulate(model, fleet, scenario, settings, progress=progress.fraction))
    return results


def _refuse_with_predictive(**given: object) -> None:
    """--predictive runs its own fixed days (the profile's and a drifted one): the options that shape other runs
    are refused by name rather than silently ignored."""
    named = [f"--{name.replace('_', '-')}" for name, value in given.items() if value not in (None, False)]
    if named:
        err_console.print(f"--predictive runs its own two days and takes none of: {', '.join(named)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command(
        stack: str = typer.Argument(..., help="Stack name under stacks/ or a path to a profile file."),
        workload: Optional[str] = typer.Option(None, "--workload", help="Simulate only this workload (or queue)."),
        scenario: ScenarioName = typer.Option(ScenarioName.diurnal, "--scenario", help="Arrival scenario."),
        trace: Optional[Path] = typer.Option(None, "--trace", help="CSV of per-minute NumberOfMessagesSent (with --scenario trace)."),
        spike_multiplier: Optional[float] = typer.Option(None, "--spike-multiplier", help="A stress spike: this multiple of the average (default: the standard spike to the profile's own peak)."),
        spike_minutes: Optional[float] = typer.Option(None, "--spike-minutes", help=f"Minutes a stress spike lasts (default {limits.SPIKE_DEFAULT_MINUTES})."),
        peak_fraction: Optional[float] = typer.Option(None, "--peak-fraction", help="With --scenario constant: this fraction of the peak instead of the average."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Random Poisson arrivals and processing times (mean and p99), seeded."),
        days: Optional[float] = typer.Option(None, "--days", help="Days to simulate (default 1; a trace: all of it)."),
        png: Optional[Path] = typer.Option(None, "--png", help="Write a figure of the run to this PNG file."),
        json_output: bool = typer.Option(False, "--json", help="Print the results as JSON."),
        start_hour: Optional[int] = typer.Option(None, "--start-hour", min=0, max=23, help="Start the run at this "
                                                 "local hour of the schedule's time zone (default: midnight; a trace: its first timestamp)."),
        first_deploy: bool = typer.Option(False, "--first-deploy", help="The plan's fleet starts as a new service "
                                          "does: with the tasks it is created with, whatever the traffic."),
        predictive: bool = typer.Option(False, "--predictive", help="Compare the plan's scheduled floors with "
                                        f"predictive scaling's floors learned from {limits.PREDICTIVE_FORECAST_HISTORY_DAYS} days of history."),
    ) -> None:
        """Simulate the plan's fleets against traffic: age of oldest, backlog, drain, task-hours and cost."""
        with Progress("qcap simulate") as progress:
            progress.stage(f"planning {stack}")
            loaded = load_stack(stack)
            if predictive:
                from qcap.commands.simulate_predictive import render_predictive

                _refuse_with_predictive(scenario=scenario is not ScenarioName.diurnal, trace=trace, seed=seed,
                                        days=days, png=png, json=json_output, spike_multiplier=spike_multiplier,
                                        spike_minutes=spike_minutes, peak_fraction=peak_fraction,
                                        start_hour=start_hour, first_deploy=first_deploy)
                lanes = [w for w in _lanes(loaded.plan, workload) if w.scaling is not None]
                if not lanes:
                    err_console.print("no autoscaled service fleet to compare: --predictive compares the scheduled "
                                      "floors of service fleets", markup=False)
                    raise typer.Exit(EXIT_BAD_INPUT)
                progress.stage("simulating scheduled and learned floors")
                render_predictive(Console(), lanes)
                return
            _simulate_lanes(loaded, progress, workload, scenario, trace, spike_multiplier, spike_minutes, peak_fraction,
                            seed, days, png, json_output, start_hour, first_deploy)


def _check_options(days: float | None, png: Path | None, peak_fraction: float | None) -> None:
    """Exit 2 naming the option when --days, --png or --peak-fraction cannot be used."""
    err = err_console
    if days is not None and not 0 < days <= limits.MAX_SIMULATION_DAYS:
        err.print(f"--days must be > 0 and <= {limits.MAX_SIMULATION_DAYS} (got {days!r}): the longest retention "
                  "(14 days) plus a day", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if png is not None and not png.resolve().parent.is_dir():
        err.print(f"--png {png}: directory {png.resolve().parent} does not exist; create it first", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if peak_fraction is not None and not 0 < peak_fraction <= limits.MAX_PEAK_FRACTION:
        err.print(f"--peak-fraction must be > 0 and <= {limits.MAX_PEAK_FRACTION:g} (got {peak_fraction!r})", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)


def _simulate_lanes(loaded: LoadedStack, progress: Progress, workload: str | None, scenario: ScenarioName,
                    trace: Path | None, spike_multiplier: float | None, spike_minutes: float | None,
                    peak_fraction: float | None, seed: int | None, days: float | None, png: Path | None,
                    json_output: bool, start_hour: int | None = None, first_deploy: bool = False) -> None:
    """Simulate each chosen lane, printing its table (or, with --json, all of them at the end)."""
    from capacity.simulate import Settings
    from qcap.commands.simulate_figure import write_figure

    console = Console(highlight=False)
    lanes = _lanes(loaded.plan, workload)
    _check_options(days, png, peak_fraction)
    report: list[dict] = []
    for lane in lanes:
        try:
            chosen = build_scenario(loaded.plan, lane, scenario, days, trace, spike_multiplier, spike_minutes,
                                    peak_fraction, start_hour)
            results = run_simulations(loaded.profile, loaded.plan, lane, chosen, progress, Settings(random_seed=seed),
                                      first_deploy)
        except (sc.ScenarioError, ValueError) as exc:
            err_console.print(f"{loaded.name}: {exc}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        figure = None
        if png is not None:
            progress.stage(f"drawing the figure of {lane.name}")
            figure = _figure_path(png, lane, len(lanes) > 1)
            write_figure(figure, lane, chosen, results)
        report.append({
            "workload": lane.name,
            "scenario": chosen.name,
            "description": chosen.description,
            "figure": None if figure is None else str(figure),
            "results": [r.as_json() for r in results],
        })
        if not json_output:
            render_results(console, lane, chosen, results)
            if figure is not None:
                console.print(f"figure written to {figure}", markup=False, soft_wrap=True)
    if json_output:
        console.print_json(json.dumps({"stack": loaded.name, "workloads": report}))


def render_verification(console: Console, profile: Profile, plan: Plan, command: str = "qcap plan") -> bool:
    """Print, per queue, whether the objective holds in the standard scenarios; True when all hold."""
    from capacity.verify import verify

    with Progress(command) as progress:
        progress.stage(f"verifying {len(plan.workloads)} queue(s) against the standard scenarios", now=True)
        verdicts: list[Verification] = verify(profile, plan)
    columns = [("scenario", "left"), ("verdict", "left"), ("why", "left"), ("task-hours", "right"),
               ("vs lower bound", "right")]
    for v in verdicts:
        mark = "[green]holds[/]" if v.holds else "[red]misses[/]"
        rows = [[escape(check.description), "holds" if check.holds else "[red]misses[/]", escape(check.reason),
                 num(round(check.result.task_hours, 1)), _ratio(check.result)] for check in v.checks + v.churn]
        render_grid(console, f"{escape(v.workload)}: objective {mark}", columns, rows)
        if v.tuning is not None:
            console.print(f"  tuned: {v.tuning.reason}", markup=False)
        if v.note:
            console.print(f"  {v.note}", markup=False)
    return all(v.holds for v in verdicts)
