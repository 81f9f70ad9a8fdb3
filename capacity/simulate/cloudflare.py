"""Cloudflare consumers: a batch is delivered when full or when its oldest message has waited max_wait.

Whole messages by default (each batch's messages are deleted when its invocation returns, so the
age of the oldest is exact); a fluid of per-second rates where settings ask for it or the run is huge.
"""

from __future__ import annotations

import math

import numpy as np

from capacity.scenarios import Scenario
from capacity.simulate import messages
from capacity.simulate.model import (
    FLUID_EPSILON_MESSAGES,
    PROGRESS_REPORTS,
    CloudflareFleet,
    Progress,
    QueueModel,
    Run,
    Settings,
    SimulationError,
)
from capacity.simulate.service import message_arrivals


def simulate_cloudflare(
    model: QueueModel, fleet: CloudflareFleet, scenario: Scenario, progress: Progress | None,
    settings: Settings = Settings(queue_model="fluid"),
) -> Run:
    """One shard (the traffic splits evenly), scaled back up by the shard count by the caller.

    Concurrency is counted in consumer-seconds: an invocation holds one of max_concurrency
    slots for processing_seconds (a batch), so short batches recycle a slot within a second.
    """
    if fleet.batch_size < 1 or fleet.max_concurrency < 1 or fleet.shards < 1:
        raise SimulationError(
            f"Cloudflare consumers need shards, batch_size and max_concurrency >= 1 (got {fleet.shards!r}, "
            f"{fleet.batch_size!r}, {fleet.max_concurrency!r})"
        )
    if settings.queue_model == "messages":
        return _whole_messages(model, fleet, scenario, settings)
    arrivals = scenario.arrivals_per_second.tolist()
    total = len(arrivals)
    size = float(fleet.batch_size)
    wait = fleet.max_wait_seconds
    batch_seconds = model.processing_seconds
    # Consumer-seconds one batch uses in each second from its start: 1, 1, ..., the remainder.
    whole = int(batch_seconds)
    usage = [1.0] * whole + ([batch_seconds - whole] if batch_seconds > whole else [])
    first_usage = usage[0]
    budget = model.sink_messages_per_second
    arrived_cum = [scenario.initial_backlog_messages]
    for a in arrivals:
        arrived_cum.append(arrived_cum[-1] + a)
    starts = np.zeros(total)
    committed = [0.0] * (total + len(usage) + 1)
    visible = scenario.initial_backlog_messages
    started_total = 0.0
    pointer = 0
    report_every = max(1, total // PROGRESS_REPORTS)
    concurrency = float(fleet.max_concurrency)
    for i in range(total):
        visible += arrivals[i]
        free_batches = int((concurrency - committed[i]) / first_usage + FLUID_EPSILON_MESSAGES)
        if free_batches > 0 and visible >= 1:
            allowance = visible if budget is None else min(visible, budget)
            full = min(free_batches, int((allowance + FLUID_EPSILON_MESSAGES) // size))
            started = full * size
            batches = full
            rest = allowance - started
            if full < free_batches and rest >= 1:
                # The oldest waiting message: the first whole message not yet started.
                wanted = math.floor(started_total + started + FLUID_EPSILON_MESSAGES) + 1
                while pointer <= total and arrived_cum[pointer] < wanted:
                    pointer += 1
                if pointer == 0 or pointer > total:
                    arrived_at = 0.0 if pointer == 0 else float(i)
                else:
                    step = arrived_cum[pointer] - arrived_cum[pointer - 1]
                    arrived_at = pointer - 1 + (wanted - arrived_cum[pointer - 1]) / step
                if i + 1 - arrived_at >= wait:
                    started += rest
                    batches += 1
            if batches:
                for offset, used in enumerate(usage):
                    committed[i + offset] += batches * used
                visible -= started
                started_total += started
                starts[i] = started
        if progress is not None and i % report_every == 0:
            progress(i / total)
    running = np.asarray(committed[:total])
    return Run(starts=starts, running=running, billed=running.copy())


def _whole_messages(model: QueueModel, fleet: CloudflareFleet, scenario: Scenario, settings: Settings) -> Run:
    """Each message of the shard arrives (a Poisson process when seeded); batches start as messages.serve_batches
    decides, each invocation taking its own time (lognormal with the mean and p99 when seeded)."""
    total = scenario.arrivals_per_second.size
    seed = settings.random_seed
    arrive, counts = message_arrivals(scenario, seed)
    work = messages.processing_times(max(1, arrive.size), model.processing_seconds, model.processing_p99_seconds, seed)
    cap = model.sink_messages_per_second
    deleted_at = np.full(arrive.size, np.inf)
    starts = np.zeros(total)
    busy = np.zeros(total)
    batches = messages.serve_batches(arrive, work, fleet.batch_size, fleet.max_wait_seconds, fleet.max_concurrency,
                                     0.0 if cap is None else 1.0 / cap, deleted_at, starts, busy)
    # Launches are the invocations themselves (the fluid can only count changes in busy consumer-seconds); the
    # fleet in a second is the invocations its busy consumer-seconds need (one for a 0.1 s batch), billed as used.
    running = np.ceil(busy - FLUID_EPSILON_MESSAGES)
    run = Run(starts=starts, running=running, billed=busy, task_launches=int(batches))
    return messages.with_whole_messages(run, arrive, deleted_at, counts)
