"""The analytic fewest servers an M/M/c queue needs for a waiting-time objective (Erlang C).

A cross-check beside the planner's simulated number: Poisson arrivals and exponential service
give a closed-form lower bound for a steady peak, so a simulated fleet far from it is worth a look.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity.plan.formatting import num, tasks as tasks_text

# One message in a hundred may wait longer than the objective: the percentile the planner's objectives use.
DEFAULT_MISS_PROBABILITY = 0.01
# Offered load (erlangs) up to which fewest_tasks runs the exact recursion (a step a slot: about 0.5 ms here,
# 20 ms at 1e5, and the planner runs it for every lane); past it the square-root approximation, which
# gave the same slots as the recursion from 2,000 to 1e5 erlangs (54 loads, service and wait times checked).
EXACT_MAX_ERLANGS = 2_000
# Halfin-Whitt's beta is solved by bisection to this width, far below what moves ceil(a + beta*sqrt(a)).
BETA_TOLERANCE = 1e-12
# The bisection's first upper bracket for beta; it doubles until the tail is below the target.
BETA_FIRST_UPPER = 1.0
# Bisection steps at most: each halves the bracket, so 200 reach any tolerance a float can hold.
BETA_MAX_STEPS = 200

_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Staffing:
    """The fewest tasks for an objective, the slots (servers) they hold, and why, in one line with units."""

    servers: int
    tasks: int
    reason: str


def erlang_c(servers: int, offered_erlangs: float) -> float:
    """The probability an arrival waits in an M/M/c queue with `servers` servers and `offered_erlangs` load.

    Computed through the Erlang B recursion, which stays in [0, 1] and so is stable for thousands of
    servers where the closed form's a**c / c! overflows. 1.0 when servers <= load (the queue never
    settles, so every arrival waits); 0.0 with no load (nothing arrives to wait).
    """
    _check_servers(servers)
    _check_number("offered_erlangs", offered_erlangs, "a finite number >= 0")
    if offered_erlangs == 0:
        return 0.0
    if servers <= offered_erlangs:
        return 1.0
    return _erlang_c_from_b(servers, offered_erlangs, _erlang_b(servers, offered_erlangs))


def wait_exceeds_probability(servers: int, arrival_per_second: float, service_seconds: float,
                             wait_seconds: float) -> float:
    """P(W > t), the chance a message waits in queue longer than `wait_seconds`: C(c, a) * exp(-(c*mu - lambda) * t).

    1.0 when servers <= offered load (the backlog grows without bound); 0.0 with no arrivals.
    """
    _check_servers(servers)
    _check_rates(arrival_per_second, service_seconds, wait_seconds)
    offered_erlangs = arrival_per_second * service_seconds
    if offered_erlangs == 0:
        return 0.0
    if servers <= offered_erlangs:
        return 1.0
    return _wait_tail(servers, _erlang_b(servers, offered_erlangs), arrival_per_second, service_seconds, wait_seconds)


def fewest_servers(arrival_per_second: float, service_seconds: float, wait_seconds: float,
                   miss_probability: float) -> int:
    """The smallest c with P(W > wait_seconds) <= miss_probability; 0 with no arrivals.

    One pass of the Erlang B recursion up to floor(a) + 1 (the first stable c), then one step per
    candidate upward: P(W > t) falls with c, so the first c that meets the target is the fewest. The
    walk is about beta*sqrt(a) steps past a, so a load of 1e5 erlangs costs ~1e5 cheap float steps.
    """
    _check_rates(arrival_per_second, service_seconds, wait_seconds)
    _check_miss_probability(miss_probability)
    offered_erlangs = arrival_per_second * service_seconds
    if offered_erlangs == 0:
        return 0
    servers = math.floor(offered_erlangs) + 1
    blocking = _erlang_b(servers, offered_erlangs)
    # Terminates: P(W > t) <= C(c, a), and C falls to 0 (underflows) as c grows past a.
    while _wait_tail(servers, blocking, arrival_per_second, service_seconds, wait_seconds) > miss_probability:
        servers += 1
        blocking = _erlang_b_step(servers, offered_erlangs, blocking)
    return servers


def halfin_whitt_servers(arrival_per_second: float, service_seconds: float, wait_seconds: float,
                         miss_probability: float) -> int:
    """Square-root staffing, c = ceil(a + beta*sqrt(a)): an approximation that agrees with `fewest_servers` for large a.

    Halfin and Whitt's limit gives P(wait) ~ [1 + beta*Phi(beta)/phi(beta)]^-1; with c - a = beta*sqrt(a)
    the exponential tail is exp(-beta*sqrt(a)*t/s), and beta is where their product equals the target.
    Useful as a quick estimate and as a check on the exact search; for small loads it may be off by a few.
    """
    _check_rates(arrival_per_second, service_seconds, wait_seconds)
    _check_miss_probability(miss_probability)
    offered_erlangs = arrival_per_second * service_seconds
    if offered_erlangs == 0:
        return 0
    root = math.sqrt(offered_erlangs)
    decay_per_beta = root * wait_seconds / service_seconds
    log_target = math.log(miss_probability)

    def excess(beta: float) -> float:
        """log P(W > t) under the approximation, less log target: positive while beta is too small."""
        return _log_halfin_whitt_delay(beta) - beta * decay_per_beta - log_target

    low, high = 0.0, BETA_FIRST_UPPER
    while excess(high) > 0:
        low, high = high, 2.0 * high
    for _ in range(BETA_MAX_STEPS):
        if high - low <= BETA_TOLERANCE:
            break
        middle = 0.5 * (low + high)
        if excess(middle) > 0:
            low = middle
        else:
            high = middle
    return max(math.ceil(offered_erlangs + high * root), math.floor(offered_erlangs) + 1)


def fewest_tasks(arrival_per_second: float, slot_seconds: float, concurrency_per_task: int, wait_seconds: float,
                 miss_probability: float = DEFAULT_MISS_PROBABILITY) -> Staffing:
    """The fewest tasks, each holding `concurrency_per_task` slots, for which at most `miss_probability` of
    messages wait over `wait_seconds`: ceil(Erlang C's fewest slots / slots per task), with its reason."""
    _check_rates(arrival_per_second, slot_seconds, wait_seconds, service_name="slot_seconds")
    _check_miss_probability(miss_probability)
    if isinstance(concurrency_per_task, bool) or not isinstance(concurrency_per_task, int) or concurrency_per_task < 1:
        raise ValueError(f"concurrency_per_task must be an integer >= 1 (slots each task holds), "
                         f"got {concurrency_per_task!r}")
    if arrival_per_second == 0:
        return Staffing(0, 0, "0 tasks: no arrivals (0 msg/s), so no message waits and Erlang C needs no slots")
    exact = arrival_per_second * slot_seconds <= EXACT_MAX_ERLANGS
    if exact:
        slots, method = fewest_servers(arrival_per_second, slot_seconds, wait_seconds, miss_probability), "Erlang C"
    else:
        slots = halfin_whitt_servers(arrival_per_second, slot_seconds, wait_seconds, miss_probability)
        method = (f"square-root staffing (Halfin-Whitt; past {num(EXACT_MAX_ERLANGS)} erlangs it stands in for "
                  "Erlang C, whose recursion takes a step per slot)")
    count = -(-slots // concurrency_per_task)
    waits = "wait at all" if wait_seconds == 0 else f"wait over {num(wait_seconds)} s"
    reason = (f"{tasks_text(count)} = ceil({num(slots)} slot{'' if slots == 1 else 's'} / {num(concurrency_per_task)} "
              f"per task): {method}, the fewest slots for which at most {miss_probability * 100:g}% of messages "
              f"{waits} at {num(arrival_per_second)} msg/s x {num(slot_seconds)} s each (an M/M/c queue: Poisson "
              f"arrivals, exponential service; a lower bound for a steady peak, blind to scaling delays)")
    return Staffing(slots, count, reason)


# --- the arithmetic ----------------------------------------------------------------------


def _erlang_b(servers: int, offered_erlangs: float) -> float:
    """Erlang B (the blocking probability) for `servers`, by the recursion from B(0) = 1."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = _erlang_b_step(k, offered_erlangs, blocking)
    return blocking


def _erlang_b_step(servers: int, offered_erlangs: float, previous_blocking: float) -> float:
    """B(k) from B(k-1): a*B / (k + a*B), which stays in [0, 1] so nothing overflows."""
    carried = offered_erlangs * previous_blocking
    return carried / (servers + carried)


def _erlang_c_from_b(servers: int, offered_erlangs: float, blocking: float) -> float:
    """Erlang C from Erlang B for a stable queue (servers > load): c*B / (c - a*(1 - B))."""
    return servers * blocking / (servers - offered_erlangs * (1.0 - blocking))


def _wait_tail(servers: int, blocking: float, arrival_per_second: float, service_seconds: float,
               wait_seconds: float) -> float:
    """P(W > t) for a stable queue from its Erlang B value: C * exp(-(c*mu - lambda) * t)."""
    offered_erlangs = arrival_per_second * service_seconds
    drain_per_second = servers / service_seconds - arrival_per_second
    return _erlang_c_from_b(servers, offered_erlangs, blocking) * math.exp(-drain_per_second * wait_seconds)


def _log_halfin_whitt_delay(beta: float) -> float:
    """log of Halfin-Whitt's delay probability, -log(1 + beta*Phi(beta)/phi(beta)), in logs so large beta
    (where phi underflows) stays finite."""
    if beta <= 0:
        return 0.0
    normal_cdf = 0.5 * math.erfc(-beta / math.sqrt(2.0))
    log_ratio = math.log(beta) + math.log(normal_cdf) + 0.5 * beta * beta + _LOG_SQRT_TWO_PI
    # -softplus(log_ratio), written so neither branch overflows.
    if log_ratio > 0:
        return -(log_ratio + math.log1p(math.exp(-log_ratio)))
    return -math.log1p(math.exp(log_ratio))


# --- the checks --------------------------------------------------------------------------


def _check_servers(servers: int) -> None:
    """Servers are a whole count: an int >= 0 (a bool is not a count)."""
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 0:
        raise ValueError(f"servers must be an integer >= 0, got {servers!r}")


def _check_number(name: str, value: float, allowed: str, minimum: float = 0.0, strict: bool = False) -> None:
    """A finite real number above `minimum` (strictly when `strict`), else a ValueError naming it and what it allows."""
    real = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not real or not math.isfinite(value) or value < minimum or (strict and value == minimum):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _check_rates(arrival_per_second: float, service_seconds: float, wait_seconds: float,
                 service_name: str = "service_seconds") -> None:
    """The queue's inputs: a rate >= 0, a service time > 0, a wait >= 0, all finite."""
    _check_number("arrival_per_second", arrival_per_second, "a finite number >= 0 (messages per second)")
    _check_number(service_name, service_seconds, "a finite number > 0 (seconds per message)", strict=True)
    _check_number("wait_seconds", wait_seconds, "a finite number >= 0 (seconds)")


def _check_miss_probability(miss_probability: float) -> None:
    """A probability strictly between 0 and 1: 0 would need infinite servers, 1 needs none."""
    _check_number("miss_probability", miss_probability, "a number strictly between 0 and 1", strict=True)
    if miss_probability >= 1:
        raise ValueError(f"miss_probability must be a number strictly between 0 and 1, got {miss_probability!r}")
