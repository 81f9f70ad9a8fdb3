"""The queue + autoscaler simulator: a fleet of consumers against a scenario, second by second.

Messages are a fluid (fractions of a message per second) kept in FIFO order through two
cumulative curves, arrivals and starts, so the age of the oldest message is read exactly
off the curves instead of from a sample. A message is deleted `processing_seconds` after it
starts, and the age of the oldest is that of the oldest message not yet deleted (waiting or
in flight), as SQS's ApproximateAgeOfOldestMessage reports it.

Three kinds of consumer follow their own rules: a service (SQS, Redis) whose tasks an
autoscaler adds and removes (the plan's target tracking, a static fleet, or AWS CDK's
default step scaling), a scheduled task that takes a batch every interval, and Cloudflare
consumers that take batches when full or when the oldest message has waited max_wait.
Service minutes are computed in vectorised one-minute chunks (the autoscaler acts only on
minute boundaries), so a 7-day run at one-second resolution takes well under a second.
"""

from __future__ import annotations

import numpy as np

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
from capacity.simulate.service import simulate_service

__all__ = [
    "CdkDefaultFleet", "CloudflareFleet", "Fleet", "QueueModel", "ScheduledFleet", "Settings", "SimulationError",
    "SimulationResult", "StaticFleet", "TargetTrackingFleet", "Timeline", "poisson_arrivals", "simulate",
]


def poisson_arrivals(scenario: Scenario, seed: int) -> Scenario:
    """The scenario with each second's arrivals drawn from a Poisson distribution of its rate (seeded)."""
    rng = np.random.default_rng(seed)
    drawn = rng.poisson(scenario.arrivals_per_second).astype(float)
    return Scenario(scenario.name, scenario.description + f" (Poisson arrivals, seed {seed})", drawn,
                    scenario.initial_backlog_messages)


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
    if settings.random_seed is not None:
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
        run = simulate_cloudflare(shard_model, fleet, shard, progress)
        result = measure(shard_model, fleet, shard, run, float(fleet.shards), fleet.batch_size / model.processing_seconds)
    else:
        run = simulate_service(model, fleet, scenario, settings, progress)
        result = measure(model, fleet, scenario, run, 1.0, model.per_task_messages_per_second)
    if progress is not None:
        progress(1.0)
    return result
