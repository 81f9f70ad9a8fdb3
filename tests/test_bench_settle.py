"""benchmarks/bench_settle.py: the noisy table (Poisson arrivals, p99 processing times) beside the deterministic one."""

from __future__ import annotations

from benchmark_modules import load_benchmark
from capacity.plan import plan
from capacity.profile import load_profile, resolve_stack
from capacity.simulation_inputs import model_from_plan
from capacity.verify import drain_allowed_seconds, standard_scenarios


def _bench():
    return load_benchmark("bench_settle")


def test_the_noisy_table_gives_each_fleet_the_seeds_held_worst_age_and_mean_task_hours_of_the_day_and_spike():
    bench = _bench()
    profile = load_profile(resolve_stack("dev"))
    lane = plan(profile).workloads[0]
    scenarios = standard_scenarios(lane, drain_allowed_seconds(profile.workloads[0], lane))
    rows = bench.noisy_rows(lane, model_from_plan(lane, profile.workloads[0].sink), scenarios)
    # diurnal and spike (not the drain) for the plan and CDK's default: dev's plan is itself a static fleet
    assert [(r.split()[0], r.split()[1]) for r in rows] == [("orders", "diurnal")] * 2 + [("orders", "spike")] * 2
    assert [r.split("  ")[0].strip() for r in rows] == ["orders"] * 4
    # dev's one task (min = max = 1) holds on every seed and costs 24 task-hours a day whatever the noise
    for row in rows:
        cells = [c for c in row.split("  ") if c.strip()]
        held, worst_age, mean_hours, spread, launches, flaps = (c.strip() for c in cells[-6:])
        assert (held, mean_hours, spread, launches, flaps) == (f"{len(bench.NOISY_SEEDS)}/{len(bench.NOISY_SEEDS)}",
                                                               "24.0", "24.0-24.0", "0", "0")
        assert float(worst_age) < 900
