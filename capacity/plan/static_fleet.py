"""A fleet that never moves, chosen where it holds the objective for fewer task-hours than target tracking.

With a long objective the backlog can absorb the busy hours: a few tasks around the clock
drain it by night, while target tracking follows each hour's arrivals and pays for the peak.
The planner weighs the fewest static tasks that hold the design spike, the peak for the
verifier's constant-rate run and the design day (and the day with noise on each of
limits.STATIC_NOISE_SEEDS), from the fewest that drain the backlog or a one-hour outage at the
peak in the time allowed, against the task-hours its own scaling runs in the design day, and
runs the static fleet (min = max) when it costs less. It weighs one only where the objective
outlasts the autoscaler's reaction: with a shorter one min capacity already carries the peak,
and max capacity keeps room above it to drain a surge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.autoscaling import Autoscaling, as_static, reaction_seconds, scaling_summary
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.settle import Probe
from capacity.simulate import QueueModel, Settings, simulate
from capacity.simulate.sizing import fewest_static_tasks, lowest_static_tasks

# The overrides a static fleet would set aside: a user who chose one of them keeps target tracking.
REPLACED = ("min_capacity", "max_capacity", "target_backlog_per_task")


@dataclass(frozen=True)
class StaticChoice:
    """The static fleet that held, what target tracking would run instead, and the worst age it saw."""

    tasks: int
    scaled_task_hours: float
    max_age_seconds: float

    @property
    def task_hours(self) -> float:
        return float(self.tasks * limits.HOURS_PER_DAY)


def _probe_model(p: Probe) -> QueueModel:
    return QueueModel("probe", p.processing_seconds, p.concurrency_per_task, p.max_age_seconds,
                      processing_p99_seconds=p.processing_p99_seconds)


@lru_cache(maxsize=128)
def cheaper_static_fleet(p: Probe, lowest: int, scaled_task_hours: float) -> StaticChoice | None:
    """The fewest static tasks (at least `lowest`) that hold the design spike, the peak held for the verifier's
    constant-rate run and the day, also with noise on each of STATIC_NOISE_SEEDS, when they cost fewer task-hours a
    day than scaled_task_hours and clear less than the peak (else None)."""
    model = _probe_model(p)
    # Fewer task-hours than target tracking, and less throughput than the peak: a static fleet that carries the
    # peak is what a min capacity covering it already is, and the room above it is kept to drain a surge.
    highest = min(p.max_capacity, math.ceil(scaled_task_hours / limits.HOURS_PER_DAY) - 1,
                  math.ceil(p.peak / model.per_task_messages_per_second) - 1)
    lowest = max(lowest, lowest_static_tasks(model, p.average))
    if highest < lowest:  # the quick answer for most profiles: covering the average already costs as much
        return None
    day = sc.design_day(p.average, p.peak, p.trough, p.hourly)
    fluid = Settings(queue_model="fluid")  # deterministic arrivals at mean processing times: the fluid is exact
    proving = [
        (sc.design_spike(p.average, p.peak, p.trough, p.hourly, days=1.0), Settings()),
        # The verifier's longest constant rate: the peak for its settling hour and flap window (the backlog grows).
        (sc.constant(p.peak, (limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS) / limits.SECONDS_PER_DAY), fluid),
        # Two days: the second starts with what the first left at midnight, so it is the day that repeats (a fleet
        # faster than the average carries the same backlog over every midnight).
        (sc.design_day(p.average, p.peak, p.trough, p.hourly, days=2.0), fluid),
    ]

    def confirming(tasks: int, proved) -> list:
        """The noisy days, whole messages, each from the minute the repeating day's queue is emptiest."""
        backlog = proved[-1].timeline.backlog_messages[limits.SECONDS_PER_DAY // 60:]
        start = int(np.argmin(backlog)) * 60 if len(backlog) else 0
        quiet = sc.day_from(day, start, limits.SECONDS_PER_DAY)
        return [(quiet, Settings(random_seed=seed)) for seed in limits.STATIC_NOISE_SEEDS]

    sizing = fewest_static_tasks(simulate, model, proving, confirming, lowest, highest)
    if sizing is None:
        return None
    return StaticChoice(sizing.tasks, scaled_task_hours, max(r.max_age_seconds for r in sizing.results))


def _eligible(d: Derivation, probe: Probe, scaled_task_hours: float | None) -> bool:
    """Weigh a static fleet only for a setting that held, the planner's own min, max and target, and an objective
    the autoscaler could react within (a shorter one has min capacity carry the peak, with room above it)."""
    return (scaled_task_hours is not None and not any(d.overridden(name) for name in REPLACED)
            and probe.min_capacity < probe.max_capacity and probe.max_age_seconds >= reaction_seconds())


@dataclass(frozen=True)
class Recovery:
    """The fewest tasks that drain a backlog within the time allowed while the average keeps arriving."""

    tasks: int
    waiting_messages: float
    allowed_seconds: float
    what: str


def recovery(average: float, peak: float, backlog: int, per_task: float, allowed_seconds: float) -> Recovery:
    """The profile's backlog, or without one a one-hour outage at the peak (what `qcap plan --verify` drains),
    cleared within allowed_seconds: more than (average + waiting / allowed) / per_task tasks."""
    waiting = float(backlog) if backlog else peak * limits.DRAIN_OUTAGE_SECONDS
    what = "the backlog" if backlog else f"a {duration(limits.DRAIN_OUTAGE_SECONDS)} outage at the peak"
    tasks = int((average + waiting / allowed_seconds) / per_task) + 1 if per_task > 0 else 1
    return Recovery(max(1, tasks), waiting, allowed_seconds, what)


def _static_why(probe: Probe, choice: StaticChoice, scaling_why: str, drained: Recovery) -> str:
    n, seeds = choice.tasks, limits.STATIC_NOISE_SEEDS
    hours_at_peak = duration(limits.FLAP_SETTLE_SECONDS + limits.FLAP_WINDOW_SECONDS)
    why = (f"{n} task{'' if n == 1 else 's'} around the clock hold the {duration(probe.max_age_seconds)} objective "
           f"in the simulated design spike, {hours_at_peak} at the peak and the design day, and in the day with "
           f"Poisson arrivals and p99 processing times on "
           f"seeds {seeds[0]}-{seeds[-1]} (oldest message {duration(choice.max_age_seconds)}), for "
           f"{num(choice.task_hours)} task-hours a day against {num(round(choice.scaled_task_hours, 1))} for target "
           f"tracking ({scaling_why}): the backlog absorbs the busy hours and drains in the quiet ones")
    if choice.tasks == drained.tasks:
        why += (f"; {drained.tasks} is also the fewest that drain {drained.what} ({num(round(drained.waiting_messages))}"
                f" messages) within {duration(drained.allowed_seconds)} while the average keeps arriving")
    return why


def plan_static_fleet(d: Derivation, scaling: Autoscaling, max_capacity: int,
                      drained: Recovery) -> tuple[Autoscaling, int] | None:
    """(autoscaling, max capacity) of the fewest static tasks that hold (min = max), with min and max capacity's
    reasons, where they cost less than the plan's target tracking; None keeps the plan's scaling."""
    settled = scaling.chosen.settled
    probe = replace(scaling.probe, max_capacity=max_capacity)
    scaled_hours = settled.day_task_hours if settled.held else None
    if not _eligible(d, probe, scaled_hours):
        return None
    choice = cheaper_static_fleet(probe, drained.tasks, scaled_hours)
    if choice is None:
        return None
    n = choice.tasks
    static_why = _static_why(probe, choice, scaling_summary(scaling), drained)
    d.set("min_capacity", n, f"{n} = a static fleet (min = max): {static_why}. A surge past the design spike "
          f"waits for no scale-out but ages the backlog (the age alarm pages)")
    d.set("max_capacity", n, f"{n} = min capacity, a static fleet (see min_capacity); target tracking would have "
          f"needed up to {max_capacity} tasks to follow the peak")
    for name in ("scheduled_capacity", "deploy_min_capacity"):
        d.reasons.pop(name, None)
    return as_static(d, scaling, n), n
