"""Target tracking over the per-message queue with the minute loop compiled: a simulated day then costs its
messages, not 1,440 trips through Python for the autoscaler's decisions.

The kernel, messages.track_minutes, makes the same decisions minute for minute as
capacity/simulate/service.py's loop with TargetTrackingScaler and MessageQueue
(tests/test_simulate_tracking_loop.py runs both on the same runs and compares every figure).
That loop stays for static fleets, CDK's default scaling and the fluid queue. A run that
reports progress goes through in chunks of minutes: the loop's state lives in one array.
"""

from __future__ import annotations

import math

import numpy as np

from capacity import limits
from capacity.scale_in_band import band_steps
from capacity.simulate import messages as k
from capacity.simulate.model import (
    FLUID_EPSILON_MESSAGES,
    PROGRESS_REPORTS,
    SECONDS_PER_MINUTE,
    Progress,
    Run,
    Settings,
    SimulationError,
)


def band_arrays(fraction: float | None, target: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The band's step intervals as arrays (lower bound -inf for the unbounded one); empty without a band."""
    if fraction is None:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    steps = band_steps(fraction * target, target)
    lowers = np.array([-math.inf if s.lower_below_threshold is None else s.lower_below_threshold for s in steps])
    uppers = np.array([s.upper_below_threshold for s in steps])
    return lowers, uppers, np.array([s.percent for s in steps], dtype=np.int64)


class CompiledTracking:
    """The compiled loop's arrays for one run of a TargetTrackingFleet over a MessageQueue."""

    def __init__(self, fleet, settings: Settings, queue, minutes: int, total: int, running: int):
        self.queue = queue
        floors = np.array([fleet.floor_at(float(m * SECONDS_PER_MINUTE)) for m in range(minutes)], dtype=np.int64)
        self.floors = floors
        self.bands = band_arrays(fleet.scale_in_fraction, fleet.target_backlog_per_task)
        self.params = np.zeros(k.TRACK_PARAMS_SIZE)
        p = self.params
        p[k.P_CONCURRENCY], p[k.P_MAX_CAPACITY] = queue.concurrency, fleet.max_capacity
        p[k.P_TARGET] = fleet.target_backlog_per_task
        p[k.P_OUT_COOLDOWN], p[k.P_IN_COOLDOWN] = fleet.scale_out_cooldown_seconds, fleet.scale_in_cooldown_seconds
        p[k.P_BAND] = math.nan if fleet.scale_in_fraction is None else fleet.scale_in_fraction
        p[k.P_OWN_FRACTION] = settings.scale_in_fraction
        p[k.P_OUT_DATAPOINTS], p[k.P_IN_DATAPOINTS] = settings.scale_out_datapoints, settings.scale_in_datapoints
        p[k.P_METRIC_DELAY], p[k.P_MAX_LAUNCHES] = settings.metric_delay_seconds, settings.max_launches_per_minute
        p[k.P_TASK_START], p[k.P_IDLE_AFTER] = settings.task_start_seconds, settings.idle_after_seconds
        p[k.P_IDLE_LAG], p[k.P_CPU_BUSY] = settings.idle_metric_lag_seconds, settings.cpu_percent_when_busy
        p[k.P_GAP], p[k.P_TOTAL_SECONDS] = queue.gap, total
        p[k.P_WAKE_DATAPOINTS], p[k.P_WAKE_VISIBLE] = limits.ZERO_TO_ONE_DATAPOINTS, limits.ZERO_TO_ONE_VISIBLE_MESSAGES
        p[k.P_WAKE_TASKS], p[k.P_MIN_REMOVED] = limits.ZERO_TO_ONE_TASKS, limits.SCALE_IN_MIN_ADJUSTMENT_TASKS
        p[k.P_EMPTY_QUEUE], p[k.P_EPSILON] = limits.EMPTY_QUEUE_MESSAGES, FLUID_EPSILON_MESSAGES
        p[k.P_SECONDS_PER_MINUTE] = SECONDS_PER_MINUTE
        self.state = np.zeros(k.TRACK_STATE_SIZE)
        s = self.state
        s[k.S_RUNNING] = s[k.S_DESIRED] = running
        s[k.S_STALE_FROM] = -1
        s[k.S_STALE_UNTIL] = s[k.S_OUT_UNTIL] = s[k.S_IN_UNTIL] = s[k.S_FLOOR_DROPPED_AT] = -math.inf
        s[k.S_FLOOR] = floors[0] if minutes else fleet.floor_at(0.0)
        self.backlog_per_task = np.full(minutes, np.nan)
        self.visible_max = np.zeros(minutes)
        self.cpu_percent = np.full(minutes, np.nan)
        self.backlog = np.zeros(minutes)
        self.billed = np.zeros(total)
        self.pending_at = np.zeros(minutes + 1)
        self.pending_count = np.zeros(minutes + 1, dtype=np.int64)
        self.action_seconds = np.zeros(minutes, dtype=np.int64)
        self.action_kinds = np.zeros(minutes, dtype=np.int64)

    def run(self, m_start: int, m_end: int) -> None:
        q = self.queue
        code = k.track_minutes(m_start, m_end, self.state, self.params, self.floors, *self.bands,
                               self.backlog_per_task, self.visible_max, self.cpu_percent, self.backlog, self.billed,
                               self.pending_at, self.pending_count, self.action_seconds, self.action_kinds, q.arrive,
                               q.work, q.deleted_at, q.heap, q.state, q.last_start, q.starts, q.deletes, q.running,
                               q.out, q.join_seconds, q.join_tasks)
        if code == k.TRACK_TOO_MANY_JOINS:
            raise SimulationError(f"more than {q.join_seconds.size} launches join in one minute")

    def actions(self) -> list[tuple[int, str]]:
        n = int(self.state[k.S_ACTIONS])
        return [(int(at), "out" if kind == k.TRACK_ACTION_OUT else "in")
                for at, kind in zip(self.action_seconds[:n], self.action_kinds[:n])]

    def finish(self) -> Run:
        """The run's figures, measured off its messages as MessageQueue.finish does."""
        run = Run(starts=np.zeros(0), running=np.zeros(0), billed=self.billed,
                  task_launches=int(self.state[k.S_LAUNCHES]), scheduled_actions=int(self.state[k.S_SCHEDULED]),
                  actions=self.actions(), backlog_messages=self.backlog)
        return self.queue.finish(run)


def run_compiled(fleet, settings: Settings, queue, minutes: int, total: int, running: int,
                 progress: Progress | None) -> Run:
    """The whole run of a target tracking fleet over a MessageQueue, in one call (or in chunks, with progress)."""
    tracking = CompiledTracking(fleet, settings, queue, minutes, total, running)
    if progress is None:
        tracking.run(0, minutes)
    else:
        step = max(1, minutes // PROGRESS_REPORTS)
        for start in range(0, minutes, step):
            tracking.run(start, min(minutes, start + step))
            progress(start / minutes)
    return tracking.finish()
