"""Scheduled floors from the daily shape: the hourly rates, each hour's floor, and the (target, floors) candidates.

An hour's floor covers the busier of it and the next hour at a utilization, so capacity is up
before traffic arrives; the candidates pair a target utilization with a schedule of floors and
are ordered by the task-hours they are expected to cost.
"""

from __future__ import annotations

import heapq
import math

from capacity import limits
from capacity.plan.models import ScheduledCapacity
from capacity.plan.settle import Candidate
from capacity.profile import DailyShape


def hourly_rates(shape: DailyShape | None, average: float) -> tuple[float, ...] | None:
    """The lane's arrival rate in each local hour, from the profile's daily shape (None without one)."""
    if shape is None:
        return None
    return tuple(round(average * f, 6) for f in shape.hourly_fractions())


def scheduled_floors(hourly: tuple[float, ...], mu: float, max_capacity: int, utilization: float) -> tuple[int, ...]:
    """Per hour, the tasks that absorb the busier of this hour and the next at `utilization`.

    Covering the next hour too means the floor is up a whole hour before a busier hour: the
    standard spike brings the busy hours an hour early, and a tight objective cannot wait
    for the autoscaler.
    """
    floors = []
    for hour, rate in enumerate(hourly):
        ahead = max(rate, hourly[(hour + 1) % len(hourly)])
        floors.append(min(max_capacity, max(1, math.ceil(ahead / (mu * utilization)))))
    return tuple(floors)


def floor_schedules(
    hourly: tuple[float, ...], mu: float, max_capacity: int, highest: float, lowest: float, limit: int | None = None
) -> tuple[tuple[tuple[int, ...], float], ...]:
    """Distinct schedules of floors that cover each hour and the next at a utilization from highest down to lowest.

    An hour's floor ceil(ahead / (mu x u)) changes only where u crosses ahead / (mu x k) for a
    whole number of tasks k (and not past max_capacity), so evaluating once between
    consecutive crossings finds every schedule in the range, whatever mu is: no grid of
    utilizations to fall between. The crossings are merged from the highest down, so with
    `limit` only the first `limit` schedules (the fewest tasks) are built: a big fleet has
    thousands. Each comes with the busiest any hour runs on its floor (max over hours of
    ahead / (mu x floor)), the utilization it actually holds; highest utilization first.
    """
    aheads = [max(rate, hourly[(hour + 1) % len(hourly)]) for hour, rate in enumerate(hourly)]
    heap: list[tuple[float, float, int]] = []  # (-crossing, ahead, k): the next crossing of each hour
    for ahead in aheads:
        if ahead > 0:
            k = max(1, math.ceil(ahead / (mu * highest)))
            heap.append((-ahead / (mu * k), ahead, k))
    heapq.heapify(heap)
    crossings: list[float] = []  # distinct, descending, strictly between lowest and highest
    wanted = None if limit is None else limit  # schedules after the first need one crossing each
    while heap and (wanted is None or len(crossings) <= wanted):
        negative, ahead, k = heapq.heappop(heap)
        crossing = -negative
        if crossing <= lowest:
            break
        if k < max_capacity:
            heapq.heappush(heap, (-ahead / (mu * (k + 1)), ahead, k + 1))
        else:
            continue  # the floor is capped: u below this crossing does not raise it
        if crossing < highest and (not crossings or crossing < crossings[-1]):
            crossings.append(crossing)
    complete = wanted is None or len(crossings) <= wanted
    points = [highest] + crossings + ([lowest] if complete else [])
    found: dict[tuple[int, ...], float] = {}
    for u in [highest] + [(a + b) / 2 for a, b in zip(points, points[1:])]:
        floors = scheduled_floors(hourly, mu, max_capacity, u)
        if floors not in found:
            found[floors] = max(ahead / (mu * floor) for ahead, floor in zip(aheads, floors))
        if limit is not None and len(found) >= limit:
            break
    return tuple(found.items())


def schedule_candidates(
    hourly: tuple[float, ...], mu: float, max_capacity: int,
    utilizations: tuple[float, ...] = limits.RESTING_UTILIZATION_CANDIDATES,
) -> tuple[Candidate, ...]:
    """(target utilization, floors) pairs to simulate, fewest estimated task-hours of the design day first.

    One of the two utilizations is the highest candidate (90%): floors at it with a lower
    target (target tracking follows the day above floors that cover each hour at 90%), or a
    schedule of floors between 90% and the lowest candidate with the target at 90% (the
    schedule follows the day; target tracking answers only surges beyond it, with room
    between the floors' utilization and its target, so metric noise does not cross it). A pair
    with both lower is never estimated cheaper than either of those two (its floors are
    those of one, its resting fleet at least that of the other), so it is left out. The
    estimate is the day's sum over hours of the larger of the floor and the resting fleet;
    ties go to the higher target, then the higher floors' utilization.
    """
    top, bottom = max(utilizations), min(utilizations)
    # The search tries at most SETTLE_MAX_SCHEDULED_RUNS candidates (one run each at least), and the
    # schedules come cheapest first, so more of them could never be reached.
    schedules = floor_schedules(hourly, mu, max_capacity, top, bottom, limit=limits.SETTLE_MAX_SCHEDULED_RUNS)
    at_top = schedules[0]
    pairs = [(at_top, u) for u in sorted(utilizations, reverse=True)] + [(s, top) for s in schedules[1:]]
    found = [
        Candidate(target_u, floors, round(floor_u, 3),
                  round(expected_tasks(hourly, floors, mu, target_u) * len(hourly), 6))
        for (floors, floor_u), target_u in pairs
    ]
    return tuple(sorted(found, key=lambda c: (c.estimate_task_hours, -c.utilization, -c.floor_utilization)))


def schedule_actions(floors: tuple[int, ...], time_zone: str) -> tuple[ScheduledCapacity, ...]:
    """One scheduled action at each hour whose floor differs from the hour before (cron in the profile's zone)."""
    actions = []
    for hour, value in enumerate(floors):
        if value != floors[hour - 1]:
            actions.append(ScheduledCapacity(hour=hour, min_capacity=value, cron=f"cron(0 {hour} * * ? *)",
                                             time_zone=time_zone))
    return tuple(actions)


def expected_tasks(hourly: tuple[float, ...], floors: tuple[int, ...], mu: float, utilization: float,
                   max_capacity: int | None = None) -> float:
    """The day's average fleet: per hour the floor or the resting fleet at `utilization`, whichever is larger
    (at most max_capacity)."""
    ceiling = math.inf if max_capacity is None else max_capacity
    return sum(min(ceiling, max(f, math.ceil(r / (mu * utilization)))) for r, f in zip(hourly, floors)) / len(hourly)
