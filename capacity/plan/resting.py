"""Where target tracking rests at a steady rate, and whether the metric's own noise makes it scale there.

At a steady rate the metric (visible + in flight) / running tasks is the messages in the
system over the fleet, one datapoint a minute. With Poisson arrivals that count moves, so a
fleet resting with its metric just under the target reads above it for three minutes now
and then, scales out, finds itself well under and scales back in: flapping. `qcap plan --verify`
measures the count's one-minute means on a static fleet (simulated message by message, so
queueing and a processing tail count) and asks how often target tracking's two alarms
would fire from noise alone in the flap window.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.erlang import erlang_c
from capacity.plan.formatting import num
from capacity.simulate import QueueModel, Settings, StaticFleet
from capacity.simulate.messages import lognormal_sigma
from capacity.simulate.service import simulate_service


def metric_noise_messages(rate_per_second: float, slot_seconds: float, p99_seconds: float | None) -> float:
    """Standard deviation of a one-minute mean of the messages in the system (queued + in flight), Poisson arrivals.

    Each message is in the system for its processing time S (lognormal with the slot's mean
    and p99); the one-minute mean of an M/G/inf count has variance rate x E[S^2] / 60 s (the metric's period).
    """
    sigma = lognormal_sigma(slot_seconds, p99_seconds)
    second_moment = slot_seconds * slot_seconds * math.exp(sigma * sigma)
    return math.sqrt(max(0.0, rate_per_second) * second_moment / limits.SQS_METRIC_PERIOD_SECONDS)


def busy_messages(rate_per_second: float, slot_seconds: float) -> float:
    """Messages in the system on average at a steady rate (Little's law: rate x slot time)."""
    return rate_per_second * slot_seconds


@lru_cache(maxsize=4096)
def metric_at(rate_per_second: float, slot_seconds: float, p99_seconds: float | None, concurrency_per_task: int,
              tasks: int) -> tuple[float, float]:
    """Mean and standard deviation of each minute's mean of visible + in flight messages for a static fleet of
    `tasks` at this constant rate: simulated message by message (seed RESTING_NOISE_SEED), after a warm-up.

    Queueing lifts the mean above rate x slot time when the slots are busy, and its bursts,
    with a long processing tail, spread the datapoints well past the M/G/inf figure.
    """
    if rate_per_second <= 0:
        return 0.0, 0.0
    measured = max(limits.RESTING_NOISE_MIN_SECONDS,
                   min(limits.RESTING_NOISE_SECONDS, limits.RESTING_NOISE_MESSAGES / rate_per_second))
    seconds = limits.RESTING_NOISE_WARMUP_SECONDS + measured
    if rate_per_second * seconds > limits.RESTING_NOISE_MAX_SIMULATED_MESSAGES:
        return unsimulated_metric(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task, tasks)
    model = QueueModel("resting", slot_seconds, concurrency_per_task, math.inf, processing_p99_seconds=p99_seconds)
    scenario = sc.constant(rate_per_second, seconds / limits.SECONDS_PER_DAY)
    run = simulate_service(model, StaticFleet(tasks=max(1, tasks)), scenario,
                           Settings(random_seed=limits.RESTING_NOISE_SEED, queue_model="messages"), None)
    assert run.backlog_messages is not None
    counts = run.backlog_messages[limits.RESTING_NOISE_WARMUP_SECONDS // limits.SQS_METRIC_PERIOD_SECONDS:]
    return float(np.mean(counts)), float(np.std(counts))


def unsimulated_metric(rate_per_second: float, slot_seconds: float, p99_seconds: float | None,
                       concurrency_per_task: int, tasks: int) -> tuple[float, float]:
    """Mean and spread of the one-minute means for a fleet too busy to simulate: the busy count plus the M/M/c
    queue's mean length (Erlang C), and the M/G/inf deviation widened by RESTING_UNSIMULATED_SPREAD_RATIO
    (infinite mean when the slots cannot keep up)."""
    servers = max(1, tasks) * concurrency_per_task
    offered = busy_messages(rate_per_second, slot_seconds)
    if servers <= offered:
        return math.inf, 0.0
    load = offered / servers
    queue = erlang_c(servers, offered) * load / (1 - load)
    spread = metric_noise_messages(rate_per_second, slot_seconds, p99_seconds) * limits.RESTING_UNSIMULATED_SPREAD_RATIO
    return offered + queue, spread


def above(room: float, spread: float) -> float:
    """The chance that one minute's mean lands `room` or more away from its mean on one side (normal)."""
    if spread <= 0:
        return 0.0 if room > 0 else 1.0
    return 0.5 * math.erfc(room / (spread * math.sqrt(2.0)))


def scale_out_point(tasks: int, target_backlog_per_task: float) -> float:
    """The minute's mean count above which its datapoint (a whole number of messages / tasks) exceeds the target."""
    return math.floor(tasks * target_backlog_per_task + limits.RESTING_ROUNDING_TASKS) + 0.5


def scale_in_point(tasks: int, target_backlog_per_task: float) -> float:
    """The minute's mean count below which its datapoint asks for fewer tasks: ceil(count / target) < tasks."""
    return math.floor((tasks - 1) * target_backlog_per_task + limits.RESTING_ROUNDING_TASKS) + 0.5


def band_point(tasks: int, target_backlog_per_task: float, scale_in_fraction: float) -> float:
    """The minute's mean count below which its datapoint (whole messages / tasks) is under the band's scale-in
    threshold, scale_in_fraction x the target."""
    return math.ceil(scale_in_fraction * target_backlog_per_task * tasks - limits.RESTING_ROUNDING_TASKS) - 0.5


def rest_in_band(rate_per_second: float, slot_seconds: float, p99_seconds: float | None, concurrency_per_task: int,
                 target_backlog_per_task: float, min_capacity: int, max_capacity: int,
                 scale_in_fraction: float) -> tuple[bool, str]:
    """Whether target tracking with a scale-in band (limits.SCALE_IN_BAND_FRACTIONS) rests steadily at this rate.

    Noise scales the fleet out until its metric's mean has room under the target (expected
    scale-outs in the flap window at most RESTING_MAX_EXPECTED_ACTIONS); a scale-out lands as high
    as ceil(whole count / target) from a datapoint SCALE_OUT_LANDING_DEVIATIONS above the mean (the count the
    metric rounds to). The band's step policy then must not scale in from
    noise there: 15 one-minute means in a row below scale_in_fraction x the target.
    """
    tasks, mean, spread = _resting_fleet(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task,
                                         target_backlog_per_task, min_capacity, max_capacity)
    resting = tasks
    window = limits.FLAP_WINDOW_SECONDS / limits.SQS_METRIC_PERIOD_SECONDS
    # Past the queueing the count hardly depends on the fleet: its mean and spread are kept as tasks are added.
    while tasks < max_capacity and window * above(
            scale_out_point(tasks, target_backlog_per_task) - mean, spread
    ) ** limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS > limits.RESTING_MAX_EXPECTED_ACTIONS:
        tasks += 1
    if not math.isfinite(mean):
        return True, ""  # even max capacity cannot keep up: it stays there, and the objective says so
    # The scale-out fires from the resting fleet, measured even where _resting_fleet rejected it unsimulated.
    fired_mean, fired_spread = metric_at(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task, resting)
    if not math.isfinite(fired_mean):
        fired_mean, fired_spread = mean, spread
    count = math.floor(fired_mean + limits.SCALE_OUT_LANDING_DEVIATIONS * fired_spread + 0.5)  # the whole messages
    landed = min(max_capacity, max(tasks, math.ceil(count / target_backlog_per_task - limits.RESTING_ROUNDING_TASKS)))
    if landed <= min_capacity:
        return True, ""
    mean, spread = metric_at(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task, landed)
    room = mean - band_point(landed, target_backlog_per_task, scale_in_fraction)
    ins = window * above(room, spread) ** limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS
    if ins > limits.RESTING_MAX_EXPECTED_ACTIONS:
        return False, (f"noise scales it out to {landed} tasks, {num(round(room, 2))} messages above the band's "
                       f"scale-in point{_deviations(room, spread)}, so its step policy scales in about "
                       f"{num(round(ins, 2))} times in 6 h")
    return True, ""


def _resting_fleet(rate_per_second: float, slot_seconds: float, p99_seconds: float | None, concurrency_per_task: int,
                   target_backlog_per_task: float, min_capacity: int, max_capacity: int) -> tuple[int, float, float]:
    """The fewest tasks from min capacity whose metric's mean stays under the scale-out point, with that metric's
    mean and spread (an M/G/inf bound for a fleet clearly too small to simulate)."""
    busy = busy_messages(rate_per_second, slot_seconds)
    wanted = math.ceil(busy / target_backlog_per_task - limits.RESTING_ROUNDING_TASKS)
    tasks = min(max_capacity, max(min_capacity, wanted))
    bound = metric_noise_messages(rate_per_second, slot_seconds, p99_seconds) * limits.RESTING_NOISE_BOUND_RATIO
    quick = limits.RESTING_QUICK_REJECT_DEVIATIONS * bound
    if tasks < max_capacity and scale_out_point(tasks, target_backlog_per_task) - busy < quick:
        return tasks, busy, bound  # rejected before it is simulated
    mean, spread = metric_at(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task, tasks)
    while tasks < max_capacity and mean >= scale_out_point(tasks, target_backlog_per_task):
        tasks += 1  # queueing lifts the metric past the target: target tracking adds a task
        mean, spread = metric_at(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task, tasks)
    return tasks, mean, spread


def rest_at(rate_per_second: float, slot_seconds: float, p99_seconds: float | None, concurrency_per_task: int,
            target_backlog_per_task: float, min_capacity: int, max_capacity: int,
            scale_in_fraction: float | None = None) -> tuple[bool, str]:
    """Whether target tracking rests steadily at this constant rate, and if not why (for a reason).

    The fleet rests at the fewest tasks, from min capacity, whose metric stays under the
    target (from ceil(busy / target) up, as queueing lifts the metric). Taking the one-minute
    means as normal and independent, it expects window x P(above the scale-out point)^3
    scale-outs (none at max capacity) and, above min capacity, window x P(below the point of
    one task fewer) x P(below 90% of the target)^14 scale-ins; each must be at most
    RESTING_MAX_EXPECTED_ACTIONS. A quick M/G/inf bound rejects a fleet before it is simulated.
    With a scale-in band (scale_in_fraction), rest_in_band judges it.
    """
    if scale_in_fraction is not None:
        return rest_in_band(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task, target_backlog_per_task,
                            min_capacity, max_capacity, scale_in_fraction)
    tasks, mean, spread = _resting_fleet(rate_per_second, slot_seconds, p99_seconds, concurrency_per_task,
                                         target_backlog_per_task, min_capacity, max_capacity)
    window = limits.FLAP_WINDOW_SECONDS / limits.SQS_METRIC_PERIOD_SECONDS
    room_out = scale_out_point(tasks, target_backlog_per_task) - mean
    outs = 0.0 if tasks >= max_capacity else window * above(room_out, spread) ** limits.TARGET_TRACKING_SCALE_OUT_DATAPOINTS
    if outs > limits.RESTING_MAX_EXPECTED_ACTIONS:
        return False, (f"it rests at {tasks} tasks with {num(round(room_out, 2))} messages between the metric's "
                       f"mean and its scale-out point{_deviations(room_out, spread)}, so noise scales it out about "
                       f"{num(round(outs, 2))} times in 6 h")
    room_in = mean - scale_in_point(tasks, target_backlog_per_task)
    low = limits.TARGET_TRACKING_SCALE_IN_FRACTION * tasks * target_backlog_per_task
    ins = 0.0 if tasks <= min_capacity else (
        window * above(room_in, spread) * above(mean - low, spread) ** (limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS - 1))
    if ins > limits.RESTING_MAX_EXPECTED_ACTIONS:
        return False, (f"it rests at {tasks} tasks, {num(round(room_in, 2))} messages above the point where one "
                       f"task fewer would do{_deviations(room_in, spread)}, so noise scales it in about "
                       f"{num(round(ins, 2))} times in 6 h")
    return True, ""


def _deviations(room: float, spread: float) -> str:
    """" (1.2 standard deviations of its one-minute means)", or "" for a metric that does not move."""
    return f" ({room / spread:.1f} standard deviations of its one-minute means)" if spread > 0 else ""


def resting_peak_tasks(peak_per_second: float, mu: float, utilization: float) -> tuple[int, int]:
    """The fleets target tracking rests at for the peak: from ceil(peak / (per-task rate x utilization)) up to
    ceil(that / 0.9), the largest that scale-in (below 90% of the target for 15 minutes) may leave alone.

    Max capacity at or below the top of that band pins the fleet at its ceiling every peak (and pages) while
    the objective holds.
    """
    if peak_per_second <= 0 or mu <= 0:
        return 0, 0
    fleet = peak_per_second / (mu * utilization)
    low = math.ceil(fleet - 1e-9)
    # Rounded up, not down: where the fleet lands in the band depends on how it got there (a scale-out that
    # overshoots, then a scale-in that rounds up), and the tail adds to the in-flight count.
    return low, max(low, math.ceil(fleet / limits.TARGET_TRACKING_SCALE_IN_FRACTION - 1e-9))


def needs_peak_room(peak_per_second: float, mu: float, utilization: float, min_capacity: int,
                    max_capacity: int) -> bool:
    """Whether max capacity is at or below the top of the band the fleet rests in at the peak (so it would sit at
    its ceiling every peak); a fleet pinned at min = max, at least the resting fleet, keeps its size."""
    resting, top = resting_peak_tasks(peak_per_second, mu, utilization)
    return not (min_capacity >= max_capacity >= resting or top < max_capacity)


def max_with_peak_room(peak_per_second: float, mu: float, utilization: float, min_capacity: int, max_capacity: int,
                       ceiling: float) -> int:
    """Max capacity one task above that band where it needs room, as far as `ceiling` (the tightest downstream
    cap in tasks) allows, and never below what it was."""
    if not needs_peak_room(peak_per_second, mu, utilization, min_capacity, max_capacity):
        return max_capacity
    _, top = resting_peak_tasks(peak_per_second, mu, utilization)
    return max(max_capacity, int(min(top + 1, ceiling)))
