"""Benchmark: `qcap preview` end to end against the bare mock run of the same program.

Builds a 50-workload stack (SQS services, some scaling to zero, some scheduled, a FIFO
queue), then times, as whole processes, (a) `qcap preview STACK --json` and (b) a process
that only runs the Pulumi program under the mocks the way (a) does (as an update and as a new
stack's first preview), alternating a/b so drift hits both. It
prints each run, the medians and their ratio: the policy engine's share is ratio - 1.

    .venv/bin/python benchmarks/bench_preview.py [--workloads 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# The same program runs `qcap preview` makes: as an update and as a new stack's first preview
# (both by default), so the ratio measures what the policy engine adds and nothing else.
BARE_RUN = """
import sys
from qcap.commands.stack_loading import load_stack
from qcap.offline.preview import program_config, run_stack_program
loaded = load_stack(sys.argv[1])
overrides, _ = program_config(loaded)
for new_stack in (False, True):
    run = run_stack_program(loaded.name, overrides, None, new_stack=new_stack)
    assert run.error is None, run.error
print(len(run.registrations))
"""


def workload(i: int) -> dict:
    """One of four shapes, so the stack exercises every AWS component path but Redis."""
    shape = i % 4
    w = {
        "name": f"w{i:02d}",
        "broker": "sqs-fifo" if shape == 3 else "sqs",
        "traffic": {"messages_per_day": 100_000 * (1 + i), "peak_to_average": 3, "trough_to_average": 0.2,
                    "message_bytes": 2048},
        "consumer": {"processing_seconds": 0.5, "processing_p99_seconds": 2.0, "concurrency_per_task": 4,
                     "image": "example/worker:1"},
        "objective": {"max_age_seconds": 900 if shape == 1 else 120},
    }
    if shape == 2:
        w["consumer"].update(mode="scheduled", interval_seconds=300, batch_limit=50_000, concurrency_per_task=200)
        w["consumer"]["processing_seconds"] = 0.1
        w["consumer"]["processing_p99_seconds"] = 0.2
        w["objective"]["max_age_seconds"] = 900
    return w


def write_stack(directory: Path, count: int) -> Path:
    path = directory / f"bench-{count}.yaml"
    profile = {"environment": "staging", "alerts": {"emails": ["bench@example.com"]},
               "workloads": [workload(i) for i in range(count)]}
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return path


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    qcap = str(Path(sys.executable).with_name("qcap"))
    with tempfile.TemporaryDirectory() as tmp:
        stack = write_stack(Path(tmp), args.workloads)
        _, out = timed([sys.executable, "-c", BARE_RUN, str(stack)])
        print(f"stack: {args.workloads} workloads, {out.strip()} resources")
        preview_s, bare_s = [], []
        for run in range(1, args.runs + 1):
            p, _ = timed([qcap, "preview", str(stack), "--json"])
            b, _ = timed([sys.executable, "-c", BARE_RUN, str(stack)])
            preview_s.append(p)
            bare_s.append(b)
            print(f"run {run}: qcap preview {p:.2f} s, bare mock run {b:.2f} s, ratio {p / b:.2f}")
    p, b = statistics.median(preview_s), statistics.median(bare_s)
    print(f"median: qcap preview {p:.2f} s, bare mock run {b:.2f} s, ratio {p / b:.2f} "
          f"(the policy engine adds {100 * (p / b - 1):.0f}%)")


if __name__ == "__main__":
    main()
