"""benchmarks/bench_generated.py: generated workloads, the same for a seed everywhere, planned and verified."""

from __future__ import annotations

from benchmark_modules import load_benchmark
from capacity.profile import parse_profile


def _bench():
    return load_benchmark("bench_generated")


def test_a_seed_draws_the_same_valid_profile_every_time_and_seeds_differ():
    bench = _bench()
    assert bench.generated_profile(4) == bench.generated_profile(4)
    assert bench.generated_profile(4) != bench.generated_profile(5)
    workload = parse_profile(bench.generated_profile(4), "generated-4.yaml").workloads[0]
    assert workload.traffic.messages_per_day in bench.MESSAGES_PER_DAY
    assert workload.consumer.concurrency_per_task in bench.SLOTS_PER_TASK


def test_a_seed_is_reported_with_its_fleet_cost_cpu_and_verdict():
    # Seed 1 is a 50k-message day whose plan is one task (min = max): quick to verify, and it holds.
    lines = _bench().report(1)
    assert lines[0].startswith("g1 (50,000/day): min 1 max 1 ") and lines[0].endswith("-> HOLDS")
    assert "s of CPU" in lines[0] and len(lines) == 1
