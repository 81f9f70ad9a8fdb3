"""Time the simulator on a seed stack, and compare its speed per simulated message with a SimPy per-message model.

Run: .venv/bin/python benchmarks/bench_simulate.py [STACK]   (default: event-backlog, seed 004)
Prints figures only; it asserts nothing about time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simpy  # noqa: E402

from capacity import scenarios as sc  # noqa: E402
from capacity.plan import plan  # noqa: E402
from capacity.profile import load_profile, resolve_stack  # noqa: E402
from capacity.simulate import StaticFleet, simulate  # noqa: E402
from capacity.simulation_inputs import model_from_plan, plan_fleet  # noqa: E402

SIMPY_SPAN_SECONDS = 2 * 3600
# Keep the SimPy run short on busy queues: at most this many messages.
SIMPY_MAX_MESSAGES = 100_000


def simpy_messages(tasks: int, concurrency: int, processing_seconds: float, rate: float, horizon: float) -> int:
    """A per-message discrete-event model (one SimPy process per message); returns messages completed."""
    env = simpy.Environment()
    slots = simpy.Resource(env, capacity=tasks * concurrency)
    done = [0]

    def message():
        with slots.request() as request:
            yield request
            yield env.timeout(processing_seconds)
            done[0] += 1

    def source():
        while True:
            yield env.timeout(1 / rate)
            env.process(message())

    env.process(source())
    env.run(until=horizon)
    return done[0]


def main(stack: str) -> None:
    profile = load_profile(resolve_stack(stack))
    lane = plan(profile).workloads[0]
    workload = next(w for w in profile.workloads if w.name == lane.group)
    model = model_from_plan(lane, workload.sink)
    fleet = plan_fleet(lane)
    print(f"stack {stack}, queue {lane.name}, fleet: {fleet.label}")
    ours_rate = 0.0
    for days in (1, 7, 30):
        scenario = sc.diurnal(lane.arrival_average_per_second, lane.arrival_peak_per_second,
                              lane.arrival_trough_per_second, days=days)
        started = time.perf_counter()
        result = simulate(model, fleet, scenario)
        elapsed = time.perf_counter() - started
        rate = result.messages_processed / elapsed
        if days == 7:
            ours_rate = rate
        print(f"  {days:>2} day(s) diurnal at 1 s resolution: {elapsed:6.3f} s, "
              f"{result.messages_processed:,.0f} messages, {rate:,.0f} messages simulated per second")
    tasks = lane.max_capacity
    span = min(SIMPY_SPAN_SECONDS, SIMPY_MAX_MESSAGES / lane.arrival_average_per_second)
    started = time.perf_counter()
    count = simpy_messages(tasks, lane.concurrency_per_task, lane.processing_seconds,
                           lane.arrival_average_per_second, span)
    elapsed = time.perf_counter() - started
    simpy_rate = count / elapsed
    print(f"  SimPy per-message model, {span / 3600:.3g} h at the average rate, {tasks} tasks: "
          f"{elapsed:6.3f} s, {count:,} messages, {simpy_rate:,.0f} messages simulated per second")
    static = simulate(model, StaticFleet(tasks), sc.constant(lane.arrival_average_per_second,
                                                             days=span / 86_400))
    print(f"  same span in our simulator (static {tasks} tasks): {static.messages_processed:,.0f} messages "
          f"(SimPy: {count:,})")
    print(f"  speed ratio per simulated message (ours, 7 days / SimPy): {ours_rate / simpy_rate:,.0f}x")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "event-backlog")
