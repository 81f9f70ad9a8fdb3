"""A service (SQS, Redis) whose tasks an autoscaler adds and removes, simulated in one-minute chunks."""

from __future__ import annotations

import math

import numpy as np

from capacity import limits
from capacity.scenarios import Scenario
from capacity.simulate.autoscalers import (
    CdkDefaultScaler,
    MinuteMetrics,
    StaticScaler,
    TargetTrackingScaler,
    check_service,
    fleet_bounds,
)
from capacity.simulate.model import (
    FLUID_EPSILON_MESSAGES,
    SECONDS_PER_MINUTE,
    CdkDefaultFleet,
    Fleet,
    Progress,
    QueueModel,
    Run,
    Settings,
    TargetTrackingFleet,
)


def processing_factors(model: QueueModel, settings: Settings, tasks_hint: float, minutes: int) -> np.ndarray:
    """Per minute, the mean processing time of the messages it starts over the model's mean (1.0 without a seed).

    Processing times are lognormal with the model's mean and p99; a minute that starts n
    messages sees the mean of n draws, so the p99 matters most for small fleets.
    """
    ones = np.ones(minutes)
    p99 = model.processing_p99_seconds
    if settings.random_seed is None or p99 is None or p99 <= model.processing_seconds:
        return ones
    z = limits.P99_STANDARD_SCORE
    ratio = math.log(p99 / model.processing_seconds)
    sigma = z - math.sqrt(z * z - 2 * ratio) if z * z > 2 * ratio else z
    rng = np.random.default_rng(settings.random_seed + 1)
    n = max(1, round(tasks_hint * model.per_task_messages_per_second * SECONDS_PER_MINUTE))
    if n > limits.SIM_MAX_PROCESSING_DRAWS:
        # The mean of many draws: normal with the lognormal's variance over n (central limit).
        spread = math.sqrt((math.exp(sigma * sigma) - 1) / n)
        return np.maximum(limits.SIM_MIN_PROCESSING_FACTOR, rng.normal(1.0, spread, size=minutes))
    draws = rng.lognormal(-sigma * sigma / 2, sigma, size=(minutes, n))
    return draws.mean(axis=1)


def simulate_service(
    model: QueueModel, fleet: Fleet, scenario: Scenario, settings: Settings, progress: Progress | None
) -> Run:
    check_service(model, fleet)
    arrivals = scenario.arrivals_per_second
    total = arrivals.size
    minutes = math.ceil(total / SECONDS_PER_MINUTE)
    mu = model.per_task_messages_per_second
    t = model.processing_seconds
    cap = model.sink_messages_per_second
    metrics = MinuteMetrics(
        backlog_per_task=[math.nan] * minutes,
        visible_max=[0.0] * minutes,
        cpu_percent=[math.nan] * minutes,
    )
    if isinstance(fleet, TargetTrackingFleet):
        controller: TargetTrackingScaler | StaticScaler | CdkDefaultScaler = TargetTrackingScaler(fleet, settings)
    elif isinstance(fleet, CdkDefaultFleet):
        controller = CdkDefaultScaler(fleet, settings)
    else:
        controller = StaticScaler(fleet)
    low, high = fleet_bounds(fleet)
    if isinstance(fleet, TargetTrackingFleet):
        low = min(high, fleet.floor_at(0.0))
    first_rate = float(arrivals[:SECONDS_PER_MINUTE].mean()) if total else 0.0
    running = min(high, max(low, math.ceil(first_rate / mu - FLUID_EPSILON_MESSAGES)))
    if isinstance(fleet, TargetTrackingFleet) and fleet.deploy_min_capacity is not None:
        running = low  # just deployed: the tasks the service was created with, whatever the traffic
    desired = running
    pending: list[list[float]] = []  # [ready_at_seconds, tasks]
    unlaunched = 0

    starts = np.zeros(total)
    running_per_second = np.zeros(total)
    billed = np.zeros(total)
    # Cumulative starts with `pad` leading zeros, so S(i - t) is read by slicing: i - t falls
    # `lag` whole seconds back plus a constant fraction of the next second.
    lag = math.ceil(t)
    fraction = lag - t
    pad = lag + 1
    starts_cum = np.zeros(total + 1 + pad)
    visible = scenario.initial_backlog_messages
    report_every = max(1, minutes // 100)
    factors = processing_factors(model, settings, max(1.0, float(arrivals.mean()) / mu if total else 1.0), minutes)
    launches = 0
    actions: list[tuple[int, str]] = []
    scheduled = 0
    arrived_total = scenario.initial_backlog_messages
    active_at = 0.0  # the last second the queue held or received a whole message

    for m in range(minutes):
        s0 = m * SECONDS_PER_MINUTE
        s1 = min(total, s0 + SECONDS_PER_MINUTE)
        length = s1 - s0
        wanted = controller.decide(float(s0), metrics, running, desired)
        if wanted != desired:
            cause = getattr(controller, "cause", "") or ("out" if wanted > desired else "in")
            if cause == "scheduled":
                scheduled += 1
            else:
                actions.append((s0, "out" if wanted > desired else "in"))
        if wanted > desired:
            unlaunched += wanted - desired
        elif wanted < desired:
            cut = desired - wanted
            take = min(cut, unlaunched)
            unlaunched -= take
            cut -= take
            while cut and pending:
                take = min(cut, int(pending[-1][1]))
                pending[-1][1] -= take
                cut -= take
                if not pending[-1][1]:
                    pending.pop()
            running -= cut
        desired = wanted
        launch = min(unlaunched, settings.max_launches_per_minute)
        if launch:
            pending.append([s0 + settings.task_start_seconds, launch])
            unlaunched -= launch
            launches += launch

        # Tasks running in each second of this minute (pending ones join when ready).
        tasks = np.full(length, float(running))
        still: list[list[float]] = []
        for ready_at, count in pending:
            if ready_at < s1:
                tasks[max(0, math.ceil(ready_at - s0)) :] += count
                running += int(count)
            else:
                still.append([ready_at, count])
        pending = still
        running_per_second[s0:s1] = tasks
        billed[s0:s1] = running + sum(c for _, c in pending)

        # Lindley recursion over the minute: visible(i+1) = max(0, visible(i) + a(i) - capacity(i)).
        capacity = tasks * (mu / factors[m])
        if cap is not None:
            capacity = np.minimum(capacity, cap)
        chunk = arrivals[s0:s1]
        level = visible + np.cumsum(chunk - capacity)
        after = level - np.minimum(0.0, np.minimum.accumulate(level))
        before = np.empty(length)
        before[0] = visible
        before[1:] = after[:-1]
        started = before + chunk - after
        starts[s0:s1] = started
        starts_cum[pad + s0 + 1 : pad + s1 + 1] = starts_cum[pad + s0] + np.cumsum(started)
        visible = float(after[-1])
        # An idle queue's metrics come late once it wakes (SQS: after 6 idle hours, up to 15 min).
        before_total = arrived_total
        arrived_total += float(chunk.sum())
        woke = math.floor(arrived_total + FLUID_EPSILON_MESSAGES) > math.floor(before_total + FLUID_EPSILON_MESSAGES)
        if woke or visible >= limits.EMPTY_QUEUE_MESSAGES:
            if s0 - active_at >= settings.idle_after_seconds and settings.idle_metric_lag_seconds > 0:
                metrics.stale_from = m
                metrics.stale_until = s1 + settings.metric_delay_seconds + settings.idle_metric_lag_seconds
            active_at = float(s1)

        # This minute's datapoints: (visible + in flight) / running, visible maximum, CPU.
        back = starts_cum[pad + s0 + 1 - lag : pad + s1 + 1 - lag]
        ahead = starts_cum[pad + s0 + 2 - lag : pad + s1 + 2 - lag]
        in_flight = starts_cum[pad + s0 + 1 : pad + s1 + 1] - (back + fraction * (ahead - back))
        mean_tasks = float(tasks.sum()) / length
        metrics.visible_max[m] = math.floor(float(after.max()) + FLUID_EPSILON_MESSAGES)
        if mean_tasks > 0:
            mean_in_flight = float(in_flight.sum()) / length
            backlog_count = math.floor(float(after.sum()) / length + mean_in_flight + 0.5)
            metrics.backlog_per_task[m] = backlog_count / mean_tasks
            busy = mean_in_flight / (mean_tasks * model.concurrency_per_task)
            metrics.cpu_percent[m] = min(1.0, busy) * settings.cpu_percent_when_busy
        if progress is not None and m % report_every == 0:
            progress(m / minutes)
    return Run(starts=starts, running=running_per_second, billed=billed, task_launches=launches,
               scheduled_actions=scheduled, actions=actions)
