"""`qcap simulate STACK --predictive`: the plan's scheduled floors against floors learned from history.

For each autoscaled service lane, capacity/simulation_predictive.py runs the plan's fleet, the
same fleet with predictive scaling's learned floors, and target tracking alone, on the day the
profile describes and on a day that came busier and later; this prints the figures and the verdict.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from capacity.plan import WorkloadPlan, duration, num
from capacity.simulation_predictive import PredictiveComparison, compare_predictive
from qcap.commands.tables import render_rows

# The plan's own floors "come close" when the oldest message reaches this share of the objective.
CLOSE_TO_OBJECTIVE = 0.8


def verdict(plan: WorkloadPlan, comparisons: list[PredictiveComparison]) -> str:
    """When the profile's scheduled floors suffice, and when predictive scaling's learned ones are worth it."""
    objective = plan.max_age_seconds
    lines = []
    for c in comparisons:
        own, learned, alone = c.results
        if own.max_age_seconds <= CLOSE_TO_OBJECTIVE * objective:
            saved = 1 - learned.task_hours / own.task_hours if own.task_hours else 0.0
            lines.append(f"{c.day}: the plan's floors suffice (oldest {duration(own.max_age_seconds)} of "
                         f"{duration(objective)}); learned floors change task-hours by {-saved:+.0%}")
        elif learned.max_age_seconds <= CLOSE_TO_OBJECTIVE * objective:
            lines.append(f"{c.day}: the plan's floors reach {duration(own.max_age_seconds)} of the "
                         f"{duration(objective)} objective where learned floors hold {duration(learned.max_age_seconds)}"
                         f" in {num(round(learned.task_hours, 1))} task-hours against {num(round(own.task_hours, 1))}: "
                         "predictive scaling is worth it")
        else:
            lines.append(f"{c.day}: neither holds the objective (plan {duration(own.max_age_seconds)}, learned "
                         f"{duration(learned.max_age_seconds)}): the fleet's max capacity or the profile is short")
        if alone.max_age_seconds <= CLOSE_TO_OBJECTIVE * objective and own.task_hours >= alone.task_hours:
            lines[-1] += "; target tracking alone holds it too"
    return "\n".join(lines)


def render_predictive(console: Console, lanes: list[WorkloadPlan]) -> None:
    """The comparison table of each autoscaled lane."""
    for lane in lanes:
        comparisons = compare_predictive(lane)
        for c in comparisons:
            rows = [[escape(r.fleet), duration(r.max_age_seconds), str(r.minutes_over_objective),
                     num(round(r.task_hours, 1)), str(r.task_launches)] for r in c.results]
            render_rows(console, f"{lane.name}: {c.day}", [("fleet", "left"), ("oldest", "right"),
                        ("minutes over", "right"), ("task-hours", "right"), ("launches", "right")], rows)
        console.print(f"[bold]{escape(lane.name)}[/] (objective {duration(lane.max_age_seconds)}):", highlight=False)
        for line in verdict(lane, comparisons).splitlines():
            console.print(f"  {line}", markup=False, highlight=False)
