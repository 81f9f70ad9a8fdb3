"""A scheduled consumer: one task takes up to a batch every interval and works through it.

Whole messages by default (each arrives, waits for the next run, takes the first of the task's
slots to come free for its own processing time, and is deleted, so the age of the oldest is
exact); a fluid of the cumulative curves where settings ask for it or the run is huge.
"""

from __future__ import annotations

import math

import numpy as np

from capacity.scenarios import Scenario
from capacity.simulate import messages
from capacity.simulate.model import (
    FLUID_EPSILON_MESSAGES,
    PROGRESS_REPORTS,
    Progress,
    QueueModel,
    Run,
    ScheduledFleet,
    Settings,
    SimulationError,
)
from capacity.simulate.service import message_arrivals


def simulate_scheduled(
    model: QueueModel, fleet: ScheduledFleet, scenario: Scenario, settings: Settings, progress: Progress | None
) -> Run:
    if fleet.interval_seconds <= 0 or fleet.batch_limit < 1:
        raise SimulationError(
            f"scheduled runs need interval_seconds > 0 and batch_limit >= 1 (got {fleet.interval_seconds!r}, "
            f"{fleet.batch_limit!r})"
        )
    if settings.queue_model == "messages":
        return _whole_messages(model, fleet, scenario, settings, progress)
    arrivals = scenario.arrivals_per_second
    total = arrivals.size
    arrived_cum = np.concatenate(([scenario.initial_backlog_messages], scenario.initial_backlog_messages + np.cumsum(arrivals)))
    mu = model.per_task_messages_per_second
    c = model.concurrency_per_task
    starts = np.zeros(total)
    running = np.zeros(total)
    taken = 0.0
    for launched, ready in _runs(fleet, total, settings, running, progress):
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
    return Run(starts=starts, running=running, billed=running.copy())


def _runs(fleet: ScheduledFleet, total: int, settings: Settings, running: np.ndarray, progress: Progress | None):
    """(launch second, ready second) of each run ready before the end; a last one launched but not yet started
    is billed (in `running`) to the end."""
    runs = math.ceil(total / fleet.interval_seconds)
    for r in range(runs):
        launched = r * fleet.interval_seconds
        ready = launched + math.ceil(settings.task_start_seconds)
        if ready >= total:
            running[launched:total] += 1
            return
        yield launched, ready
        if progress is not None and r % max(1, runs // PROGRESS_REPORTS) == 0:
            progress(r / runs)


def _whole_messages(
    model: QueueModel, fleet: ScheduledFleet, scenario: Scenario, settings: Settings, progress: Progress | None
) -> Run:
    """Each run, launched every interval, starts task_start_seconds later and takes up to batch_limit of the
    messages waiting then, oldest first; its task works through them on its slots and stops when the last is
    deleted. Poisson arrivals and lognormal processing times when seeded (as a service's per-message queue)."""
    total = scenario.arrivals_per_second.size
    seed = settings.random_seed
    arrive, counts = message_arrivals(scenario, seed)
    work = messages.processing_times(arrive.size, model.processing_seconds, model.processing_p99_seconds, seed)
    started_at = np.full(arrive.size, np.inf)
    deleted_at = np.full(arrive.size, np.inf)
    running = np.zeros(total)
    taken = 0
    for launched, ready in _runs(fleet, total, settings, running, progress):
        waiting = int(np.searchsorted(arrive, float(ready), side="left")) - taken  # arrived before it is ready
        batch = max(0, min(fleet.batch_limit, waiting))
        end = ready
        if batch:
            chunk = slice(taken, taken + batch)
            messages.serve_batch(float(ready), work[chunk], model.concurrency_per_task, started_at[chunk],
                                 deleted_at[chunk])
            end = math.ceil(float(deleted_at[chunk].max()))
            taken += batch
        running[launched:min(total, end)] += 1
    run = Run(starts=messages.per_second(started_at, total), running=running, billed=running.copy())
    return messages.with_whole_messages(run, arrive, deleted_at, counts)
