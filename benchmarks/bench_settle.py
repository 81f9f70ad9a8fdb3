"""Autoscaling that settles: every shipped service workload in its standard scenarios, plan against the others.

Run: .venv/bin/python benchmarks/bench_settle.py [STACK ...]   (default: every shipped stack)

For each autoscaled queue (partitions of one workload are identical: the first stands for all)
and each standard scenario (diurnal day, spike to the design peak, backlog drain), prints for
the plan's fleet, the static fleet at max capacity and AWS CDK's default scaling: objective
held, max age of the oldest message, task-hours, the lower bound, their ratio, task launches
and scaling actions. Tight objectives with a daily shape also get "peak-sized min", the
fleet the planner used to provision (min capacity = the peak fleet all day), to show what the
schedule saves. Then the constant-rate checks (25-100% of the peak): scaling actions in the six
hours after the first. Figures only; it asserts nothing.
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
from capacity.profile import load_profile, resolve_stack, stack_names  # noqa: E402
from capacity.simulate import Settings, TargetTrackingFleet, comparison_fleets, model_from_plan, simulate  # noqa: E402
from capacity.verify import churn_checks, drain_allowed_seconds, standard_scenarios  # noqa: E402

HEADER = ("queue", "scenario", "fleet", "held", "max age s", "task-h", "lower-h", "ratio", "launches", "actions")


def _row(cells) -> str:
    widths = (14, 8, 22, 5, 10, 9, 8, 6, 9, 8)
    return "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _fleets(lane):
    fleets = comparison_fleets(lane)
    if lane.scheduled_capacity:
        peak_fleet = min(lane.max_capacity, max(1, math.ceil(lane.arrival_peak_per_second / lane.per_task_messages_per_second)))
        fleets.append(replace(fleets[0], min_capacity=peak_fleet, schedule=(), label="peak-sized min (before)"))
    return fleets


def bench_stack(name: str) -> list[str]:
    profile = load_profile(resolve_stack(name))
    started = time.perf_counter()
    stack_plan = plan(profile)
    planned_in = time.perf_counter() - started
    lines = [f"# {name}: plan() in {planned_in:.2f} s"]
    seen: set[str] = set()
    for lane in stack_plan.workloads:
        key = lane.group if lane.lane is not None and lane.lane.isdigit() else lane.name  # partitions: one stands for all
        if lane.mode != "service" or lane.broker == "cloudflare" or key in seen:
            continue
        seen.add(key)
        workload = next(w for w in profile.workloads if w.name == lane.group)
        model = model_from_plan(lane, workload.sink)
        allowed = drain_allowed_seconds(workload, lane)
        lines.append(f"{lane.name}: min {lane.min_capacity}, max {lane.max_capacity}, target "
                     f"{lane.target_backlog_per_task} (utilization {lane.target_utilization}), "
                     f"{len(lane.scheduled_capacity)} scheduled actions")
        for scenario in standard_scenarios(lane, allowed):
            hours = {}
            for fleet in _fleets(lane):
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
    return lines


def main(argv: list[str]) -> None:
    names = argv or stack_names()
    print(_row(HEADER))
    for name in names:
        for line in bench_stack(name):
            print(line)
    print(f"(flapping: more than {limits.FLAP_MAX_ACTIONS} scaling actions in the {limits.FLAP_WINDOW_SECONDS // 3600} h "
          f"after the first at a constant rate, or more launches in a day than 2 x (largest - smallest) + "
          f"{limits.FLAP_DIURNAL_SLACK_LAUNCHES})")


if __name__ == "__main__":
    main(sys.argv[1:])
