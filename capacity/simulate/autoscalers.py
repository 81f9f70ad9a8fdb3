"""The service autoscalers, minute by minute: the plan's target tracking, a static fleet, CDK's default step scaling."""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity import limits
from capacity.scale_in_band import tasks_removed
from capacity.simulate.model import (
    SECONDS_PER_MINUTE,
    CdkDefaultFleet,
    Fleet,
    QueueModel,
    Settings,
    SimulationError,
    StaticFleet,
    TargetTrackingFleet,
)


@dataclass
class MinuteMetrics:
    """What CloudWatch would hold for each minute of the run, filled as the run goes."""

    backlog_per_task: list[float]
    visible_max: list[float]
    cpu_percent: list[float]
    # An idle queue's SQS datapoints from minute stale_from on are not published before stale_until.
    stale_from: int = -1
    stale_until: float = -math.inf

    def newest(self, now: float, delay: float) -> int:
        """The newest datapoint a policy can read at `now`, with the idle queue's late metrics."""
        last = last_available_minute(now, delay)
        if now < self.stale_until:
            last = min(last, self.stale_from - 1)
        return last


def last_available_minute(now: float, delay: float) -> int:
    """Index of the newest one-minute datapoint published by `now` (-1 if none)."""
    return math.floor((now - delay) / SECONDS_PER_MINUTE) - 1


def all_above(values: list[float], threshold: float) -> bool:
    return bool(values) and all(v > threshold for v in values)  # NaN (no datapoint) compares False


def all_below(values: list[float], threshold: float) -> bool:
    return bool(values) and all(v < threshold for v in values)


class TargetTrackingScaler:
    """Target tracking as Application Auto Scaling runs it: 3 datapoints above, 15 below 90%.

    With a scale-in band (fleet.scale_in_fraction) the policy only scales out, and the band's
    step policy scales in after 15 datapoints below its threshold (capacity/scale_in_band.py),
    after its own cooldown only: target tracking's cooldowns do not block another policy's
    scale-in (PutScalingPolicy API reference).

    Cooldowns as AWS documents them: during the scale-out cooldown a new scale-out happens
    only when it asks for more capacity than the last one did; scale-in waits for both.
    Scheduled actions set min capacity at their times (raising the fleet when it is below);
    `cause` says who made the last change: "out", "in" (the policies) or "scheduled".
    """

    def __init__(self, fleet: TargetTrackingFleet, settings: Settings):
        self.fleet = fleet
        self.settings = settings
        self.out_until = -math.inf
        self.in_until = -math.inf
        self.last_out_capacity = 0
        self.cause = ""
        self.floor = fleet.floor_at(0.0)
        self.floor_dropped_at = -math.inf

    def decide(self, now: float, metrics: MinuteMetrics, running: int, desired: int) -> int:
        floor = self.fleet.floor_at(now)
        if floor < self.floor:
            self.floor_dropped_at = now
        self.floor = floor
        wanted = self._policy(now, metrics, running, desired, floor)
        if wanted < floor:
            wanted = floor
        if wanted > desired and self.cause != "out":
            self.cause = "scheduled"
        if wanted < desired and now - self.floor_dropped_at <= SECONDS_PER_MINUTE:
            self.cause = "scheduled"  # releasing capacity the schedule held: the schedule's decision
        return wanted

    def _policy(self, now: float, metrics: MinuteMetrics, running: int, desired: int, floor: int) -> int:
        f, s = self.fleet, self.settings
        self.cause = ""
        last = metrics.newest(now, s.metric_delay_seconds)
        if last < 0:
            return desired
        if desired == 0:
            window = metrics.visible_max[max(0, last - limits.ZERO_TO_ONE_DATAPOINTS + 1) : last + 1]
            if len(window) >= limits.ZERO_TO_ONE_DATAPOINTS and all(
                v >= limits.ZERO_TO_ONE_VISIBLE_MESSAGES for v in window
            ):
                self.cause = "out"
                return min(f.max_capacity, max(limits.ZERO_TO_ONE_TASKS, floor))
            return desired
        latest = metrics.backlog_per_task[last]
        out_window = metrics.backlog_per_task[max(0, last - s.scale_out_datapoints + 1) : last + 1]
        if len(out_window) == s.scale_out_datapoints and all_above(out_window, f.target_backlog_per_task):
            wanted = min(f.max_capacity, math.ceil(running * latest / f.target_backlog_per_task))
            # In the cooldown only a larger scale-out than the last one goes ahead (AWS docs).
            if wanted > desired and (now >= self.out_until or wanted > self.last_out_capacity):
                self.out_until = now + f.scale_out_cooldown_seconds
                self.last_out_capacity = wanted
                self.cause = "out"
                return wanted
        in_window = metrics.backlog_per_task[max(0, last - s.scale_in_datapoints + 1) : last + 1]
        fraction = s.scale_in_fraction if f.scale_in_fraction is None else f.scale_in_fraction
        if (
            desired > floor  # at its floor a fleet cannot scale in, whatever the alarm says
            and len(in_window) == s.scale_in_datapoints
            and all_below(in_window, fraction * f.target_backlog_per_task)
            and now >= self.in_until
            and (now >= self.out_until or f.scale_in_fraction is not None)
        ):
            wanted = max(floor, math.ceil(running * latest / f.target_backlog_per_task) if f.scale_in_fraction is None
                         else desired - tasks_removed(desired, latest, fraction * f.target_backlog_per_task,
                                                      f.target_backlog_per_task))
            if wanted < desired:
                self.in_until = now + f.scale_in_cooldown_seconds
                self.cause = "in"
                return wanted
        return desired


class StaticScaler:
    def __init__(self, fleet: StaticFleet):
        self.fleet = fleet

    def decide(self, now: float, metrics: MinuteMetrics, running: int, desired: int) -> int:
        return self.fleet.tasks


class CdkDefaultScaler:
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

    def decide(self, now: float, metrics: MinuteMetrics, running: int, desired: int) -> int:
        f, s = self.fleet, self.settings
        last = metrics.newest(now, s.metric_delay_seconds)
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
                and all_above(out_window, f.cpu_target_percent)
                and now >= self.cpu_out_until
            ):
                wanted = math.ceil(running * latest / f.cpu_target_percent)
                if wanted > desired:
                    proposals.append(wanted)
                    self.cpu_out_until = now + f.cpu_scale_out_cooldown_seconds
            elif (
                len(in_window) == s.scale_in_datapoints
                and all_below(in_window, s.scale_in_fraction * f.cpu_target_percent)
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


def fleet_bounds(fleet: Fleet) -> tuple[int, int]:
    if isinstance(fleet, StaticFleet):
        return fleet.tasks, fleet.tasks
    return fleet.min_capacity, fleet.max_capacity


def check_service(model: QueueModel, fleet: Fleet) -> None:
    if not model.processing_seconds > 0:
        raise SimulationError(f"processing_seconds must be > 0 (got {model.processing_seconds!r})")
    if model.concurrency_per_task < 1:
        raise SimulationError(f"concurrency_per_task must be >= 1 (got {model.concurrency_per_task!r})")
    low, high = fleet_bounds(fleet)
    if low < 0 or high < low:
        raise SimulationError(f"capacity must satisfy 0 <= min <= max (got min {low}, max {high})")
    if isinstance(fleet, TargetTrackingFleet) and not fleet.target_backlog_per_task > 0:
        raise SimulationError(f"target_backlog_per_task must be > 0 (got {fleet.target_backlog_per_task!r})")
