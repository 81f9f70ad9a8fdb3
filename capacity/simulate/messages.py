"""The per-message queue: each message arrives, takes the first slot to come free, runs its own time, is deleted.

A service's slots (tasks x concurrency) sit in a heap keyed by the second each comes free,
so FIFO over many slots is exact for whole messages: the next message starts at the later
of its arrival and the earliest free slot (and, under a sink cap, one start interval after
the previous start). Tasks the autoscaler stops retire the first of their slots to come
free, as a draining worker does. The inner loops are compiled with numba (`cache=True`
keeps the machine code next to this file, so only the first run on a machine compiles).

The age of the oldest message not yet deleted is exact: within any stretch of time its
largest value is the age at the stretch's end or, for a message deleted inside it, that
message's whole time in the queue.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from capacity import limits

# Below this many messages a cumulative arrival curve has not yet reached the next whole message (the
# rounding of summing many per-second rates stays well inside it).
WHOLE_MESSAGE_EPSILON = 1e-6
# Per-minute results a minute's step writes into `out`, by index.
OUT_QUEUED_SUM, OUT_VISIBLE_MAX, OUT_IN_FLIGHT_SUM, OUT_TASKS_SUM, OUT_ARRIVED, OUT_VISIBLE_END = range(6)
OUT_SIZE = 6
# Counters a run carries from minute to minute in `state`, by index.
STATE_HEAP_SIZE, STATE_NEXT_MESSAGE, STATE_RETIRING_SLOTS, STATE_ARRIVED, STATE_STARTED, STATE_DELETED = range(6)
STATE_SIZE = 6


@njit(cache=True)
def _push(heap, size, value):
    """Add a slot's free time to the min-heap of `size` entries; returns the new size."""
    i = size
    heap[i] = value
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(heap, size):
    """Remove the earliest free time from the min-heap; returns (that time, the new size)."""
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child
    return top, size


@njit(cache=True)
def _replace_top(heap, size, value):
    """Swap the earliest free time for `value` in one pass down the heap (a pop and a push together)."""
    heap[0] = value
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child


@njit(cache=True)
def poisson_process_times(rates, gaps, backlog):
    """Arrival times of a Poisson process with these per-second rates: `backlog` messages at 0, then one each
    time the integrated rate has grown by the next standard exponential gap. Returns (times, counts, complete):
    counts[k] is how many of the arrivals (not the backlog) fall in second k (one the curve completes at the
    run's very end counts in its last second); complete is False when the gaps ran out before the run's end
    (draw more and call again)."""
    times = np.zeros(backlog + gaps.size)
    counts = np.zeros(rates.size)
    at = backlog
    used = 0
    level = 0.0
    if gaps.size == 0:
        return times[:at], counts, rates.size == 0
    last = rates.size - 1
    target = gaps[0]
    for k in range(rates.size):
        rate = rates[k]
        after = level + rate
        while target <= after:
            time = k + (target - level) / rate
            times[at] = time
            counts[min(int(time), last)] += 1.0
            at += 1
            used += 1
            if used == gaps.size:
                return times[:at], counts, False
            target += gaps[used]
        level = after
    return times[:at], counts, True


@njit(cache=True)
def fluid_arrival_times(rates, carried, backlog):
    """Arrival times of the whole messages of a fluid curve (message j arrives when the curve reaches j), and how
    many of them (not the backlog) fall in each second, as poisson_process_times counts them.

    `backlog` whole messages wait at 0 and `carried` (a fraction of a message) starts the curve.
    """
    level = carried
    for k in range(rates.size):
        level += rates[k]
    total = backlog + int(math.floor(level + WHOLE_MESSAGE_EPSILON))
    times = np.zeros(total)
    counts = np.zeros(rates.size)
    last = rates.size - 1
    at = backlog
    level = carried
    for k in range(rates.size):
        rate = rates[k]
        after = level + rate
        while at < total and (at - backlog + 1) <= after + WHOLE_MESSAGE_EPSILON:
            into = (at - backlog + 1) - level
            time = k + (min(1.0, max(0.0, into / rate)) if rate > 0 else 0.0)
            times[at] = time
            counts[min(int(time), last)] += 1.0
            at += 1
        level = after
    return times, counts


@njit(cache=True)
def serve_minute(s0, s1, tasks_at_start, join_seconds, join_tasks, n_joins, retire_tasks, concurrency,
                 start_gap_seconds, arrive, work, deleted_at, heap, state, last_start,
                 starts_per_second, deletes_per_second, tasks_per_second, out):
    """Run seconds [s0, s1): tasks join and retire, waiting messages take free slots, the minute's metrics.

    Message i takes work[i] seconds in its slot. `last_start` is a one-element array (the previous start, for
    the sink's start interval).
    """
    size = state[STATE_HEAP_SIZE]
    state[STATE_RETIRING_SLOTS] += retire_tasks * concurrency
    for s in range(s0, s1):
        tasks_per_second[s] = tasks_at_start
    for j in range(n_joins):
        ready = join_seconds[j]
        first = max(s0, int(math.ceil(ready)))
        for s in range(first, s1):
            tasks_per_second[s] += join_tasks[j]
        for _ in range(join_tasks[j] * concurrency):
            size = _push(heap, size, max(ready, float(s0)))
    total = deletes_per_second.size
    n = arrive.size
    nxt = state[STATE_NEXT_MESSAGE]
    retiring = state[STATE_RETIRING_SLOTS]
    previous = last_start[0]
    while nxt < n:
        arrived = arrive[nxt]
        if arrived >= s1:
            break
        while retiring > 0 and size > 0:  # a stopping task's slots leave as they come free
            _, size = _pop(heap, size)
            retiring -= 1
        if size == 0:
            break  # no slot at all: the message waits for a task to join
        start = max(arrived, heap[0], float(s0))
        if start_gap_seconds > 0.0:
            start = max(start, previous + start_gap_seconds)
        if start >= s1:
            break
        done = start + work[nxt]
        deleted_at[nxt] = done
        _replace_top(heap, size, done)
        starts_per_second[int(start)] += 1
        if done < total:
            deletes_per_second[int(done)] += 1
        previous = start
        nxt += 1
    last_start[0] = previous
    state[STATE_HEAP_SIZE] = size
    state[STATE_NEXT_MESSAGE] = nxt
    state[STATE_RETIRING_SLOTS] = retiring

    arrived_count = state[STATE_ARRIVED]
    started = state[STATE_STARTED]
    deleted = state[STATE_DELETED]
    queued_sum = 0.0
    visible_max = 0.0
    in_flight_sum = 0.0
    tasks_sum = 0.0
    before = arrived_count
    visible = 0
    for s in range(s0, s1):
        end = s + 1.0
        while arrived_count < n and arrive[arrived_count] < end:
            arrived_count += 1
        started += starts_per_second[s]
        deleted += deletes_per_second[s]
        visible = arrived_count - started
        in_flight = started - deleted
        queued_sum += visible
        in_flight_sum += in_flight
        if visible > visible_max:
            visible_max = visible
        tasks_sum += tasks_per_second[s]
    state[STATE_ARRIVED] = arrived_count
    state[STATE_STARTED] = started
    state[STATE_DELETED] = deleted
    out[OUT_QUEUED_SUM] = queued_sum
    out[OUT_VISIBLE_MAX] = visible_max
    out[OUT_IN_FLIGHT_SUM] = in_flight_sum
    out[OUT_TASKS_SUM] = tasks_sum
    out[OUT_ARRIVED] = arrived_count - before
    out[OUT_VISIBLE_END] = visible


# The compiled target tracking loop (track_minutes): its state between chunks of minutes, by index (integers
# held exactly as floats), its scalar settings, by index, and its codes. It lives here, beside serve_minute,
# so a change to either recompiles both (numba's cache watches the file a kernel is in).
(S_RUNNING, S_DESIRED, S_UNLAUNCHED, S_LAUNCHES, S_SCHEDULED, S_ACTIONS, S_ARRIVED, S_ACTIVE_AT, S_STALE_FROM,
 S_STALE_UNTIL, S_OUT_UNTIL, S_IN_UNTIL, S_LAST_OUT, S_FLOOR, S_FLOOR_DROPPED_AT, S_STARTED, S_PENDING_HEAD,
 S_PENDING_TAIL, S_PENDING_TOTAL) = range(19)
TRACK_STATE_SIZE = 19
(P_CONCURRENCY, P_MAX_CAPACITY, P_TARGET, P_OUT_COOLDOWN, P_IN_COOLDOWN, P_BAND, P_OWN_FRACTION, P_OUT_DATAPOINTS,
 P_IN_DATAPOINTS, P_METRIC_DELAY, P_MAX_LAUNCHES, P_TASK_START, P_IDLE_AFTER, P_IDLE_LAG, P_CPU_BUSY, P_GAP,
 P_TOTAL_SECONDS, P_WAKE_DATAPOINTS, P_WAKE_VISIBLE, P_WAKE_TASKS, P_MIN_REMOVED, P_EMPTY_QUEUE, P_EPSILON,
 P_SECONDS_PER_MINUTE) = range(24)
TRACK_PARAMS_SIZE = 24
TRACK_ACTION_OUT, TRACK_ACTION_IN = 1, -1
TRACK_TOO_MANY_JOINS = -1


@njit(cache=True)
def _band_removed(desired, latest, threshold, lowers, uppers, percents, min_removed):
    """Tasks the band's step policy removes at this datapoint (capacity/scale_in_band.tasks_removed)."""
    below = latest - threshold
    if not below < 0:
        return 0
    for k in range(percents.size):
        if below >= lowers[k] and below < uppers[k]:
            return max(min_removed, desired * percents[k] // 100)
    return min_removed  # not reached: the lowest interval has no lower bound (-inf)


@njit(cache=True)
def track_minutes(m_start, m_end, state, params, floors, lowers, uppers, percents, backlog_per_task, visible_max,
                  cpu_percent, backlog, billed, pending_at, pending_count, action_seconds, action_kinds,
                  arrive, work, deleted_at, heap, queue_state, last_start, starts, deletes, running_per_second, out,
                  join_seconds, join_tasks):
    """Minutes [m_start, m_end) of a target tracking fleet's run (capacity/simulate/tracking_loop.py): the
    decision, launches and stops, then the minute's messages (serve_minute) and its datapoints. Every limit
    arrives in `params` (a cached kernel keeps the module constants it was compiled with). Returns 0, or
    TRACK_TOO_MANY_JOINS."""
    concurrency = int(params[P_CONCURRENCY])
    max_capacity = int(params[P_MAX_CAPACITY])
    target = params[P_TARGET]
    band = params[P_BAND]  # nan: target tracking's own scale-in
    has_band = not math.isnan(band)
    fraction = band if has_band else params[P_OWN_FRACTION]
    out_points = int(params[P_OUT_DATAPOINTS])
    in_points = int(params[P_IN_DATAPOINTS])
    delay = params[P_METRIC_DELAY]
    total = int(params[P_TOTAL_SECONDS])
    wake_points = int(params[P_WAKE_DATAPOINTS])
    epsilon = params[P_EPSILON]
    period = int(params[P_SECONDS_PER_MINUTE])
    max_joins = join_seconds.size
    running = int(state[S_RUNNING])
    desired = int(state[S_DESIRED])
    unlaunched = int(state[S_UNLAUNCHED])
    head = int(state[S_PENDING_HEAD])
    tail = int(state[S_PENDING_TAIL])
    pending_total = int(state[S_PENDING_TOTAL])
    n_actions = int(state[S_ACTIONS])
    for m in range(m_start, m_end):
        s0 = m * period
        s1 = min(total, s0 + period)
        now = float(s0)
        # The scaler's decision (autoscalers.TargetTrackingScaler.decide).
        floor = int(floors[m])
        if floor < state[S_FLOOR]:
            state[S_FLOOR_DROPPED_AT] = now
        state[S_FLOOR] = floor
        cause = 0  # 0 none, 1 out, 2 in
        wanted = desired
        last = math.floor((now - delay) / period) - 1
        if now < state[S_STALE_UNTIL]:
            last = min(last, int(state[S_STALE_FROM]) - 1)
        if last >= 0:
            if desired == 0:
                low = max(0, last - wake_points + 1)
                if last + 1 - low >= wake_points:
                    woken = True
                    for i in range(low, last + 1):
                        if not visible_max[i] >= params[P_WAKE_VISIBLE]:
                            woken = False
                            break
                    if woken:
                        cause = 1
                        wanted = min(max_capacity, max(int(params[P_WAKE_TASKS]), floor))
            else:
                latest = backlog_per_task[last]
                low = max(0, last - out_points + 1)
                if last + 1 - low == out_points:
                    above = True
                    for i in range(low, last + 1):
                        if not backlog_per_task[i] > target:
                            above = False
                            break
                    if above:
                        more = min(max_capacity, int(math.ceil(running * latest / target)))
                        if more > desired and (now >= state[S_OUT_UNTIL] or more > state[S_LAST_OUT]):
                            state[S_OUT_UNTIL] = now + params[P_OUT_COOLDOWN]
                            state[S_LAST_OUT] = more
                            cause = 1
                            wanted = more
                low = max(0, last - in_points + 1)
                if (cause == 0 and desired > floor and last + 1 - low == in_points and now >= state[S_IN_UNTIL]
                        and (now >= state[S_OUT_UNTIL] or has_band)):
                    threshold = fraction * target
                    below = True
                    for i in range(low, last + 1):
                        if not backlog_per_task[i] < threshold:
                            below = False
                            break
                    if below:
                        if has_band:
                            fewer = desired - _band_removed(desired, latest, threshold, lowers, uppers, percents,
                                                            int(params[P_MIN_REMOVED]))
                        else:
                            fewer = int(math.ceil(running * latest / target))
                        fewer = max(floor, fewer)
                        if fewer < desired:
                            state[S_IN_UNTIL] = now + params[P_IN_COOLDOWN]
                            cause = 2
                            wanted = fewer
        if wanted < floor:
            wanted = floor
        scheduled = False
        if wanted > desired and cause != 1:
            scheduled = True
        if wanted < desired and now - state[S_FLOOR_DROPPED_AT] <= period:
            scheduled = True  # releasing capacity the schedule held
        if wanted != desired:
            if scheduled:
                state[S_SCHEDULED] += 1
            else:
                action_seconds[n_actions] = s0
                action_kinds[n_actions] = TRACK_ACTION_OUT if wanted > desired else TRACK_ACTION_IN
                n_actions += 1
        # Launches and stops (service.simulate_service).
        retire = 0
        if wanted > desired:
            unlaunched += wanted - desired
        elif wanted < desired:
            cut = desired - wanted
            take = min(cut, unlaunched)
            unlaunched -= take
            cut -= take
            while cut > 0 and tail > head:
                take = min(cut, int(pending_count[tail - 1]))
                pending_count[tail - 1] -= take
                pending_total -= take
                cut -= take
                if pending_count[tail - 1] == 0:
                    tail -= 1
            running -= cut
            retire = cut
        desired = wanted
        launch = min(unlaunched, int(params[P_MAX_LAUNCHES]))
        if launch > 0:
            pending_at[tail] = s0 + params[P_TASK_START]
            pending_count[tail] = launch
            tail += 1
            pending_total += launch
            unlaunched -= launch
            state[S_LAUNCHES] += launch
        # The tasks ready before the minute ends join it (pending is in order of readiness).
        n_joins = 0
        tasks_at_start = running
        if state[S_STARTED] == 0.0:  # the tasks running at second 0 have every slot free
            join_seconds[0] = 0.0
            join_tasks[0] = running
            n_joins = 1
            tasks_at_start = 0
            state[S_STARTED] = 1.0
        joined = 0
        while head < tail and pending_at[head] < s1:
            if n_joins == max_joins:
                return TRACK_TOO_MANY_JOINS
            join_seconds[n_joins] = pending_at[head]
            join_tasks[n_joins] = pending_count[head]
            joined += pending_count[head]
            pending_total -= pending_count[head]
            n_joins += 1
            head += 1
        serve_minute(s0, s1, tasks_at_start, join_seconds, join_tasks, n_joins, retire, concurrency,
                              params[P_GAP], arrive, work, deleted_at, heap, queue_state, last_start, starts,
                              deletes, running_per_second, out)
        running += joined
        for s in range(s0, s1):
            billed[s] = running + pending_total
        length = s1 - s0
        queued_mean = out[OUT_QUEUED_SUM] / length
        in_flight_mean = out[OUT_IN_FLIGHT_SUM] / length
        tasks_mean = out[OUT_TASKS_SUM] / length
        # An idle queue's metrics come late once it wakes (SQS: after 6 idle hours, up to 15 min).
        before_total = state[S_ARRIVED]
        state[S_ARRIVED] += out[OUT_ARRIVED]
        woke = (math.floor(state[S_ARRIVED] + epsilon)
                > math.floor(before_total + epsilon))
        if woke or out[OUT_VISIBLE_END] >= params[P_EMPTY_QUEUE]:
            if s0 - state[S_ACTIVE_AT] >= params[P_IDLE_AFTER] and params[P_IDLE_LAG] > 0:
                state[S_STALE_FROM] = m
                state[S_STALE_UNTIL] = s1 + delay + params[P_IDLE_LAG]
            state[S_ACTIVE_AT] = float(s1)
        # This minute's datapoints: (visible + in flight) / running, visible maximum, CPU.
        visible_max[m] = math.floor(out[OUT_VISIBLE_MAX] + epsilon)
        count = queued_mean + in_flight_mean
        backlog[m] = count
        if tasks_mean > 0:
            backlog_per_task[m] = math.floor(count + 0.5) / tasks_mean
            busy = in_flight_mean / (tasks_mean * concurrency)
            cpu_percent[m] = min(1.0, busy) * params[P_CPU_BUSY]
    state[S_RUNNING] = running
    state[S_DESIRED] = desired
    state[S_UNLAUNCHED] = unlaunched
    state[S_PENDING_HEAD] = head
    state[S_PENDING_TAIL] = tail
    state[S_PENDING_TOTAL] = pending_total
    state[S_ACTIONS] = n_actions
    return 0


@njit(cache=True)
def serve_batch(ready, work, slots, started, done):
    """A batch that is all waiting at `ready`, in order, each message taking the first of `slots` to come free:
    fills started[i] and done[i] (a scheduled run's task working through what it took)."""
    heap = np.full(slots, ready)  # every slot free at ready: already a min-heap
    for i in range(work.size):
        start = heap[0]
        started[i] = start
        done[i] = start + work[i]
        _replace_top(heap, slots, done[i])


@njit(cache=True)
def serve_batches(arrive, work, batch_size, max_wait_seconds, slots, start_gap_seconds, deleted_at,
                  starts_per_second, busy_per_second):
    """Push consumers: a batch starts once `batch_size` messages wait or the oldest has waited max_wait, and one
    of `slots` invocations is free (and, under a sink cap, start_gap_seconds per message after the last batch's
    start); it takes the oldest waiting (up to batch_size), runs work[b] seconds, and its messages are deleted
    when it returns. Fills deleted_at, each second's message starts and its invocation-seconds; returns the
    batches that started within the run's seconds."""
    n = arrive.size
    seconds = starts_per_second.size
    heap = np.zeros(slots)
    size = 0
    i = 0
    b = 0
    in_run = 0
    not_before = -np.inf
    while i < n:
        last = i + batch_size - 1
        trigger = arrive[i] + max_wait_seconds
        if last < n and arrive[last] < trigger:
            trigger = arrive[last]
        start = max(trigger, not_before)
        if size == slots and heap[0] > start:
            start = heap[0]
        j = i
        while j < n and j - i < batch_size and arrive[j] <= start:
            j += 1
        end = start + work[b]
        for k in range(i, j):
            deleted_at[k] = end
        if size == slots:
            _replace_top(heap, size, end)
        else:
            size = _push(heap, size, end)
        if start < seconds:
            starts_per_second[int(start)] += j - i
            in_run += 1
        s = int(start)
        while s < seconds and s < end:
            busy_per_second[s] += min(end, s + 1.0) - max(start, float(s))
            s += 1
        not_before = start + (j - i) * start_gap_seconds
        i = j
        b += 1
    return in_run


@njit(cache=True)
def oldest_ages(arrive, deleted_at, seconds, seconds_per_minute):
    """The age of the oldest message not yet deleted at the end of each second, and its exact maximum per minute."""
    n = arrive.size
    ages = np.zeros(seconds)
    minutes = (seconds + seconds_per_minute - 1) // seconds_per_minute
    minute_max = np.zeros(minutes)
    # The first message whose deletion is after t is the first whose running maximum of deletion times is.
    reach = np.empty(n)
    highest = -1.0
    for i in range(n):
        if deleted_at[i] > highest:
            highest = deleted_at[i]
        reach[i] = highest
    oldest = 0
    for s in range(seconds):
        end = s + 1.0
        while oldest < n and reach[oldest] <= end:
            oldest += 1
        if oldest < n and arrive[oldest] <= end:
            ages[s] = end - arrive[oldest]
        m = s // seconds_per_minute
        if ages[s] > minute_max[m]:
            minute_max[m] = ages[s]
    for i in range(n):
        done = deleted_at[i]
        if done < seconds:
            m = int(done) // seconds_per_minute
            held = done - arrive[i]
            if held > minute_max[m]:
                minute_max[m] = held
    return ages, minute_max


def lognormal_sigma(mean_seconds: float, p99_seconds: float | None) -> float:
    """The log-scale spread of a lognormal with this mean and p99 (0 when the p99 is not above the mean)."""
    if p99_seconds is None or p99_seconds <= mean_seconds:
        return 0.0
    z = limits.P99_STANDARD_SCORE
    ratio = math.log(p99_seconds / mean_seconds)
    return z - math.sqrt(z * z - 2 * ratio) if z * z > 2 * ratio else z


def processing_times(count: int, mean_seconds: float, p99_seconds: float | None, seed: int | None) -> np.ndarray:
    """Each message's processing time: lognormal with the mean and p99 when seeded, else the mean for all."""
    sigma = 0.0 if seed is None else lognormal_sigma(mean_seconds, p99_seconds)
    if sigma == 0.0:
        return np.full(count, mean_seconds)
    times = np.random.default_rng(seed + 1).standard_normal(count)
    times *= sigma
    times += math.log(mean_seconds) - sigma * sigma / 2
    return np.exp(times, out=times)


def per_second(times: np.ndarray, total: int) -> np.ndarray:
    """How many of `times` fall in each second of a run of `total` seconds (those at or past its end are left out)."""
    inside = times[times < total]
    return np.bincount(inside.astype(np.int64), minlength=total)[:total].astype(float)


def with_whole_messages(run, arrive: np.ndarray, deleted_at: np.ndarray, counts: np.ndarray):
    """The run measured off its messages: deletions per second, the exact age of the oldest and its arrivals."""
    total = counts.size
    run.ages, run.minute_max_ages = oldest_ages(arrive, deleted_at, total, limits.SECONDS_PER_MINUTE)
    run.deleted = per_second(deleted_at, total)
    run.arrivals = counts
    run.message_times = (arrive, deleted_at)
    return run
