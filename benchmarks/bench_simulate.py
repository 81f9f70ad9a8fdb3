"""Time the per-message simulator on a seed stack, and compare its speed per message with a SimPy per-message model.

Run: .venv/bin/python benchmarks/bench_simulate.py [STACK]   (default: event-backlog, seed 004)
Prints figures only; it asserts nothing about time. The first run on a machine also compiles the
numba kernels (cached next to capacity/simulate/messages.py); that warm-up is timed apart.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import simpy  # noqa: E402

from capacity import scenarios as sc  # noqa: E402
from capacity.plan import plan  # noqa: E402
from capacity.profile import load_profile, resolve_stack  # noqa: E402
from capacity.simulate import Settings, StaticFleet, queue_model_of, simulate  # noqa: E402
from capacity.simulate.messages import lognormal_sigma  # noqa: E402
from capacity.simulation_inputs import model_from_plan, plan_fleet  # noqa: E402

SEED = 4
# The SimPy run is kept short: this many simulated seconds at the average rate.
SIMPY_SPAN_SECONDS = 6 * 3600


def simpy_messages(slots: int, mean_seconds: float, p99_seconds: float | None, rate: float, horizon: float,
                   seed: int) -> int:
    """The same queue as a SimPy model: Poisson arrivals, one process per message, lognormal processing."""
    rng = np.random.default_rng(seed)
    sigma = lognormal_sigma(mean_seconds, p99_seconds)
    scale = math.log(mean_seconds) - sigma * sigma / 2
    env = simpy.Environment()
    resource = simpy.Resource(env, capacity=slots)
    done = [0]

    def message():
        with resource.request() as request:
            yield request
            yield env.timeout(math.exp(scale + sigma * rng.standard_normal()) if sigma else mean_seconds)
            done[0] += 1

    def source():
        while True:
            yield env.timeout(rng.exponential(1 / rate))
            env.process(message())

    env.process(source())
    env.run(until=horizon)
    return done[0]


def timed(model, fleet, scenario, settings):
    started = time.perf_counter()
    result = simulate(model, fleet, scenario, settings)
    return result, time.perf_counter() - started


def main(stack: str) -> None:
    profile = load_profile(resolve_stack(stack))
    lane = plan(profile).workloads[0]
    workload = next(w for w in profile.workloads if w.name == lane.group)
    model = model_from_plan(lane, workload.sink)
    fleet = plan_fleet(lane)
    settings = Settings(random_seed=SEED)
    print(f"stack {stack}, queue {lane.name}, fleet: {fleet.label}, Poisson arrivals and lognormal processing "
          f"(mean {model.processing_seconds:g} s, p99 {model.processing_p99_seconds:g} s), seed {SEED}")
    warm = sc.diurnal(lane.arrival_average_per_second, lane.arrival_peak_per_second,
                      lane.arrival_trough_per_second, days=1 / 24)
    _, warm_seconds = timed(model, fleet, warm, settings)
    print(f"  warm-up (compiles the kernels once per machine, then loads them): {warm_seconds:.3f} s")
    ours_rate = 0.0
    for days in (1, 7, 15):
        scenario = sc.diurnal(lane.arrival_average_per_second, lane.arrival_peak_per_second,
                              lane.arrival_trough_per_second, days=days)
        best = math.inf
        for _ in range(3):
            result, elapsed = timed(model, fleet, scenario, settings)
            best = min(best, elapsed)
        rate = result.messages_arrived / best
        if days == 7:
            ours_rate = rate
        kind = "per message" if queue_model_of(settings, scenario) == "messages" else "fluid (over the limit)"
        print(f"  {days:>2} day(s) diurnal, {kind}: {best:6.3f} s (best of 3), {result.messages_arrived:,.0f} "
              f"messages, {rate:,.0f} messages simulated per second")
    slots = lane.max_capacity * lane.concurrency_per_task
    started = time.perf_counter()
    count = simpy_messages(slots, model.processing_seconds, model.processing_p99_seconds,
                           lane.arrival_average_per_second, SIMPY_SPAN_SECONDS, SEED)
    elapsed = time.perf_counter() - started
    simpy_rate = count / elapsed
    print(f"  SimPy per-message model, {SIMPY_SPAN_SECONDS / 3600:g} h at the average rate, {slots} slots: "
          f"{elapsed:6.3f} s, {count:,} messages, {simpy_rate:,.0f} messages simulated per second")
    static = simulate(model, StaticFleet(lane.max_capacity),
                      sc.constant(lane.arrival_average_per_second, days=SIMPY_SPAN_SECONDS / 86_400), settings)
    print(f"  same span in ours (static {lane.max_capacity} tasks): {static.messages_processed:,.0f} messages "
          f"(SimPy: {count:,})")
    print(f"  speed ratio per simulated message (ours over 7 days / SimPy): {ours_rate / simpy_rate:,.0f}x")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "event-backlog")
