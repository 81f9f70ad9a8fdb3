"""A scheduled consumer: one task takes up to a batch every interval and works through it."""

from __future__ import annotations

import math

import numpy as np

from capacity.scenarios import Scenario
from capacity.simulate.model import (
    FLUID_EPSILON_MESSAGES,
    Progress,
    QueueModel,
    Run,
    ScheduledFleet,
    Settings,
    SimulationError,
)


def simulate_scheduled(
    model: QueueModel, fleet: ScheduledFleet, scenario: Scenario, settings: Settings, progress: Progress | None
) -> Run:
    if fleet.interval_seconds <= 0 or fleet.batch_limit < 1:
        raise SimulationError(
            f"scheduled runs need interval_seconds > 0 and batch_limit >= 1 (got {fleet.interval_seconds!r}, "
            f"{fleet.batch_limit!r})"
        )
    arrivals = scenario.arrivals_per_second
    total = arrivals.size
    arrived_cum = np.concatenate(([scenario.initial_backlog_messages], scenario.initial_backlog_messages + np.cumsum(arrivals)))
    mu = model.per_task_messages_per_second
    c = model.concurrency_per_task
    starts = np.zeros(total)
    running = np.zeros(total)
    taken = 0.0
    runs = math.ceil(total / fleet.interval_seconds)
    for r in range(runs):
        launched = r * fleet.interval_seconds
        ready = launched + math.ceil(settings.task_start_seconds)
        if ready >= total:
            running[launched:total] += 1
            break
        batch = math.floor(min(fleet.batch_limit, arrived_cum[ready] - taken) + FLUID_EPSILON_MESSAGES)
        batch = max(0, batch)
        taken += batch
        work_seconds = math.ceil(batch / c) * model.processing_seconds if batch else 0.0
        end = min(total, ready + math.ceil(work_seconds))
        running[launched:end] += 1
        # The batch starts c at a time, one round per processing_seconds: spread at mu per second.
        left = float(batch)
        second = ready
        while left > FLUID_EPSILON_MESSAGES and second < total:
            step = min(mu, left)
            starts[second] += step
            left -= step
            second += 1
        if progress is not None and r % max(1, runs // 100) == 0:
            progress(r / runs)
    return Run(starts=starts, running=running, billed=running.copy())
