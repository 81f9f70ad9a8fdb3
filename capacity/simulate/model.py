"""What is simulated (a queue, its fleet, the settings) and what a run yields (the result, its timeline)."""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

from capacity import limits

SECONDS_PER_MINUTE = limits.SECONDS_PER_MINUTE
# Below this many messages a fluid queue counts as holding nothing (rounding noise).
FLUID_EPSILON_MESSAGES = 1e-9
# A run that reports progress does so about this many times (a progress bar's steps).
PROGRESS_REPORTS = 100

Progress = Callable[[float], None]


class SimulationError(ValueError):
    """A model or fleet that cannot be simulated, with the field and the allowed values."""


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
    # SQS metrics of a queue idle this long arrive idle_metric_lag_seconds late when it wakes.
    idle_after_seconds: float = limits.SQS_IDLE_AFTER_SECONDS
    idle_metric_lag_seconds: float = limits.SQS_IDLE_METRIC_LAG_SECONDS
    # With a seed: Poisson arrivals and lognormal processing times (mean and p99 of the model).
    random_seed: int | None = None
    # How a service's queue is modelled: "messages" (each whole message, exact ages), "fluid" (rates), or
    # "auto": messages up to limits.SIM_PER_MESSAGE_MAX_MESSAGES in the run, a fluid beyond.
    queue_model: str = "auto"


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
    processing_p99_seconds: float | None = None

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
    # Scheduled actions: (second of the day, min capacity from then on), repeated daily.
    schedule: tuple[tuple[int, int], ...] = ()
    # The second of the schedule's local day at which the run starts (0: local midnight).
    start_second_of_day: int = 0
    # A run that is a first deploy: the fleet starts with this many tasks and keeps it as its min until the
    # schedule's first action after the start (None: a fleet already running, sized for the first minute).
    deploy_min_capacity: int | None = None
    # Scale-in band (limits.SCALE_IN_BAND_FRACTIONS): None, target tracking scales in below 90% of the target;
    # else its scale-in is disabled and a step policy scales in (capacity/scale_in_band.py) while 15 datapoints
    # sit below this fraction of the target.
    scale_in_fraction: float | None = None

    def seconds_to_first_action(self) -> float:
        """Seconds from the run's start to the first scheduled action (inf without a schedule)."""
        if not self.schedule:
            return math.inf
        start = self.start_second_of_day % limits.SECONDS_PER_DAY
        return min((at - start) % limits.SECONDS_PER_DAY or limits.SECONDS_PER_DAY for at, _ in self.schedule)

    def floor_at(self, second: float) -> int:
        """The min capacity in force at `second` of the run (the schedule's latest action, else min_capacity)."""
        if self.deploy_min_capacity is not None and second < self.seconds_to_first_action():
            return self.deploy_min_capacity
        if not self.schedule:
            return self.min_capacity
        of_day = (second + self.start_second_of_day) % limits.SECONDS_PER_DAY
        ordered = sorted(self.schedule)
        current = ordered[-1][1]  # yesterday's last action holds until today's first
        for at, value in ordered:
            if at <= of_day:
                current = value
        return current


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
    task_launches: int = 0
    scale_out_actions: int = 0
    scale_in_actions: int = 0
    scheduled_actions: int = 0
    longest_hold_seconds: float = 0.0
    smallest_fleet: int = 0
    largest_fleet: int = 0
    # (second, "out" | "in") of every scaling action the policies took (not the schedule's).
    action_seconds: tuple[tuple[int, str], ...] = field(default=(), repr=False)

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
            "task_launches": self.task_launches,
            "scale_out_actions": self.scale_out_actions,
            "scale_in_actions": self.scale_in_actions,
            "scheduled_actions": self.scheduled_actions,
            "longest_hold_seconds": round(self.longest_hold_seconds, 1),
            "smallest_fleet": self.smallest_fleet,
            "largest_fleet": self.largest_fleet,
        }


@dataclass
class Run:
    """Per-second arrays of one run: starts and tasks in each second (billed counts starting tasks)."""

    starts: np.ndarray
    running: np.ndarray
    billed: np.ndarray
    task_launches: int | None = None
    scheduled_actions: int = 0
    actions: list[tuple[int, str]] = field(default_factory=list)
    # Processing seconds of the messages started in each second (None: the model's mean).
    processing: np.ndarray | None = None
    # A per-message run measures itself: whole messages arriving and deleted in each second, the age of
    # the oldest at the end of each second and its exact maximum in each minute (None: read off the curves).
    arrivals: np.ndarray | None = None
    deleted: np.ndarray | None = None
    ages: np.ndarray | None = None
    minute_max_ages: np.ndarray | None = None
    # Each message's arrival and deletion second (inf: not deleted by the end), per-message runs only.
    message_times: tuple[np.ndarray, np.ndarray] | None = None
    # Each minute's mean of visible + in flight messages before CloudWatch rounds it (services only).
    backlog_messages: np.ndarray | None = None
