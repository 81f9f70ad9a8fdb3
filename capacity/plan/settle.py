"""Proving an autoscaling setting by simulation: the cheapest resting utilization that holds without flapping.

The planner hands this module a workload's queue (concurrency, processing time, objective),
its fleet bounds and schedule, and its design traffic; it simulates the standard diurnal day
and spike (capacity/scenarios.py) for each candidate utilization, highest (cheapest) first,
and keeps the first that holds the objective in both without flapping. With scheduled min
capacity (tight objectives with a daily shape) a candidate is a target utilization and a
schedule of hourly floors together, tried in the order the caller gives (fewest estimated
task-hours first). Results are cached: the partitions of one workload are the same question
asked several times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from capacity import limits
from capacity import scenarios as sc
from capacity.plan.formatting import num
from capacity.plan.resting import max_with_peak_room, rest_at
from capacity.simulate import QueueModel, Settings, TargetTrackingFleet, simulate


@dataclass(frozen=True)
class Probe:
    """Everything a candidate setting is simulated with (hashable, so answers are cached)."""

    concurrency_per_task: int
    processing_seconds: float
    max_age_seconds: float
    processing_p99_seconds: float
    min_capacity: int
    max_capacity: int
    scale_out_cooldown_seconds: int
    scale_in_cooldown_seconds: int
    schedule: tuple[tuple[int, int], ...]
    average: float
    peak: float
    trough: float
    hourly: tuple[float, ...] | None
    # The scale-in band's fraction of the target (capacity/scale_in_band.py), None for target tracking's own.
    scale_in_fraction: float | None = None
    # How far max capacity may rise for room above the fleet resting at the peak (capacity/plan/peak_room.py):
    # the tightest downstream cap in tasks (inf without one); None keeps max_capacity (the user set it).
    room_ceiling: float | None = None


@dataclass(frozen=True)
class Candidate:
    """A target utilization with a schedule of hourly min capacities (floors) to simulate it with.

    floors[h] is the min capacity from local hour h (one action where it changes);
    floor_utilization is how busy the busiest hour (or the hour after it) runs on its floor,
    estimate_task_hours what the caller expects the design day to cost (the order
    candidates are tried in).
    """

    utilization: float
    floors: tuple[int, ...]
    floor_utilization: float
    estimate_task_hours: float

    @property
    def schedule(self) -> tuple[tuple[int, int], ...]:
        """(second of the local day, min capacity) at each hour whose floor differs from the hour before."""
        return tuple((hour * limits.SECONDS_PER_HOUR, value) for hour, value in enumerate(self.floors)
                     if value != self.floors[hour - 1])

    @property
    def min_capacity(self) -> int:
        return min(self.floors)


@dataclass(frozen=True)
class Settled:
    """The utilization chosen, how many candidates were tried, and what the chosen one did."""

    utilization: float
    tried: int
    held: bool
    task_hours: float
    max_age_seconds: float
    task_launches: int
    scenarios: str
    # With scheduled candidates: the one chosen (None without a schedule) and how many there were.
    candidate: Candidate | None = None
    candidates: int = 0
    # Without a schedule: a min capacity raised to the resting fleet at the average (None when kept),
    # and what it was weighed against.
    min_capacity: int | None = None
    weighed: str = ""
    # Why min capacity was raised: the lower one failed with noise, or it held but cost more.
    raised_because: str = ""
    # The raised min's margin: the resting fleet it starts from, and why that alone rests unsteadily ("" if not).
    resting: int | None = None
    margin_why: str = ""
    # The scale-in band the chosen setting ran with (None: target tracking's own), and why.
    scale_in_fraction: float | None = None
    band_why: str = ""
    # The first higher utilization passed over because no scale-in band rests steadily at every constant rate.
    passed_over: str = ""
    # Task-hours of the deterministic design day the chosen setting ran (None when it did not run or hold),
    # and the largest fleet it reached there (a higher max capacity would not change a day that stayed below it).
    day_task_hours: float | None = None
    day_largest_fleet: int | None = None


def flaps_in_day(launches: int, smallest: int, largest: int) -> bool:
    """A diurnal day flaps when it launches more tasks than 2 x (largest - smallest fleet) + the slack."""
    return launches > 2 * (largest - smallest) + limits.FLAP_DIURNAL_SLACK_LAUNCHES


def flaps_at_constant(action_seconds: tuple[tuple[int, str], ...]) -> bool:
    """At a constant rate: more than FLAP_MAX_ACTIONS policy actions in the window after the settling hour."""
    start = limits.FLAP_SETTLE_SECONDS
    end = start + limits.FLAP_WINDOW_SECONDS
    return sum(1 for at, _ in action_seconds if start <= at < end) > limits.FLAP_MAX_ACTIONS


def probe_scenarios(p: Probe) -> list[sc.Scenario]:
    """The spike first (it fails first), then the diurnal day; without a shape the spike needs only 4 hours."""
    spike_days = 1.0 if p.hourly else (limits.SPIKE_WARMUP_SECONDS + 2 * limits.VERIFY_SPIKE_MINUTES * 60) / limits.SECONDS_PER_DAY
    return [
        sc.design_spike(p.average, p.peak, p.trough, p.hourly, days=spike_days),
        sc.design_day(p.average, p.peak, p.trough, p.hourly),
    ]


def at_its_max(p: Probe, utilization: float) -> Probe:
    """The probe with the max capacity the plan gives this utilization (resting.max_with_peak_room, the rule
    capacity/plan/peak_room.py applies after the choice), so a setting is proven with the ceiling it is deployed
    with."""
    if p.room_ceiling is None:
        return p
    return replace(p, max_capacity=max_with_peak_room(p.peak, p.concurrency_per_task / p.processing_seconds,
                                                      utilization, p.min_capacity, p.max_capacity, p.room_ceiling))


def _noise_fails(result) -> bool:
    return not result.objective_met or flaps_in_day(result.task_launches, result.smallest_fleet, result.largest_fleet)


def _first_noisy_failure(model: QueueModel, fleet: TargetTrackingFleet, day: sc.Scenario,
                         first_seed: int | None = None) -> tuple[str, int]:
    """("" when every one of SETTLE_NOISE_SEEDS holds, else the first failure, as "misses on seed 3" or "flaps on
    seed 3"; the runs simulated). first_seed (one of them) runs first: the seed the last candidate failed on is
    the likeliest to fail the next, and the verdict does not depend on the order."""
    seeds = limits.SETTLE_NOISE_SEEDS
    if first_seed in seeds:
        seeds = (first_seed, *(seed for seed in seeds if seed != first_seed))
    for runs, seed in enumerate(seeds, start=1):
        result = simulate(model, fleet, day, Settings(random_seed=seed))
        if _noise_fails(result):
            return f"{'flaps' if result.objective_met else 'misses'} on seed {seed}", runs
    return "", len(limits.SETTLE_NOISE_SEEDS)


def _model_and_fleet(p: Probe, utilization: float, candidate: Candidate | None) -> tuple[QueueModel, TargetTrackingFleet]:
    """The probe's queue and the fleet of one setting: a utilization, with a candidate's floors when given."""
    model = QueueModel("probe", p.processing_seconds, p.concurrency_per_task, p.max_age_seconds,
                       processing_p99_seconds=p.processing_p99_seconds)
    fleet = TargetTrackingFleet(
        min_capacity=p.min_capacity if candidate is None else min(candidate.min_capacity, p.max_capacity),
        max_capacity=p.max_capacity,
        target_backlog_per_task=round(p.concurrency_per_task * utilization, 3),
        scale_out_cooldown_seconds=p.scale_out_cooldown_seconds,
        scale_in_cooldown_seconds=p.scale_in_cooldown_seconds,
        schedule=p.schedule if candidate is None else candidate.schedule,
        scale_in_fraction=p.scale_in_fraction,
    )
    return model, fleet


@lru_cache(maxsize=256)
def design_day_task_hours(p: Probe, utilization: float, candidate: Candidate | None = None) -> float:
    """Task-hours the setting's fleet runs in the deterministic design day: what its month is billed from."""
    model, fleet = _model_and_fleet(p, utilization, candidate)
    return simulate(model, fleet, probe_scenarios(p)[-1]).task_hours


def _deterministic(p: Probe, utilization: float, candidate: Candidate | None = None) -> tuple[str, list, int]:
    """("" when it held, else "objective" or "flaps"; the results, the day last; the runs simulated).

    The spike, then the design day, with steady arrivals and mean processing times.
    """
    model, fleet = _model_and_fleet(p, utilization, candidate)
    results = []
    for scenario in probe_scenarios(p):
        results.append(simulate(model, fleet, scenario))
        if not results[-1].objective_met:
            return "objective", results, len(results)
    day = results[-1]
    if flaps_in_day(day.task_launches, day.smallest_fleet, day.largest_fleet):
        return "flaps", results, len(results)
    return "", results, len(results)


@lru_cache(maxsize=256)
def _noisy(p: Probe, utilization: float, candidate: Candidate | None = None,
           first_seed: int | None = None) -> tuple[str, int]:
    """(how the setting's noisy design day first fails, as "flaps on seed 2", or ""; the runs simulated).

    Cached: a raised min is proven once, whichever comparison asks first."""
    model, fleet = _model_and_fleet(p, utilization, candidate)
    return _first_noisy_failure(model, fleet, probe_scenarios(p)[-1], first_seed)


def failed_seed(failure: str) -> int | None:
    """The seed a noisy failure names ("flaps on seed 7" -> 7), None for a hold."""
    return int(failure.rsplit(" ", 1)[1]) if failure else None


def _run(p: Probe, utilization: float, candidate: Candidate | None = None, noise_first: bool = False,
         first_seed: int | None = None):
    """("" when it held, else "objective", "flaps" or "noise: " and how, as "noise: flaps on seed 2"; the
    deterministic results; the runs simulated).

    The spike, then the day, then the day again with Poisson arrivals and p99 processing times
    on each of SETTLE_NOISE_SEEDS: on none may noise make it miss or flap. With noise_first the
    noisy days run first, since they are what the cheapest candidates fail.
    """
    runs = 0
    if noise_first:
        failed, runs = _noisy(p, utilization, candidate, first_seed)
        if failed:
            return f"noise: {failed}", [], runs
    failure, results, used = _deterministic(p, utilization, candidate)
    runs += used
    if failure or noise_first:
        return failure, results, runs
    failed, used = _noisy(p, utilization, candidate, first_seed)
    return (f"noise: {failed}" if failed else ""), results, runs + used


NOISE_NOTE = (f"diurnal and spike (and the day again with Poisson arrivals and p99 processing times, on each of seeds "
              f"{limits.SETTLE_NOISE_SEEDS[0]}-{limits.SETTLE_NOISE_SEEDS[-1]})")


def _summary(results) -> tuple[float, float, int]:
    return (sum(r.task_hours for r in results), max(r.max_age_seconds for r in results),
            results[-1].task_launches)


def _day(results) -> dict:
    """The design day's task-hours and largest fleet, from the deterministic runs (the day last)."""
    return {"day_task_hours": results[-1].task_hours, "day_largest_fleet": results[-1].largest_fleet}


def resting_fleet(p: Probe, utilization: float) -> int:
    """Tasks target tracking rests at for the average rate: ceil(average x slot time / (concurrency x u))."""
    return min(p.max_capacity, math.ceil(p.average * p.processing_seconds / (p.concurrency_per_task * utilization)))


def unsteady_rate(p: Probe, utilization: float, min_capacity: int) -> str:
    """Why target tracking at this utilization flaps from noise at one of the constant rates `--verify` checks
    (FLAP_CHECK_PEAK_FRACTIONS of the peak), or "" when it rests steadily at each (capacity/plan/resting.py)."""
    target = round(p.concurrency_per_task * utilization, 3)
    for fraction in limits.FLAP_CHECK_PEAK_FRACTIONS:
        rate = p.peak * fraction
        steady, why = rest_at(rate, p.processing_seconds, p.processing_p99_seconds, p.concurrency_per_task, target,
                              min_capacity, p.max_capacity, p.scale_in_fraction)
        if not steady:
            return f"at a constant {num(round(rate, 3))} msg/s ({round(fraction * 100)}% of the peak) {why}"
    return ""


@lru_cache(maxsize=256)
def scale_in_band(p: Probe, utilization: float) -> tuple[float | None, str]:
    """The scale-in band for this utilization over the probe's min capacity, and why: None where target tracking's
    own 90% band rests steadily at every constant rate `--verify` checks (or the fleet cannot move), else the
    highest of SCALE_IN_BAND_FRACTIONS that does (None when none does). Scheduled floors ask it over their
    smallest floor."""
    if p.min_capacity >= p.max_capacity:
        return None, ""
    own = unsteady_rate(replace(p, scale_in_fraction=None), utilization, p.min_capacity)
    if not own:
        return None, ""
    for fraction in limits.SCALE_IN_BAND_FRACTIONS:
        if not unsteady_rate(replace(p, scale_in_fraction=fraction), utilization, p.min_capacity):
            return fraction, _over(p.min_capacity, own)
    return None, _over(p.min_capacity, own)


@dataclass(frozen=True)
class Margin:
    """The floor a raised min capacity keeps: the resting fleet, plus the tasks that keep noise off the target."""

    floor: int
    resting: int
    why: str  # why the resting fleet alone is not enough ("" when it is)


def steady_floor(p: Probe, utilization: float) -> Margin:
    """The fewest tasks from the resting fleet up at which the metric's one-minute means stay clear of the target.

    At the resting fleet the metric sits just under the target (97-99% for seed 004), so the
    noise of Poisson arrivals crosses it: scale out, scale in, flapping. capacity/plan/resting.py
    says whether a floor of N rests steadily at the average rate; N rises until it does (or
    reaches max capacity).
    """
    resting = resting_fleet(p, utilization)
    target = round(p.concurrency_per_task * utilization, 3)
    floor, first_why = resting, ""
    while floor < p.max_capacity:
        steady, why = rest_at(p.average, p.processing_seconds, p.processing_p99_seconds, p.concurrency_per_task,
                              target, floor, p.max_capacity, p.scale_in_fraction)
        if steady:
            break
        first_why = first_why or why
        floor += 1
    return Margin(floor, resting, first_why)


@lru_cache(maxsize=256)
def settle(p: Probe, candidates: tuple[float, ...] = limits.RESTING_UTILIZATION_CANDIDATES,
           may_raise_min: bool = True) -> Settled:
    """The cheapest setting that holds (_settle), with the scale-in band it was simulated with."""
    settled = _settle(p, candidates, may_raise_min)
    if p.scale_in_fraction is not None or not settled.tried:
        return settled
    p = at_its_max(p, settled.utilization)
    fraction, why = scale_in_band(p, settled.utilization)
    if fraction is not None and settled.min_capacity is not None:
        # Name the rate target tracking's own band would flap at over the min kept, where there is one.
        kept = replace(p, min_capacity=settled.min_capacity)
        why = _over(settled.min_capacity, unsteady_rate(kept, settled.utilization, settled.min_capacity)) or why
    return replace(settled, scale_in_fraction=fraction, band_why=why)


def _over(min_capacity: int, why: str) -> str:
    return f"over min capacity {min_capacity}, {why}" if why else ""


def _settle(p: Probe, candidates: tuple[float, ...] = limits.RESTING_UTILIZATION_CANDIDATES,
            may_raise_min: bool = True) -> Settled:
    """The highest candidate utilization (fewest task-hours) that holds the objective without flapping.

    Each candidate runs with the scale-in band scale_in_band gives it (None: target tracking's own).

    A candidate that misses the objective, or misses or flaps on one of SETTLE_NOISE_SEEDS once
    arrivals and processing times are random (metric noise crossing a target with too little
    room), makes way for more headroom (a lower one), and so does one whose whole-message day
    flaps above a floor; a fleet with min capacity 0 that flaps ends the search, since more
    headroom does not stop a zero-to-one cycle (the caller then changes min capacity), and the
    highest candidate is reported as not held. The first candidate that fails only with noise
    is also tried with min capacity raised to its steady floor (steady_floor: the resting fleet
    for the average rate, plus a margin from the target); the cheaper of it and the next
    candidate that holds is kept (may_raise_min=False when the user set min capacity). A
    setting's noisy days run only once its steady runs make it the one to keep.
    """
    ordered = sorted(candidates, reverse=True)
    if p.min_capacity >= p.max_capacity and not p.schedule:
        return Settled(ordered[0], 0, True, 0.0, 0.0, 0, "no scenario: min = max, the fleet cannot move")
    tried = 0
    results: list = []
    raised: Settled | None = None
    raised_at: float | None = None  # the utilization a raised min was weighed at (raised may be None: it failed)
    unsteady: Settled | None = None  # the first that held every day but rests unsteadily at the average rate
    passed_over: tuple[float, str] | None = None  # the first utilization that had no steady scale-in band, and why
    base = p

    def chosen(settled: Settled) -> Settled:
        if passed_over is None or passed_over[0] == settled.utilization:
            return settled
        return replace(settled, passed_over=(
            f"utilization {passed_over[0]:g} held every day, but neither target tracking's own scale-in nor a band "
            f"rests steadily there at every constant rate `qcap plan --verify` checks ({passed_over[1]})"))

    for utilization in ordered:
        tried += 1
        at_max = at_its_max(base, utilization)
        fraction, band_why = scale_in_band(at_max, utilization)
        p = replace(at_max, scale_in_fraction=fraction)
        failure, results, _ = _deterministic(p, utilization)
        if not failure and raised is not None and _summary(results)[0] >= raised.task_hours:
            if _proven(base, raised):
                return chosen(_costlier_without_noise(raised, tried, utilization, _summary(results)[0]))
            raised = None  # the raised min failed on a noisy day: this utilization stands on its own
        rests = "" if failure else _unsteady_at_average(p, utilization)
        # Where no band rests steadily at every constant rate `--verify` checks, more headroom may: the first such
        # is kept only as a fallback, like a flat workload's unsteady rest at its average.
        unbanded = "" if failure or rests or fraction is not None else band_why
        if unbanded:
            if unsteady is None:
                unsteady = Settled(utilization, tried, True, *_summary(results), NOISE_NOTE, weighed=(
                    f"no scale-in band rests steadily at every constant rate ({band_why}), but no utilization with "
                    "more headroom does and holds"), **_day(results))
            passed_over = passed_over or (utilization, band_why)
            continue
        if not failure and not rests and raised is None and may_raise_min:
            raised_at = utilization
            raised = _raised(p, utilization, tried, "a fleet allowed below it also holds the spike and the day at "
                             f"utilization {utilization:g} but scales up and down more")
            if raised is not None and raised.task_hours < _summary(results)[0] and _proven(base, raised):
                # Cheaper and holding on every noisy day: the lower min's noisy days cannot change the choice.
                return chosen(_costlier_without_noise(raised, tried, utilization, _summary(results)[0]))
        noisy = "" if failure or rests else _noisy(p, utilization)[0]
        if not failure and not noisy and not rests:
            kept = Settled(utilization, tried, True, *_summary(results), NOISE_NOTE, **_day(results))
            return chosen(_cheaper(base, raised, kept))
        if rests and unsteady is None:
            unsteady = Settled(utilization, tried, True, *_summary(results), NOISE_NOTE, weighed=(
                f"it rests unsteadily at the average rate ({rests}), but no utilization with more headroom "
                "rests steadily and holds"), scale_in_fraction=p.scale_in_fraction, **_day(results))
        if failure == "flaps" and p.min_capacity == 0:  # a zero-to-one cycle: more headroom does not stop it
            return chosen(_alone(base, raised, tried) or Settled(ordered[0], tried, False, *_summary(results),
                                                                 "diurnal and spike"))
        if (noisy or rests) and may_raise_min and (raised is None or raised_at == utilization):
            because = (f"with Poisson arrivals and p99 processing times a fleet allowed below it {noisy}" if noisy else
                       f"a fleet allowed below it rests unsteadily at the average rate ({rests})")
            because = f"{because} at utilization {utilization:g}"
            if raised_at != utilization:
                raised = _raised(p, utilization, tried, because)
            elif raised is not None:  # raised before its noisy days: it was not raised for the reason given then
                raised = replace(raised, raised_because=because)
            raised_at = utilization
    if raised is None and unsteady is not None and not _noisy(
            replace(at_its_max(base, unsteady.utilization), scale_in_fraction=unsteady.scale_in_fraction),
            unsteady.utilization)[0]:
        return replace(unsteady, tried=tried)
    return chosen(_alone(base, raised, tried)
                  or Settled(ordered[-1], tried, False, *_summary(results), "diurnal and spike"))


def _unsteady_at_average(p: Probe, utilization: float) -> str:
    """Why target tracking at this utilization, over the probe's min capacity, flaps from noise at the average rate
    ("" when it rests steadily there, capacity/plan/resting.py), for a workload whose peak is its average: it
    spends its busy hours at that one rate. (With a daily swing the fleet passes the average and the noisy
    days judge it; a steady rest at every rate is out of reach for most targets, docs/simulate.md.)"""
    if not math.isclose(p.peak, p.average, rel_tol=1e-6):
        return ""
    steady, why = rest_at(p.average, p.processing_seconds, p.processing_p99_seconds, p.concurrency_per_task,
                          round(p.concurrency_per_task * utilization, 3), p.min_capacity, p.max_capacity,
                          p.scale_in_fraction)
    return "" if steady else why


def _raised(p: Probe, utilization: float, tried: int, because: str) -> Settled | None:
    """The setting with min capacity at its steady floor for the average rate, when its steady runs hold (else
    None); its noisy days are left to _proven, for when it is the setting to keep."""
    margin = steady_floor(p, utilization)
    if not p.min_capacity < margin.floor < p.max_capacity:
        return None
    failure, results, _ = _deterministic(replace(p, min_capacity=margin.floor), utilization)
    if failure:
        return None
    return Settled(utilization, tried, True, *_summary(results), NOISE_NOTE, min_capacity=margin.floor,
                   raised_because=because, resting=margin.resting, margin_why=margin.why,
                   scale_in_fraction=p.scale_in_fraction, **_day(results))


def _proven(p: Probe, raised: Settled) -> bool:
    """Whether the raised-min setting also holds, unflapping, on every noisy day (SETTLE_NOISE_SEEDS)."""
    assert raised.min_capacity is not None
    raised_probe = replace(at_its_max(p, raised.utilization), min_capacity=raised.min_capacity)
    return not _noisy(replace(raised_probe, scale_in_fraction=raised.scale_in_fraction), raised.utilization)[0]


def _costlier_without_noise(raised: Settled, tried: int, utilization: float, task_hours: float) -> Settled:
    """The raised-min setting, when a lower utilization with the lower min costs as much before noise is drawn."""
    return replace(raised, tried=tried, weighed=(
        f"{num(round(raised.task_hours, 1))} task-hours for the spike and the day, against "
        f"{num(round(task_hours, 1))} for utilization {utilization:g} with the lower min capacity (its steady runs "
        "alone, so its noisy days were not needed)"))


def _alone(p: Probe, raised: Settled | None, tried: int) -> Settled | None:
    """The raised-min setting when no lower utilization held at all (nothing to weigh it against) and it holds."""
    if raised is None or not _proven(p, raised):
        return None
    return replace(raised, tried=tried, weighed=(
        f"{num(round(raised.task_hours, 1))} task-hours for the spike and the day; no lower utilization held"))


def _cheaper(p: Probe, raised: Settled | None, kept: Settled) -> Settled:
    """The raised-min setting when it costs fewer task-hours than the lower utilization that held (and holds on
    every noisy day), else that one."""
    if raised is None:
        return kept
    if raised.task_hours < kept.task_hours and _proven(p, raised):
        return replace(raised, tried=kept.tried, weighed=(
            f"{num(round(raised.task_hours, 1))} task-hours for the spike and the day, against "
            f"{num(round(kept.task_hours, 1))} for utilization {kept.utilization:g} with the lower min capacity"))
    if raised.task_hours < kept.task_hours:
        return replace(kept, weighed=(
            f"min capacity raised to {raised.min_capacity} at utilization {raised.utilization:g} would cost "
            f"{num(round(raised.task_hours, 1))} task-hours against {num(round(kept.task_hours, 1))}, but misses or "
            "flaps on a noisy day"))
    return replace(kept, weighed=(
        f"min capacity raised to {raised.min_capacity} at utilization {raised.utilization:g} would cost "
        f"{num(round(raised.task_hours, 1))} task-hours against {num(round(kept.task_hours, 1))}"))



@lru_cache(maxsize=256)
def settle_scheduled(p: Probe, candidates: tuple[Candidate, ...]) -> Settled:
    """The first candidate (target utilization and floors together, in the order given) that holds without flapping.

    The caller orders the candidates by the task-hours it expects of them, fewest first, so
    the first that holds the objective in the spike and the day without flapping, also with
    Poisson arrivals and p99 processing times, is the cheapest that held. Unlike settle(), a
    day that flaps does not end the search: other floors can stop a cycle. The search stops
    after SETTLE_MAX_SCHEDULED_RUNS simulated runs (`qcap plan` stays fast); when no candidate
    held by then, the most expensive one tried is reported as not held.
    """
    if not candidates:
        raise ValueError("settle_scheduled needs at least one candidate")
    if all(c.min_capacity >= p.max_capacity for c in candidates):
        first = candidates[0]
        return Settled(first.utilization, 0, True, 0.0, 0.0, 0, "no scenario: min = max, the fleet cannot move",
                       first, len(candidates))
    tried = runs = 0
    last: tuple[Candidate, list] | None = None
    hint: int | None = None  # the seed the last candidate failed on
    for candidate in candidates:
        if runs >= limits.SETTLE_MAX_SCHEDULED_RUNS:
            break
        tried += 1
        at_max = at_its_max(p, candidate.utilization)
        # The band that rests steadily over the smallest floor (the hours on higher floors scale in less).
        fraction, band_why = scale_in_band(replace(at_max, min_capacity=min(candidate.min_capacity,
                                                                             at_max.max_capacity)),
                                           candidate.utilization)
        failure, results, used = _run(replace(at_max, scale_in_fraction=fraction), candidate.utilization, candidate,
                                      noise_first=True, first_seed=hint)
        runs += used
        if failure.startswith("noise: "):
            hint = failed_seed(failure.removeprefix("noise: "))
        if not failure:
            return Settled(candidate.utilization, tried, True, *_summary(results), NOISE_NOTE, candidate,
                           len(candidates), scale_in_fraction=fraction, band_why=band_why, **_day(results))
        last = (candidate, results)
    assert last is not None
    candidate, results = last
    summary = _summary(results) if results else (0.0, 0.0, 0)
    return Settled(candidate.utilization, tried, False, *summary, "diurnal and spike (and the day again with "
                   "Poisson arrivals)", candidate, len(candidates))
