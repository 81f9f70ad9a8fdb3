"""Plans on profiles nobody designed them for: generated SQS workloads, planned and verified on seeds 1-10.

Run: .venv/bin/python benchmarks/bench_generated.py [SEED ...]   (default: seeds 0-11)

Each seed draws one workload (messages a day, peak and trough, processing time and p99, slots
per task, objective) from the ranges below, plans it, and runs `qcap plan --verify`'s checks:
the diurnal day, the spike, the drain and constant 25/50/75/100% of the peak, alone and on
seeds 1-10. It prints the plan's fleet, its monthly cost, the CPU plan() took (after the
kernels are loaded) and HOLDS, or FAILS with each failing check. A few minutes for the
default seeds on our development machine; figures only, it asserts nothing.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity.plan import plan  # noqa: E402
from capacity.profile import parse_profile  # noqa: E402
from capacity.verify import verify  # noqa: E402

MESSAGES_PER_DAY = (50_000, 200_000, 600_000, 1_500_000, 3_000_000)
PEAK_TO_AVERAGE = (1.0, 1.5, 2.0, 3.0)
TROUGH_TO_AVERAGE = (0.2, 0.5)
SLOTS_PER_TASK = (1, 2, 4, 8)
OBJECTIVE_SECONDS = (120, 300, 600, 1800, 3600)
PROCESSING_SECONDS_RANGE = (0.1, 4.0)  # drawn uniformly
P99_OVER_MEAN_RANGE = (1.5, 4.0)


def generated_profile(seed: int) -> dict:
    """One SQS workload drawn from the ranges above (the same for a seed on every machine)."""
    rng = random.Random(seed)
    processing = round(rng.uniform(*PROCESSING_SECONDS_RANGE), 2)
    workload = {
        "name": "w", "broker": "sqs",
        "traffic": {"messages_per_day": rng.choice(MESSAGES_PER_DAY), "peak_to_average": rng.choice(PEAK_TO_AVERAGE),
                    "trough_to_average": rng.choice(TROUGH_TO_AVERAGE), "message_bytes": 1024},
        "consumer": {"processing_seconds": processing,
                     "processing_p99_seconds": round(processing * rng.uniform(*P99_OVER_MEAN_RANGE), 2),
                     "concurrency_per_task": rng.choice(SLOTS_PER_TASK), "receive_batch": 10, "image": "x:1"},
        "objective": {"max_age_seconds": rng.choice(OBJECTIVE_SECONDS)},
    }
    return {"environment": "dev", "alerts": {"emails": ["a@example.com"]}, "workloads": [workload]}


def report(seed: int) -> list[str]:
    """The lines printed for one seed."""
    profile = parse_profile(generated_profile(seed), f"generated-{seed}.yaml")
    started = time.process_time()
    planned = plan(profile)
    cpu = time.process_time() - started
    lane = planned.workloads[0]
    traffic = profile.workloads[0].traffic
    head = f"g{seed} ({traffic.messages_per_day:,.0f}/day):"
    if not lane.feasible:
        return [f"{head} infeasible ({lane.errors[0].limit}), plan() {cpu:.2f} s of CPU"]
    scaling = lane.scaling
    result = verify(profile, planned)[0]
    failed = [f"    {c.description}: {c.reason}" for c in (*result.checks, *result.churn) if not c.holds]
    target = scaling.target_backlog_per_task if scaling else None
    band = scaling.scale_in_backlog_per_task if scaling else None
    return [f"{head} min {lane.min_capacity} max {lane.max_capacity} target {target} band {band} "
            f"${lane.monthly_cost_usd}, plan() {cpu:.2f} s of CPU -> {'FAILS' if failed else 'HOLDS'}", *failed]


def main(argv: list[str]) -> None:
    if not all(arg.isdigit() for arg in argv):
        sys.exit(f"bench_generated.py: each SEED is a whole number >= 0 (got {' '.join(argv)})")
    seeds = [int(arg) for arg in argv] or list(range(12))
    warm = generated_profile(seeds[0])
    warm["workloads"][0]["traffic"]["messages_per_day"] = 10_000  # another workload: nothing of it is cached
    plan(parse_profile(warm, "warm-up.yaml"))  # loads the compiled kernels
    held = 0
    for seed in seeds:
        lines = report(seed)
        held += "HOLDS" in lines[0]
        print("\n".join(lines), flush=True)
    print(f"{held} of {len(seeds)} hold every check on seeds 1-10")


if __name__ == "__main__":
    main(sys.argv[1:])
