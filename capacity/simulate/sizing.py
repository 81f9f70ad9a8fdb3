"""The fewest tasks a fleet that never moves needs to hold a queue's objective in a set of runs.

A static fleet is what target tracking is weighed against: where the objective is long
enough for the backlog to absorb the busy hours, a few tasks around the clock can cost less
than a fleet that follows the traffic. Holding means every run meets the objective and what it
leaves waiting at its end is cleared before the oldest of it passes the objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from capacity.scenarios import Scenario
from capacity.simulate.model import QueueModel, Settings, SimulationResult, StaticFleet

Run = tuple[Scenario, Settings]
Simulate = Callable[[QueueModel, StaticFleet, Scenario, Settings], SimulationResult]
# The runs that confirm a size the proving runs chose, from that size and the proving runs' results.
Confirming = Callable[[int, Sequence[SimulationResult]], Sequence[Run]]


@dataclass(frozen=True)
class StaticSizing:
    """The fewest static tasks that held, the results of the runs that proved it, and how many runs it took."""

    tasks: int
    results: tuple[SimulationResult, ...]
    runs: int


def lowest_static_tasks(model: QueueModel, average_per_second: float) -> int:
    """No static fleet with less throughput than the average arrival rate can end a day drained."""
    per_task = model.per_task_messages_per_second
    return max(1, int(average_per_second // per_task) + 1) if per_task > 0 else 1


def static_label(tasks: int) -> str:
    return f"static {tasks} task{'' if tasks == 1 else 's'}"


def _held(model: QueueModel, tasks: int, result: SimulationResult) -> bool:
    """The run met the objective, and the fleet clears what is left at its end before the oldest of it is due."""
    if not result.objective_met:
        return False
    throughput = tasks * model.per_task_messages_per_second
    oldest = float(result.timeline.max_age_seconds[-1]) if len(result.timeline.max_age_seconds) else 0.0
    return oldest + result.messages_left / throughput <= result.objective_seconds


def fewest_static_tasks(
    simulate: Simulate, model: QueueModel, proving: Sequence[Run], confirming: Confirming,
    lowest: int, highest: int,
) -> StaticSizing | None:
    """The fewest tasks in [lowest, highest] that hold every run, or None when `highest` does not.

    More tasks never make a message wait longer, so the proving runs (deterministic, cheap)
    are searched by bisection from the top; the confirming runs (seeded noise) are then tried
    at that size, one task more each time one of them misses.
    """
    if highest < lowest or not proving:
        return None
    runs = 0

    def holds(tasks: int, which: Sequence[Run]) -> list[SimulationResult] | None:
        """The results of `which` in order when the fleet holds every one; None at the first it does not."""
        nonlocal runs
        fleet = StaticFleet(tasks=tasks, label=static_label(tasks))
        results: list[SimulationResult] = []
        for scenario, settings in which:
            runs += 1
            result = simulate(model, fleet, scenario, settings)
            if not _held(model, tasks, result):
                return None
            results.append(result)
        return results

    best = holds(highest, proving)
    if best is None:
        return None
    low, high = lowest, highest  # high holds; everything below low is untried or failed
    while low < high:
        middle = (low + high) // 2
        held = holds(middle, proving)
        if held is None:
            low = middle + 1
        else:
            high, best = middle, held
    tasks = high
    while tasks <= highest:
        if tasks != high:  # a size the bisection never proved (more tasks than one that did: it holds)
            best = holds(tasks, proving) or best
        confirmed = holds(tasks, confirming(tasks, best))
        if confirmed is not None:
            return StaticSizing(tasks, tuple(best) + tuple(confirmed), runs)
        tasks += 1
    return None
