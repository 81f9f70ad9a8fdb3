"""Autoscaling that settles: every shipped service workload in its standard scenarios, plan against the others.

Run: .venv/bin/python benchmarks/bench_settle.py [STACK ...]   (default: every shipped stack)

For each autoscaled queue (partitions of one workload are identical: the first stands for all)
and each standard scenario (diurnal day, spike to the design peak, backlog drain), prints for
the plan's fleet, the fewest static tasks that hold the scenario (as `qcap simulate` compares;
max capacity for the drain) and AWS CDK's default scaling: objective
held, max age of the oldest message, task-hours, the lower bound, their ratio, task launches
and scaling actions. Tight objectives with a daily shape also get "peak-sized min", the
fleet the planner used to provision (min capacity = the peak fleet all day), to show what the
schedule saves. Then the constant-rate checks (25-100% of the peak): scaling actions in the six
hours after the first.

A second table, labelled NOISY, runs the diurnal day and the spike again with Poisson
arrivals and processing times drawn to the profile's p99 (Settings.random_seed, seeds
NOISY_SEEDS) for the plan, the static fleet and CDK's default, and prints per fleet the mean
task-hours, the worst max age, on how many seeds the objective held, the mean task launches
and on how many seeds the run flapped by the diurnal rule (more launches than 2 x (largest -
smallest fleet) + 6; the planner applies it to the day, here it is shown for the spike too). The planner itself checks one seed (SETTLE_NOISE_SEED) of the day; these seeds
show how the fleets fare when traffic is not the smooth curve of the deterministic runs.
All stacks take about 20-30 s on our development machine. Figures only; it asserts nothing.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity import limits  # noqa: E402
from capacity.plan import plan  # noqa: E402
from capacity.plan.settle import flaps_in_day  # noqa: E402
from capacity.profile import Broker, ConsumerMode, load_profile, resolve_stack, stack_names  # noqa: E402
from capacity.simulate import Settings, TargetTrackingFleet, simulate  # noqa: E402
from capacity.simulation_inputs import comparison_fleets, model_from_plan, smallest_static_fleet  # noqa: E402
from capacity.verify import churn_checks, drain_allowed_seconds, standard_scenarios  # noqa: E402

HEADER = ("queue", "scenario", "fleet", "held", "max age s", "task-h", "lower-h", "ratio", "launches", "actions")
# Seeds of the noisy table: Poisson arrivals and p99 processing times, one run per seed.
NOISY_SEEDS = (1, 2, 3, 4)
NOISY_HEADER = ("queue", "scenario", "fleet", "held", "worst age s", "mean task-h", "min-max task-h", "launches",
                "flaps")


def _row(cells) -> str:
    widths = (14, 8, 22, 5, 10, 9, 8, 6, 9, 8)
    return "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _noisy_row(cells) -> str:
    widths = (14, 8, 22, 5, 11, 11, 14, 8, 5)
    return "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def noisy_rows(lane, model, scenarios) -> list[str]:
    """The diurnal day and the spike with Poisson arrivals and p99 processing times, NOISY_SEEDS, per fleet."""
    rows = []
    for scenario in scenarios:
        if scenario.name not in ("diurnal", "spike"):
            continue
        for fleet in comparison_fleets(lane, static=_static(lane, model, scenario)):
            runs = [simulate(model, fleet, scenario, Settings(random_seed=seed)) for seed in NOISY_SEEDS]
            hours = [r.task_hours for r in runs]
            rows.append(_noisy_row((
                lane.name, scenario.name, fleet.label, f"{sum(r.objective_met for r in runs)}/{len(runs)}",
                f"{max(r.max_age_seconds for r in runs):,.0f}", f"{sum(hours) / len(hours):,.1f}",
                f"{min(hours):,.1f}-{max(hours):,.1f}", f"{sum(r.task_launches for r in runs) / len(runs):,.0f}",
                f"{sum(flaps_in_day(r.task_launches, r.smallest_fleet, r.largest_fleet) for r in runs)}")))
    return rows


def _static(lane, model, scenario):
    """The fewest static tasks that hold the deterministic scenario; None (max capacity) for the drain."""
    if scenario.name == "drain" or lane.min_capacity >= lane.max_capacity:
        return None
    return smallest_static_fleet(lane, model, scenario, Settings())


def _fleets(lane, model, scenario):
    fleets = comparison_fleets(lane, static=_static(lane, model, scenario))
    if lane.scaling and lane.scaling.scheduled_capacity:
        peak_fleet = min(lane.max_capacity, max(1, math.ceil(lane.arrival_peak_per_second / lane.per_task_messages_per_second)))
        fleets.append(replace(fleets[0], min_capacity=peak_fleet, schedule=(), label="peak-sized min (before)"))
    return fleets


def bench_stack(name: str) -> tuple[list[str], list[str]]:
    """The deterministic lines of one stack and its noisy ones."""
    profile = load_profile(resolve_stack(name))
    started = time.perf_counter()
    stack_plan = plan(profile)
    planned_in = time.perf_counter() - started
    lines = [f"# {name}: plan() in {planned_in:.2f} s"]
    noisy = [f"# {name}"]
    seen: set[str] = set()
    for lane in stack_plan.workloads:
        key = lane.group if lane.lane is not None and lane.lane.isdigit() else lane.name  # partitions: one stands for all
        if lane.mode != ConsumerMode.service or lane.broker == Broker.cloudflare or key in seen:
            continue
        seen.add(key)
        workload = next(w for w in profile.workloads if w.name == lane.group)
        model = model_from_plan(lane, workload.sink)
        allowed = drain_allowed_seconds(workload, lane)
        lines.append(f"{lane.name}: min {lane.min_capacity}, max {lane.max_capacity}, target "
                     f"{lane.scaling.target_backlog_per_task} (utilization {lane.scaling.target_utilization}), "
                     f"{len(lane.scaling.scheduled_capacity)} scheduled actions")
        scenarios = standard_scenarios(lane, allowed)
        noisy.extend(noisy_rows(lane, model, scenarios))
        for scenario in scenarios:
            hours = {}
            for fleet in _fleets(lane, model, scenario):
                r = simulate(model, fleet, scenario)
                hours[fleet.label] = r.task_hours
                held = (r.drain_seconds is not None and r.drain_seconds <= allowed) if scenario.name == "drain" \
                    else r.objective_met
                ratio = r.task_hours_ratio
                lines.append(_row((lane.name, scenario.name, fleet.label, "yes" if held else "NO",
                                   f"{r.max_age_seconds:,.0f}", f"{r.task_hours:,.1f}", f"{r.lower_bound_task_hours:,.1f}",
                                   "-" if ratio is None else f"{ratio:.2f}", r.task_launches,
                                   r.scale_out_actions + r.scale_in_actions)))
            if "peak-sized min (before)" in hours:
                saving = 1 - hours["plan autoscaling"] / hours["peak-sized min (before)"]
                lines.append(f"  schedule saves {saving:.0%} of the peak-sized fleet's task-hours in the {scenario.name}")
        fleet = comparison_fleets(lane)[0]
        assert isinstance(fleet, TargetTrackingFleet)
        checks = churn_checks(model, fleet, lane.arrival_peak_per_second, Settings())
        lines.append("  constant rates: " + "; ".join(
            f"{c.description.split(' (')[0].replace('constant ', '')}: {c.reason.split(' in the')[0]}"
            f"{'' if c.holds else ' (FLAPS or misses)'}" for c in checks))
    return lines, noisy


def main(argv: list[str]) -> None:
    names = argv or stack_names()
    started = time.perf_counter()
    print(_row(HEADER))
    noisy: list[str] = []
    for name in names:
        lines, noisy_lines = bench_stack(name)
        for line in lines:
            print(line)
        noisy.extend(noisy_lines)
    print(f"(flapping: more than {limits.FLAP_MAX_ACTIONS} scaling actions in the {limits.FLAP_WINDOW_SECONDS // 3600} h "
          f"after the first at a constant rate, or more launches in a day than 2 x (largest - smallest) + "
          f"{limits.FLAP_DIURNAL_SLACK_LAUNCHES})")
    print()
    print(f"NOISY: Poisson arrivals and processing times drawn to the p99, seeds {', '.join(map(str, NOISY_SEEDS))}; "
          "held = seeds on which no minute was over the objective; task-hours and launches are means over the seeds; "
          "flaps = seeds with more launches than 2 x (largest - smallest fleet) + "
          f"{limits.FLAP_DIURNAL_SLACK_LAUNCHES}")
    print(_noisy_row(NOISY_HEADER))
    for line in noisy:
        print(line)
    print(f"(all in {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
