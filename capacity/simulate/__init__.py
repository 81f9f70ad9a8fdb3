"""The queue + autoscaler simulator: a fleet of consumers against a scenario, second by second.

A service (SQS, Redis) whose tasks an autoscaler adds and removes (the plan's target
tracking, a static fleet, or AWS CDK's default step scaling) runs whole messages by
default: each arrives (a Poisson process when seeded), waits for the first free slot,
takes its own processing time (lognormal with the mean and p99 when seeded) and is
deleted, so the age of the oldest message not yet deleted, as SQS's
ApproximateAgeOfOldestMessage reports it, is exact (capacity/simulate/messages.py).
Runs of more than limits.SIM_PER_MESSAGE_MAX_MESSAGES messages are a fluid instead
(fractions of a message through two cumulative curves), which agrees there.

A scheduled task that takes a batch every interval (capacity/simulate/scheduled.py) and
Cloudflare consumers that take a batch when it is full or its oldest message has waited
max_wait (capacity/simulate/cloudflare.py) run whole messages too, with the same bound.
The autoscaler acts on minute boundaries, so a run steps one minute at a time.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from capacity import limits
from capacity.scenarios import Scenario
from capacity.simulate.cloudflare import simulate_cloudflare
from capacity.simulate.measure import measure
from capacity.simulate.model import (
    CdkDefaultFleet,
    CloudflareFleet,
    Fleet,
    Progress,
    QueueModel,
    ScheduledFleet,
    Settings,
    SimulationError,
    SimulationResult,
    StaticFleet,
    TargetTrackingFleet,
    Timeline,
)
from capacity.simulate.scheduled import simulate_scheduled
from capacity.simulate.service import message_bound, simulate_service

QUEUE_MODELS = ("auto", "messages", "fluid")

__all__ = [
    "CdkDefaultFleet", "CloudflareFleet", "Fleet", "QueueModel", "ScheduledFleet", "Settings", "SimulationError",
    "SimulationResult", "StaticFleet", "TargetTrackingFleet", "Timeline", "poisson_arrivals", "queue_model_of", "simulate",
]


def poisson_arrivals(scenario: Scenario, seed: int) -> Scenario:
    """The scenario with each second's arrivals drawn from a Poisson distribution of its rate (seeded)."""
    rng = np.random.default_rng(seed)
    drawn = rng.poisson(scenario.arrivals_per_second).astype(float)
    return Scenario(scenario.name, scenario.description + f" (Poisson arrivals, seed {seed})", drawn,
                    scenario.initial_backlog_messages)


def queue_model_of(settings: Settings, scenario: Scenario) -> str:
    """The queue model a service run uses: the one settings name, or for "auto" messages unless the run is huge."""
    if settings.queue_model not in QUEUE_MODELS:
        raise SimulationError(f"queue_model must be one of {', '.join(QUEUE_MODELS)} (got {settings.queue_model!r})")
    if settings.queue_model != "auto":
        return settings.queue_model
    return "messages" if message_bound(scenario) <= limits.SIM_PER_MESSAGE_MAX_MESSAGES else "fluid"


def simulate(
    model: QueueModel,
    fleet: Fleet,
    scenario: Scenario,
    settings: Settings = Settings(),
    progress: Progress | None = None,
) -> SimulationResult:
    """Run one fleet against one scenario and measure it."""
    if scenario.duration_seconds < 1:
        raise SimulationError("the scenario has no seconds to simulate")
    # A Cloudflare run simulates one shard of the traffic: its size decides.
    judged = scenario.scaled(1 / fleet.shards) if isinstance(fleet, CloudflareFleet) and fleet.shards >= 1 else scenario
    per_message = queue_model_of(settings, judged) == "messages"
    settings = replace(settings, queue_model="messages" if per_message else "fluid")
    if settings.random_seed is not None:
        if per_message:  # the per-message queue draws its own Poisson process from the rates
            scenario = replace(scenario, description=scenario.description
                               + f" (Poisson arrivals, seed {settings.random_seed})")
        else:
            scenario = poisson_arrivals(scenario, settings.random_seed)
    if isinstance(fleet, ScheduledFleet):
        run = simulate_scheduled(model, fleet, scenario, settings, progress)
        result = measure(model, fleet, scenario, run, 1.0, model.per_task_messages_per_second)
    elif isinstance(fleet, CloudflareFleet):
        shard = scenario.scaled(1 / fleet.shards)
        per_shard_cap = None if model.sink_messages_per_second is None else model.sink_messages_per_second / fleet.shards
        shard_model = QueueModel(
            name=model.name,
            processing_seconds=model.processing_seconds,
            concurrency_per_task=fleet.batch_size,
            max_age_seconds=model.max_age_seconds,
            sink_messages_per_second=per_shard_cap,
            task_usd_per_hour=model.task_usd_per_hour,
            usd_per_message=model.usd_per_message,
        )
        run = simulate_cloudflare(shard_model, fleet, shard, progress, settings)
        result = measure(shard_model, fleet, shard, run, float(fleet.shards), fleet.batch_size / model.processing_seconds)
    else:
        run = simulate_service(model, fleet, scenario, settings, progress)
        result = measure(model, fleet, scenario, run, 1.0, model.per_task_messages_per_second)
    if progress is not None:
        progress(1.0)
    return result
