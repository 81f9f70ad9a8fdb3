"""A service (SQS, Redis) whose tasks an autoscaler adds and removes, simulated in one-minute chunks."""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from capacity import limits
from capacity.scenarios import Scenario
from capacity.simulate import messages
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
    PROGRESS_REPORTS,
    SECONDS_PER_MINUTE,
    CdkDefaultFleet,
    Fleet,
    Progress,
    QueueModel,
    Run,
    Settings,
    SimulationError,
    StaticFleet,
    TargetTrackingFleet,
)
from capacity.simulate.tracking_loop import run_compiled


# Launches that join in one minute: each minute launches at most one batch, and a batch waits one task start.
MAX_JOINS_PER_MINUTE = 64


@dataclass(frozen=True)
class MinuteQueue:
    """One minute of the queue as its metrics see it: means and maxima over the minute's seconds."""

    queued_mean: float
    visible_max: float
    in_flight_mean: float
    tasks_mean: float
    arrived: float
    visible_end: float


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


class FluidQueue:
    """Messages as a fluid through two cumulative curves (arrivals and starts); one minute at a time."""

    def __init__(self, model: QueueModel, settings: Settings, scenario: Scenario):
        arrivals = scenario.arrivals_per_second
        self.arrivals = arrivals
        total = arrivals.size
        self.model = model
        self.mu = model.per_task_messages_per_second
        self.cap = model.sink_messages_per_second
        self.starts = np.zeros(total)
        self.running = np.zeros(total)
        # Cumulative starts with `pad` leading zeros, so S(i - t) is read by slicing: i - t falls
        # `lag` whole seconds back plus a constant fraction of the next second.
        self.lag = math.ceil(model.processing_seconds)
        self.fraction = self.lag - model.processing_seconds
        self.pad = self.lag + 1
        self.starts_cum = np.zeros(total + 1 + self.pad)
        self.visible = scenario.initial_backlog_messages
        minutes = math.ceil(total / SECONDS_PER_MINUTE)
        hint = max(1.0, float(arrivals.mean()) / self.mu if total else 1.0)
        self.factors = processing_factors(model, settings, hint, minutes)

    def minute(self, m: int, s0: int, s1: int, running: int, joins: list[list[float]], retire: int) -> MinuteQueue:
        length = s1 - s0
        tasks = np.full(length, float(running))
        for ready_at, count in joins:
            tasks[max(0, math.ceil(ready_at - s0)) :] += count
        self.running[s0:s1] = tasks
        # Lindley recursion over the minute: visible(i+1) = max(0, visible(i) + a(i) - capacity(i)).
        capacity = tasks * (self.mu / self.factors[m])
        if self.cap is not None:
            capacity = np.minimum(capacity, self.cap)
        chunk = self.arrivals[s0:s1]
        level = self.visible + np.cumsum(chunk - capacity)
        after = level - np.minimum(0.0, np.minimum.accumulate(level))
        before = np.empty(length)
        before[0] = self.visible
        before[1:] = after[:-1]
        started = before + chunk - after
        self.starts[s0:s1] = started
        pad, lag = self.pad, self.lag
        cum = self.starts_cum
        cum[pad + s0 + 1 : pad + s1 + 1] = cum[pad + s0] + np.cumsum(started)
        self.visible = float(after[-1])
        back = cum[pad + s0 + 1 - lag : pad + s1 + 1 - lag]
        ahead = cum[pad + s0 + 2 - lag : pad + s1 + 2 - lag]
        in_flight = cum[pad + s0 + 1 : pad + s1 + 1] - (back + self.fraction * (ahead - back))
        return MinuteQueue(
            queued_mean=float(after.sum()) / length,
            visible_max=float(after.max()),
            in_flight_mean=float(in_flight.sum()) / length,
            tasks_mean=float(tasks.sum()) / length,
            arrived=float(chunk.sum()),
            visible_end=self.visible,
        )

    def finish(self, run: Run) -> Run:
        run.starts, run.running = self.starts, self.running
        return run


class MessageQueue:
    """Whole messages through the slots of the running tasks (capacity/simulate/messages.py); one minute at a time."""

    def __init__(self, model: QueueModel, settings: Settings, scenario: Scenario, high: int):
        total = scenario.arrivals_per_second.size
        self.model = model
        self.total = total
        self.concurrency = model.concurrency_per_task
        cap = model.sink_messages_per_second
        self.gap = 0.0 if cap is None else 1.0 / cap
        self.arrive, self.counts, self.work = drawn_messages(scenario, model.processing_seconds,
                                                             model.processing_p99_seconds, settings.random_seed)
        self.deleted_at = np.full(self.arrive.size, np.inf)
        self.heap = np.zeros(2 * max(1, high) * self.concurrency + 1)
        self.state = np.zeros(messages.STATE_SIZE, dtype=np.int64)
        self.last_start = np.full(1, -np.inf)
        self.starts = np.zeros(total, dtype=np.int64)
        self.deletes = np.zeros(total, dtype=np.int64)
        self.running = np.zeros(total)
        self.out = np.zeros(messages.OUT_SIZE)
        self.join_seconds = np.zeros(MAX_JOINS_PER_MINUTE)
        self.join_tasks = np.zeros(MAX_JOINS_PER_MINUTE, dtype=np.int64)
        self.started_tasks = False

    def minute(self, m: int, s0: int, s1: int, running: int, joins: list[list[float]], retire: int) -> MinuteQueue:
        if not self.started_tasks:  # the tasks running at second 0 have every slot free
            joins = [[0.0, running]] + joins
            running = 0
            self.started_tasks = True
        n_joins = len(joins)
        if n_joins:
            if n_joins > MAX_JOINS_PER_MINUTE:
                raise SimulationError(f"more than {MAX_JOINS_PER_MINUTE} launches join in one minute")
            for i, (ready_at, count) in enumerate(joins):
                self.join_seconds[i] = ready_at
                self.join_tasks[i] = int(count)
        out = self.out
        messages.serve_minute(s0, s1, running, self.join_seconds, self.join_tasks, n_joins, retire,
                              self.concurrency, self.gap, self.arrive, self.work, self.deleted_at, self.heap,
                              self.state, self.last_start, self.starts, self.deletes, self.running, out)
        length = s1 - s0
        return MinuteQueue(
            queued_mean=out[messages.OUT_QUEUED_SUM] / length,
            visible_max=out[messages.OUT_VISIBLE_MAX],
            in_flight_mean=out[messages.OUT_IN_FLIGHT_SUM] / length,
            tasks_mean=out[messages.OUT_TASKS_SUM] / length,
            arrived=out[messages.OUT_ARRIVED],
            visible_end=out[messages.OUT_VISIBLE_END],
        )

    def finish(self, run: Run) -> Run:
        ages, minute_max = messages.oldest_ages(self.arrive, self.deleted_at, self.total, SECONDS_PER_MINUTE)
        run.starts = self.starts.astype(float)
        run.running = self.running
        run.deleted = self.deletes.astype(float)
        run.ages = ages
        run.minute_max_ages = minute_max
        run.arrivals = self.counts
        run.message_times = (self.arrive, self.deleted_at)
        return run


_DRAWN: OrderedDict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()


def drawn_messages(scenario: Scenario, mean_seconds: float, p99_seconds: float | None,
                   seed: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each message's arrival second, the count arriving in each second, and each message's processing time.

    The planner runs one scenario and seed against many candidate fleets, and a fleet does
    not change what arrives, so the last DRAWN_CACHE_RUNS draws are kept and shared (the
    arrays are only read). Processing times are drawn on a second core while the arrivals are
    (numpy lets go of the GIL), for more messages than the run can hold; the few runs past
    that bound draw again for their count.
    """
    rates = scenario.arrivals_per_second
    key = (hashlib.blake2b(np.ascontiguousarray(rates).view(np.uint8), digest_size=16).digest(), rates.size,
           scenario.initial_backlog_messages, mean_seconds, p99_seconds, seed)
    if key in _DRAWN:
        _DRAWN.move_to_end(key)
        return _DRAWN[key]
    bound = message_bound(scenario)
    with ThreadPoolExecutor(max_workers=1) as pool:
        drawing = pool.submit(messages.processing_times, bound, mean_seconds, p99_seconds, seed)
        arrive, counts = message_arrivals(scenario, seed)
        work = drawing.result()
    if arrive.size > bound:
        work = messages.processing_times(arrive.size, mean_seconds, p99_seconds, seed)
    _DRAWN[key] = (arrive, counts, work)
    while len(_DRAWN) > limits.DRAWN_CACHE_RUNS:
        _DRAWN.popitem(last=False)
    return arrive, counts, work


def message_bound(scenario: Scenario) -> int:
    """More whole messages than a run of this scenario holds, but for a Poisson draw past eight deviations."""
    expected = float(scenario.arrivals_per_second.sum())
    return int(scenario.initial_backlog_messages + expected + 8 * math.sqrt(expected) + 64)


def message_arrivals(scenario: Scenario, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Each message's arrival second and the count arriving in each second (a Poisson process when seeded:
    arrivals from seed, processing times from seed + 1).

    Without a seed the scenario's curve is cut into whole messages (one arrives as the curve
    reaches each next whole number); the backlog waits at second 0 either way.
    """
    rates = scenario.arrivals_per_second
    backlog = scenario.initial_backlog_messages
    whole = int(math.floor(backlog + messages.WHOLE_MESSAGE_EPSILON))
    if seed is None:
        return messages.fluid_arrival_times(rates.astype(float), backlog - whole, whole)
    rng = np.random.default_rng(seed)
    gaps = rng.standard_exponential(message_bound(scenario) - whole)
    arrive, counts, complete = messages.poisson_process_times(rates.astype(float), gaps, whole)
    while not complete:  # more arrivals than eight standard deviations above the mean: draw on
        gaps = np.concatenate((gaps, rng.standard_exponential(gaps.size)))
        arrive, counts, complete = messages.poisson_process_times(rates.astype(float), gaps, whole)
    return arrive, counts


def simulate_service(
    model: QueueModel, fleet: Fleet, scenario: Scenario, settings: Settings, progress: Progress | None,
    compiled: bool = True,
) -> Run:
    """One service run, minute by minute. A target tracking or static fleet over whole messages runs in the
    compiled loop (capacity/simulate/tracking_loop.py) unless compiled=False; it decides the same as the loop
    below."""
    check_service(model, fleet)
    arrivals = scenario.arrivals_per_second
    total = arrivals.size
    minutes = math.ceil(total / SECONDS_PER_MINUTE)
    mu = model.per_task_messages_per_second
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
    if settings.queue_model == "fluid":
        queue: FluidQueue | MessageQueue = FluidQueue(model, settings, scenario)
    elif settings.queue_model == "messages":
        queue = MessageQueue(model, settings, scenario, high)
    else:
        raise SimulationError(f"queue_model must be one of messages, fluid (got {settings.queue_model!r})")
    if compiled and isinstance(queue, MessageQueue) and isinstance(fleet, TargetTrackingFleet | StaticFleet):
        # A static fleet is target tracking pinned at min = max: no policy can move it.
        tracked = fleet if isinstance(fleet, TargetTrackingFleet) else TargetTrackingFleet(
            min_capacity=fleet.tasks, max_capacity=fleet.tasks, target_backlog_per_task=1.0, label=fleet.label)
        return run_compiled(tracked, settings, queue, minutes, total, running, progress)
    desired = running
    pending: list[list[float]] = []  # [ready_at_seconds, tasks]
    unlaunched = 0

    billed = np.zeros(total)
    backlog = np.zeros(minutes)
    report_every = max(1, minutes // PROGRESS_REPORTS)
    launches = 0
    actions: list[tuple[int, str]] = []
    scheduled = 0
    arrived_total = scenario.initial_backlog_messages
    active_at = 0.0  # the last second the queue held or received a whole message

    for m in range(minutes):
        s0 = m * SECONDS_PER_MINUTE
        s1 = min(total, s0 + SECONDS_PER_MINUTE)
        wanted = controller.decide(float(s0), metrics, running, desired)
        if wanted != desired:
            cause = getattr(controller, "cause", "") or ("out" if wanted > desired else "in")
            if cause == "scheduled":
                scheduled += 1
            else:
                actions.append((s0, "out" if wanted > desired else "in"))
        retire = 0
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
            retire = cut
        desired = wanted
        launch = min(unlaunched, settings.max_launches_per_minute)
        if launch:
            pending.append([s0 + settings.task_start_seconds, launch])
            unlaunched -= launch
            launches += launch

        # Pending tasks that are ready before the minute ends join it.
        joins = [entry for entry in pending if entry[0] < s1]
        if joins:
            pending = [entry for entry in pending if entry[0] >= s1]
        step = queue.minute(m, s0, s1, running, joins, retire)
        running += sum(int(count) for _, count in joins)
        billed[s0:s1] = running + sum(c for _, c in pending)

        # An idle queue's metrics come late once it wakes (SQS: after 6 idle hours, up to 15 min).
        before_total = arrived_total
        arrived_total += step.arrived
        woke = math.floor(arrived_total + FLUID_EPSILON_MESSAGES) > math.floor(before_total + FLUID_EPSILON_MESSAGES)
        if woke or step.visible_end >= limits.EMPTY_QUEUE_MESSAGES:
            if s0 - active_at >= settings.idle_after_seconds and settings.idle_metric_lag_seconds > 0:
                metrics.stale_from = m
                metrics.stale_until = s1 + settings.metric_delay_seconds + settings.idle_metric_lag_seconds
            active_at = float(s1)

        # This minute's datapoints: (visible + in flight) / running, visible maximum, CPU.
        metrics.visible_max[m] = math.floor(step.visible_max + FLUID_EPSILON_MESSAGES)
        backlog[m] = step.queued_mean + step.in_flight_mean
        if step.tasks_mean > 0:
            backlog_count = math.floor(backlog[m] + 0.5)
            metrics.backlog_per_task[m] = backlog_count / step.tasks_mean
            busy = step.in_flight_mean / (step.tasks_mean * model.concurrency_per_task)
            metrics.cpu_percent[m] = min(1.0, busy) * settings.cpu_percent_when_busy
        if progress is not None and m % report_every == 0:
            progress(m / minutes)
    run = Run(starts=np.zeros(0), running=np.zeros(0), billed=billed, task_launches=launches,
              scheduled_actions=scheduled, actions=actions, backlog_messages=backlog)
    return queue.finish(run)
