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

import math
from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

from capacity import limits
from capacity.plan import WorkloadPlan
from capacity.pricing import cloudflare_usd_per_message, task_usd_per_hour
from capacity.profile import Sink
from capacity.scenarios import Scenario

SECONDS_PER_MINUTE = 60
# Below this many messages a fluid queue counts as holding nothing (rounding noise).
_FLUID_EPSILON_MESSAGES = 1e-9

Progress = Callable[[float], None]


class SimulationError(ValueError):
    """A model or fleet that cannot be simulated, with the field and the allowed values."""


# --- what is simulated ---------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The autoscaler's timing as AWS documents and users observe it (see capacity/limits.py)."""

    task_start_seconds: float = limits.TASK_START_SECONDS
    metric_delay_seconds: float = limits.CLOUDWATCH_METRIC_DELAY_SECONDS
    scale_out_datapoints: int = limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS
    scale_in_datapoints: int = limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS
    scale_in_fraction: float = limits.TARGET_TRACKING_SCALE_IN_FRACTION
    max_launches_per_minute: int = limits.FARGATE_MAX_LAUNCHES_PER_SERVICE_PER_MINUTE
    cpu_percent_when_busy: float = limits.SIM_CPU_PERCENT_WHEN_ALL_SLOTS_BUSY


@dataclass(frozen=True)
class QueueModel:
    """One queue and what a consumer of it does: rates, processing time, caps and prices."""

    name: str
    processing_seconds: float
    concurrency_per_task: int
    max_age_seconds: float
    sink_messages_per_second: float | None = None
    task_usd_per_hour: float = 0.0
    usd_per_message: float = 0.0

    @property
    def per_task_messages_per_second(self) -> float:
        return self.concurrency_per_task / self.processing_seconds


@dataclass(frozen=True)
class TargetTrackingFleet:
    """Target tracking on (visible + in flight) / running tasks, plus a zero-to-one step policy when min is 0."""

    min_capacity: int
    max_capacity: int
    target_backlog_per_task: float
    scale_out_cooldown_seconds: float = limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS
    scale_in_cooldown_seconds: float = limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS
    label: str = "plan autoscaling"


@dataclass(frozen=True)
class StaticFleet:
    """A fixed number of tasks around the clock."""

    tasks: int
    label: str = "static fleet"


@dataclass(frozen=True)
class CdkDefaultFleet:
    """AWS CDK QueueProcessingFargateService's default scaling: steps on visible messages plus a CPU target."""

    min_capacity: int
    max_capacity: int
    steps: tuple[tuple[float | None, float | None, int], ...] = limits.CDK_QUEUE_SCALING_STEPS
    cpu_target_percent: float = limits.CDK_QUEUE_CPU_TARGET_PERCENT
    metric_period_seconds: int = limits.CDK_QUEUE_METRIC_PERIOD_SECONDS
    cooldown_seconds: float = limits.CDK_STEP_COOLDOWN_SECONDS
    cpu_scale_out_cooldown_seconds: float = limits.ECS_DEFAULT_SCALE_OUT_COOLDOWN_SECONDS
    cpu_scale_in_cooldown_seconds: float = limits.ECS_DEFAULT_SCALE_IN_COOLDOWN_SECONDS
    label: str = "CDK default scaling"


@dataclass(frozen=True)
class ScheduledFleet:
    """A task started every interval that takes up to batch_limit messages and processes them concurrency at a time."""

    interval_seconds: int
    batch_limit: int
    label: str = "scheduled runs"


@dataclass(frozen=True)
class CloudflareFleet:
    """Cloudflare push consumers per shard: a batch when batch_size wait or the oldest has waited max_wait."""

    shards: int
    batch_size: int
    max_wait_seconds: float
    max_concurrency: int
    label: str = "Cloudflare consumers"


Fleet = Union[TargetTrackingFleet, StaticFleet, CdkDefaultFleet, ScheduledFleet, CloudflareFleet]


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """Per-minute series of a run, for the figure: rates in msg/s, backlog in messages, age in s."""

    minutes: np.ndarray
    arrivals_per_second: np.ndarray
    throughput_per_second: np.ndarray
    backlog_messages: np.ndarray
    max_age_seconds: np.ndarray
    tasks: np.ndarray


@dataclass(frozen=True)
class SimulationResult:
    """What a fleet did against a scenario: the objective, backlog, drain, task-hours and cost."""

    workload: str
    fleet: str
    scenario: str
    objective_seconds: float
    max_age_seconds: float
    p99_age_seconds: float
    minutes_over_objective: int
    peak_backlog_messages: float
    drain_seconds: float | None
    task_hours: float
    cost_usd: float
    lower_bound_task_hours: float
    messages_arrived: float
    messages_processed: float
    messages_left: float
    duration_seconds: int
    timeline: Timeline = field(repr=False)

    @property
    def objective_met(self) -> bool:
        return self.minutes_over_objective == 0

    @property
    def task_hours_ratio(self) -> float | None:
        """Task-hours over the lower bound (work done / per-task rate); None when no work was done."""
        if self.lower_bound_task_hours <= 0:
            return None
        return self.task_hours / self.lower_bound_task_hours

    def as_json(self) -> dict:
        ratio = self.task_hours_ratio
        return {
            "workload": self.workload,
            "fleet": self.fleet,
            "scenario": self.scenario,
            "objective_seconds": self.objective_seconds,
            "objective_met": self.objective_met,
            "max_age_seconds": round(self.max_age_seconds, 1),
            "p99_age_seconds": round(self.p99_age_seconds, 1),
            "minutes_over_objective": self.minutes_over_objective,
            "peak_backlog_messages": round(self.peak_backlog_messages, 1),
            "drain_seconds": None if self.drain_seconds is None else round(self.drain_seconds, 1),
            "task_hours": round(self.task_hours, 3),
            "cost_usd": round(self.cost_usd, 4),
            "lower_bound_task_hours": round(self.lower_bound_task_hours, 3),
            "task_hours_ratio": None if ratio is None else round(ratio, 3),
            "messages_arrived": round(self.messages_arrived, 1),
            "messages_processed": round(self.messages_processed, 1),
            "messages_left": round(self.messages_left, 1),
            "duration_seconds": self.duration_seconds,
        }


@dataclass
class _Run:
    """Per-second arrays of one run: starts and tasks in each second (billed counts starting tasks)."""

    starts: np.ndarray
    running: np.ndarray
    billed: np.ndarray


# --- the service autoscalers ------------------------------------------------------------------


@dataclass
class _MinuteMetrics:
    """What CloudWatch would hold for each minute of the run, filled as the run goes."""

    backlog_per_task: list[float]
    visible_max: list[float]
    cpu_percent: list[float]


def _last_available_minute(now: float, delay: float) -> int:
    """Index of the newest one-minute datapoint published by `now` (-1 if none)."""
    return math.floor((now - delay) / SECONDS_PER_MINUTE) - 1


def _all_above(values: list[float], threshold: float) -> bool:
    return bool(values) and all(v > threshold for v in values)  # NaN (no datapoint) compares False


def _all_below(values: list[float], threshold: float) -> bool:
    return bool(values) and all(v < threshold for v in values)


class _TargetTracking:
    """Target tracking as Application Auto Scaling runs it: 3 datapoints above, 15 below 90%."""

    def __init__(self, fleet: TargetTrackingFleet, settings: Settings):
        self.fleet = fleet
        self.settings = settings
        self.out_until = -math.inf
        self.in_until = -math.inf

    def decide(self, now: float, metrics: _MinuteMetrics, running: int, desired: int) -> int:
        f, s = self.fleet, self.settings
        last = _last_available_minute(now, s.metric_delay_seconds)
        if last < 0:
            return desired
        if desired == 0:
            window = metrics.visible_max[max(0, last - limits.ZERO_TO_ONE_DATAPOINTS + 1) : last + 1]
            if len(window) >= limits.ZERO_TO_ONE_DATAPOINTS and all(
                v >= limits.ZERO_TO_ONE_VISIBLE_MESSAGES for v in window
            ):
                return min(f.max_capacity, max(limits.ZERO_TO_ONE_TASKS, f.min_capacity))
            return desired
        latest = metrics.backlog_per_task[last]
        out_window = metrics.backlog_per_task[max(0, last - s.scale_out_datapoints + 1) : last + 1]
        if (
            len(out_window) == s.scale_out_datapoints
            and _all_above(out_window, f.target_backlog_per_task)
            and now >= self.out_until
        ):
            wanted = min(f.max_capacity, math.ceil(running * latest / f.target_backlog_per_task))
            if wanted > desired:
                self.out_until = now + f.scale_out_cooldown_seconds
                return wanted
        in_window = metrics.backlog_per_task[max(0, last - s.scale_in_datapoints + 1) : last + 1]
        if (
            len(in_window) == s.scale_in_datapoints
            and _all_below(in_window, s.scale_in_fraction * f.target_backlog_per_task)
            and now >= self.in_until
            and now >= self.out_until
        ):
            wanted = max(f.min_capacity, math.ceil(running * latest / f.target_backlog_per_task))
            if wanted < desired:
                self.in_until = now + f.scale_in_cooldown_seconds
                return wanted
        return desired


class _Static:
    def __init__(self, fleet: StaticFleet):
        self.fleet = fleet

    def decide(self, now: float, metrics: _MinuteMetrics, running: int, desired: int) -> int:
        return self.fleet.tasks


class _CdkDefault:
    """CDK's two policies: step scaling on the 5-minute maximum of visible messages, and CPU target tracking."""

    def __init__(self, fleet: CdkDefaultFleet, settings: Settings):
        self.fleet = fleet
        self.settings = settings
        self.step_until = -math.inf
        self.cpu_out_until = -math.inf
        self.cpu_in_until = -math.inf
        self.period_minutes = max(1, fleet.metric_period_seconds // SECONDS_PER_MINUTE)

    def _step_change(self, value: float) -> int:
        for lower, upper, change in self.fleet.steps:
            if lower is None and value <= upper:
                return change
            if lower is not None and value >= lower and (upper is None or value < upper):
                return change
        return 0

    def decide(self, now: float, metrics: _MinuteMetrics, running: int, desired: int) -> int:
        f, s = self.fleet, self.settings
        last = _last_available_minute(now, s.metric_delay_seconds)
        proposals: list[int] = []
        # Step policy: the newest complete 5-minute window of visible messages (Maximum statistic).
        complete_windows = (last + 1) // self.period_minutes
        if complete_windows > 0 and now >= self.step_until:
            end = complete_windows * self.period_minutes
            value = max(metrics.visible_max[end - self.period_minutes : end])
            change = self._step_change(value)
            if change:
                proposals.append(desired + change)
                self.step_until = now + f.cooldown_seconds
        # CPU target tracking at cpu_target_percent.
        if last >= 0 and running > 0:
            latest = metrics.cpu_percent[last]
            out_window = metrics.cpu_percent[max(0, last - s.scale_out_datapoints + 1) : last + 1]
            in_window = metrics.cpu_percent[max(0, last - s.scale_in_datapoints + 1) : last + 1]
            if (
                len(out_window) == s.scale_out_datapoints
                and _all_above(out_window, f.cpu_target_percent)
                and now >= self.cpu_out_until
            ):
                wanted = math.ceil(running * latest / f.cpu_target_percent)
                if wanted > desired:
                    proposals.append(wanted)
                    self.cpu_out_until = now + f.cpu_scale_out_cooldown_seconds
            elif (
                len(in_window) == s.scale_in_datapoints
                and _all_below(in_window, s.scale_in_fraction * f.cpu_target_percent)
                and now >= self.cpu_in_until
                and now >= self.cpu_out_until
            ):
                wanted = math.ceil(running * latest / f.cpu_target_percent)
                if wanted < desired:
                    proposals.append(wanted)
                    self.cpu_in_until = now + f.cpu_scale_in_cooldown_seconds
        ups = [p for p in proposals if p > desired]
        downs = [p for p in proposals if p < desired]
        if ups:
            return min(f.max_capacity, max(ups))
        if downs:
            return max(f.min_capacity, max(downs))
        return desired


def _bounds(fleet: Fleet) -> tuple[int, int]:
    if isinstance(fleet, StaticFleet):
        return fleet.tasks, fleet.tasks
    return fleet.min_capacity, fleet.max_capacity


def _check_service(model: QueueModel, fleet: Fleet) -> None:
    if not model.processing_seconds > 0:
        raise SimulationError(f"processing_seconds must be > 0 (got {model.processing_seconds!r})")
    if model.concurrency_per_task < 1:
        raise SimulationError(f"concurrency_per_task must be >= 1 (got {model.concurrency_per_task!r})")
    low, high = _bounds(fleet)
    if low < 0 or high < low:
        raise SimulationError(f"capacity must satisfy 0 <= min <= max (got min {low}, max {high})")
    if isinstance(fleet, TargetTrackingFleet) and not fleet.target_backlog_per_task > 0:
        raise SimulationError(f"target_backlog_per_task must be > 0 (got {fleet.target_backlog_per_task!r})")


def _simulate_service(
    model: QueueModel, fleet: Fleet, scenario: Scenario, settings: Settings, progress: Progress | None
) -> _Run:
    _check_service(model, fleet)
    arrivals = scenario.arrivals_per_second
    total = arrivals.size
    minutes = math.ceil(total / SECONDS_PER_MINUTE)
    mu = model.per_task_messages_per_second
    t = model.processing_seconds
    cap = model.sink_messages_per_second
    metrics = _MinuteMetrics(
        backlog_per_task=[math.nan] * minutes,
        visible_max=[0.0] * minutes,
        cpu_percent=[math.nan] * minutes,
    )
    if isinstance(fleet, TargetTrackingFleet):
        controller: _TargetTracking | _Static | _CdkDefault = _TargetTracking(fleet, settings)
    elif isinstance(fleet, CdkDefaultFleet):
        controller = _CdkDefault(fleet, settings)
    else:
        controller = _Static(fleet)
    low, high = _bounds(fleet)
    first_rate = float(arrivals[:SECONDS_PER_MINUTE].mean()) if total else 0.0
    running = min(high, max(low, math.ceil(first_rate / mu - _FLUID_EPSILON_MESSAGES)))
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

    for m in range(minutes):
        s0 = m * SECONDS_PER_MINUTE
        s1 = min(total, s0 + SECONDS_PER_MINUTE)
        length = s1 - s0
        wanted = controller.decide(float(s0), metrics, running, desired)
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
        capacity = tasks * mu
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

        # This minute's datapoints: (visible + in flight) / running, visible maximum, CPU.
        back = starts_cum[pad + s0 + 1 - lag : pad + s1 + 1 - lag]
        ahead = starts_cum[pad + s0 + 2 - lag : pad + s1 + 2 - lag]
        in_flight = starts_cum[pad + s0 + 1 : pad + s1 + 1] - (back + fraction * (ahead - back))
        mean_tasks = float(tasks.sum()) / length
        metrics.visible_max[m] = math.floor(float(after.max()) + _FLUID_EPSILON_MESSAGES)
        if mean_tasks > 0:
            mean_in_flight = float(in_flight.sum()) / length
            backlog_count = math.floor(float(after.sum()) / length + mean_in_flight + 0.5)
            metrics.backlog_per_task[m] = backlog_count / mean_tasks
            busy = mean_in_flight / (mean_tasks * model.concurrency_per_task)
            metrics.cpu_percent[m] = min(1.0, busy) * settings.cpu_percent_when_busy
        if progress is not None and m % report_every == 0:
            progress(m / minutes)
    return _Run(starts=starts, running=running_per_second, billed=billed)


def _interp_cumulative(cumulative: np.ndarray, times: np.ndarray) -> np.ndarray:
    """A cumulative per-second curve (value at whole seconds) read at fractional times, 0 before 0."""
    clipped = np.clip(times, 0.0, cumulative.size - 1)
    whole = np.minimum(np.floor(clipped).astype(np.int64), cumulative.size - 2)
    frac = clipped - whole
    return cumulative[whole] + frac * (cumulative[whole + 1] - cumulative[whole])


# --- scheduled consumers ------------------------------------------------------------------------


def _simulate_scheduled(
    model: QueueModel, fleet: ScheduledFleet, scenario: Scenario, settings: Settings, progress: Progress | None
) -> _Run:
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
        batch = math.floor(min(fleet.batch_limit, arrived_cum[ready] - taken) + _FLUID_EPSILON_MESSAGES)
        batch = max(0, batch)
        taken += batch
        work_seconds = math.ceil(batch / c) * model.processing_seconds if batch else 0.0
        end = min(total, ready + math.ceil(work_seconds))
        running[launched:end] += 1
        # The batch starts c at a time, one round per processing_seconds: spread at mu per second.
        left = float(batch)
        second = ready
        while left > _FLUID_EPSILON_MESSAGES and second < total:
            step = min(mu, left)
            starts[second] += step
            left -= step
            second += 1
        if progress is not None and r % max(1, runs // 100) == 0:
            progress(r / runs)
    return _Run(starts=starts, running=running, billed=running.copy())


# --- Cloudflare consumers -----------------------------------------------------------------------


def _simulate_cloudflare(
    model: QueueModel, fleet: CloudflareFleet, scenario: Scenario, progress: Progress | None
) -> _Run:
    """One shard (the traffic splits evenly), scaled back up by the shard count by the caller.

    Concurrency is counted in consumer-seconds: an invocation holds one of max_concurrency
    slots for processing_seconds (a batch), so short batches recycle a slot within a second.
    """
    if fleet.batch_size < 1 or fleet.max_concurrency < 1 or fleet.shards < 1:
        raise SimulationError(
            f"Cloudflare consumers need shards, batch_size and max_concurrency >= 1 (got {fleet.shards!r}, "
            f"{fleet.batch_size!r}, {fleet.max_concurrency!r})"
        )
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
    report_every = max(1, total // 100)
    concurrency = float(fleet.max_concurrency)
    for i in range(total):
        visible += arrivals[i]
        free_batches = int((concurrency - committed[i]) / first_usage + _FLUID_EPSILON_MESSAGES)
        if free_batches > 0 and visible >= 1:
            allowance = visible if budget is None else min(visible, budget)
            full = min(free_batches, int((allowance + _FLUID_EPSILON_MESSAGES) // size))
            started = full * size
            batches = full
            rest = allowance - started
            if full < free_batches and rest >= 1:
                # The oldest waiting message: the first whole message not yet started.
                wanted = math.floor(started_total + started + _FLUID_EPSILON_MESSAGES) + 1
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
    return _Run(starts=starts, running=running, billed=running.copy())


# --- measuring a run ------------------------------------------------------------------------------


def _ages(arrived_cum: np.ndarray, arrivals: np.ndarray, deleted_cum: np.ndarray) -> np.ndarray:
    """Age of the oldest whole message not yet deleted, at the end of each second (0 when none)."""
    oldest = np.ceil(deleted_cum[1:] - _FLUID_EPSILON_MESSAGES) + 1
    present = arrived_cum[1:] >= oldest - _FLUID_EPSILON_MESSAGES
    index = np.searchsorted(arrived_cum, oldest - _FLUID_EPSILON_MESSAGES, side="left")
    index = np.clip(index, 0, arrived_cum.size - 1)
    previous = np.maximum(index - 1, 0)
    rate = np.where(index > 0, arrivals[np.minimum(previous, arrivals.size - 1)], 1.0)
    safe_rate = np.where(rate > 0, rate, 1.0)
    arrived_at = np.where(index > 0, previous + (oldest - arrived_cum[previous]) / safe_rate, 0.0)
    arrived_at = np.clip(arrived_at, 0.0, None)
    now = np.arange(1, arrivals.size + 1, dtype=float)
    return np.where(present, np.maximum(0.0, now - arrived_at), 0.0)


def _measure(
    model: QueueModel,
    fleet: Fleet,
    scenario: Scenario,
    run: _Run,
    scale: float,
    per_task_rate: float,
) -> SimulationResult:
    arrivals = scenario.arrivals_per_second
    total = arrivals.size
    arrived_cum = np.concatenate(([scenario.initial_backlog_messages], scenario.initial_backlog_messages + np.cumsum(arrivals)))
    starts_cum = np.concatenate(([0.0], np.cumsum(run.starts)))
    seconds = np.arange(0, total + 1, dtype=float)
    deleted_cum = _interp_cumulative(starts_cum, seconds - model.processing_seconds)
    ages = _ages(arrived_cum, arrivals, deleted_cum)
    waiting = np.maximum(0.0, arrived_cum - starts_cum)

    minutes = math.ceil(total / SECONDS_PER_MINUTE)
    padded = minutes * SECONDS_PER_MINUTE

    def per_minute(values: np.ndarray, how: str) -> np.ndarray:
        filled = np.concatenate((values, np.full(padded - values.size, values[-1] if values.size else 0.0)))
        shaped = filled.reshape(minutes, SECONDS_PER_MINUTE)
        return shaped.max(axis=1) if how == "max" else shaped.mean(axis=1)

    minute_max_age = per_minute(ages, "max")
    objective = model.max_age_seconds
    over = int(np.count_nonzero(minute_max_age > objective + _FLUID_EPSILON_MESSAGES))
    peak_index = int(np.argmax(waiting))
    peak = float(waiting[peak_index])
    if peak < limits.EMPTY_QUEUE_MESSAGES:
        drain: float | None = 0.0
    else:
        below = np.nonzero(waiting[peak_index:] < limits.EMPTY_QUEUE_MESSAGES)[0]
        drain = float(below[0]) if below.size else None
    processed = float(deleted_cum[-1])
    task_hours = float(run.billed.sum()) / limits.SECONDS_PER_HOUR * scale
    lower = processed * scale / per_task_rate / limits.SECONDS_PER_HOUR
    deleted_per_second = np.diff(deleted_cum)
    timeline = Timeline(
        minutes=np.arange(minutes, dtype=float),
        arrivals_per_second=per_minute(arrivals, "mean") * scale,
        throughput_per_second=per_minute(deleted_per_second, "mean") * scale,
        backlog_messages=per_minute(waiting[1:], "max") * scale,
        max_age_seconds=minute_max_age,
        tasks=per_minute(run.running, "mean") * scale,
    )
    return SimulationResult(
        workload=model.name,
        fleet=fleet.label,
        scenario=scenario.name,
        objective_seconds=objective,
        max_age_seconds=float(ages.max()) if ages.size else 0.0,
        p99_age_seconds=float(np.percentile(ages, limits.AGE_REPORT_PERCENTILE)) if ages.size else 0.0,
        minutes_over_objective=over,
        peak_backlog_messages=peak * scale,
        drain_seconds=drain,
        task_hours=task_hours,
        cost_usd=task_hours * model.task_usd_per_hour + processed * scale * model.usd_per_message,
        lower_bound_task_hours=lower,
        messages_arrived=float(arrived_cum[-1]) * scale,
        messages_processed=processed * scale,
        messages_left=float(arrived_cum[-1] - deleted_cum[-1]) * scale,
        duration_seconds=total,
        timeline=timeline,
    )


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
    if isinstance(fleet, ScheduledFleet):
        run = _simulate_scheduled(model, fleet, scenario, settings, progress)
        result = _measure(model, fleet, scenario, run, 1.0, model.per_task_messages_per_second)
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
        run = _simulate_cloudflare(shard_model, fleet, shard, progress)
        result = _measure(shard_model, fleet, shard, run, float(fleet.shards), fleet.batch_size / model.processing_seconds)
    else:
        run = _simulate_service(model, fleet, scenario, settings, progress)
        result = _measure(model, fleet, scenario, run, 1.0, model.per_task_messages_per_second)
    if progress is not None:
        progress(1.0)
    return result


# --- from a plan ------------------------------------------------------------------------------------


def sink_messages_per_second(sink: Sink | None, plan: WorkloadPlan, share: float = 1.0) -> float | None:
    """The messages per second the sink accepts from this queue (its share of it), or None when uncapped."""
    if sink is None:
        return None
    caps: list[float] = []
    if sink.requests_per_second is not None:
        per_request = sink.messages_per_request
        if sink.max_request_bytes is not None:
            per_request = min(per_request, max(1, sink.max_request_bytes // plan.message_bytes))
        if plan.batch_size:
            per_request = min(per_request, plan.batch_size)
            caps.append(sink.requests_per_second * plan.batch_size / math.ceil(plan.batch_size / per_request))
        else:
            caps.append(sink.requests_per_second * per_request)
    if sink.bytes_per_second is not None:
        caps.append(sink.bytes_per_second / plan.message_bytes)
    if sink.max_connections is not None and not plan.batch_size:
        slots = sink.max_connections / sink.connections_per_slot
        caps.append(slots / plan.processing_seconds)
    return min(caps) * share if caps else None


def model_from_plan(plan: WorkloadPlan, sink: Sink | None = None, share: float = 1.0) -> QueueModel:
    """The queue model of one WorkloadPlan; share is this queue's part of a sink its group shares."""
    cloudflare = plan.broker == "cloudflare"
    return QueueModel(
        name=plan.name,
        processing_seconds=plan.processing_seconds,
        concurrency_per_task=plan.batch_size if cloudflare and plan.batch_size else plan.concurrency_per_task,
        max_age_seconds=plan.max_age_seconds,
        sink_messages_per_second=None if plan.mode == "scheduled" else sink_messages_per_second(sink, plan, share),
        task_usd_per_hour=0.0 if cloudflare else task_usd_per_hour(plan.task_cpu, plan.task_memory_mib, plan.architecture),
        usd_per_message=cloudflare_usd_per_message(plan.message_bytes) if cloudflare else 0.0,
    )


def plan_fleet(
    plan: WorkloadPlan, min_capacity: int | None = None, target_backlog_per_task: float | None = None
) -> Fleet:
    """The fleet the plan provisions; min_capacity and target override the plan's (for tuning)."""
    if plan.broker == "cloudflare":
        return CloudflareFleet(
            shards=plan.shards or 1,
            batch_size=plan.batch_size or 1,
            max_wait_seconds=(plan.max_wait_time_ms or 0) / 1000,
            max_concurrency=plan.max_concurrency or 1,
        )
    if plan.mode == "scheduled":
        return ScheduledFleet(interval_seconds=plan.interval_seconds or 0, batch_limit=plan.batch_limit or 0)
    target = target_backlog_per_task if target_backlog_per_task is not None else plan.target_backlog_per_task
    return TargetTrackingFleet(
        min_capacity=plan.min_capacity if min_capacity is None else min_capacity,
        max_capacity=plan.max_capacity,
        target_backlog_per_task=target if target is not None else plan.concurrency_per_task,
        scale_out_cooldown_seconds=plan.scale_out_cooldown_seconds or limits.PLANNED_SCALE_OUT_COOLDOWN_SECONDS,
        scale_in_cooldown_seconds=plan.scale_in_cooldown_seconds or limits.PLANNED_SCALE_IN_COOLDOWN_SECONDS,
    )


def comparison_fleets(plan: WorkloadPlan) -> list[Fleet]:
    """The plan's fleet and, for autoscaled services, a static fleet at max capacity and CDK's default scaling."""
    own = plan_fleet(plan)
    if not isinstance(own, TargetTrackingFleet):
        return [own]
    return [
        own,
        StaticFleet(tasks=plan.max_capacity, label=f"static {plan.max_capacity} tasks"),
        CdkDefaultFleet(min_capacity=max(plan.min_capacity, 1), max_capacity=plan.max_capacity),
    ]
