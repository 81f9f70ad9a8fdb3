"""The fuzzer's parts: mutations of the shipped profiles and of a trace CSV, and one CLI run measured.

`tests/test_fuzz.py` draws cases with hypothesis from these strategies and runs `qcap plan`,
`qcap simulate` and the preview's in-process path on each. Every case must end with exit 0,
1 or 2, print no traceback, simulate at most CASE_SIMULATED_SECONDS of queue time and grow the
peak RSS by at most CASE_RSS_BYTES. Both bounds count work, not wall time, so a loaded machine
passes exactly the cases an idle one does. Outcomes are tallied in OUTCOMES so a run can report them.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from typer.testing import CliRunner

import capacity.simulate as simulator
from capacity import limits
from capacity.profile import STACKS_DIR, stack_names
from qcap.cli import app

# The documented bounds of one case (docs/fuzzing.md), both counts of work rather than wall time:
# seconds of queue time simulated (the planner's proofs and the simulate command's runs together)
# and growth of peak RSS. The largest case simulates 42 days (a preview of job-queues, whose 7
# lanes each prove a target over a spike, a day and a noisy day per candidate); 100 days leaves
# room for that to grow, and a search that ran away would exceed it on any machine.
CASE_SIMULATED_SECONDS = 100 * limits.SECONDS_PER_DAY
CASE_RSS_BYTES = 1024**3

# Values a person (or a tired finger) puts where a number, a word or a section belongs.
NASTY_VALUES: list[Any] = [
    float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 5e-324, 1e15, 1e12, 1e9, 0, 0.0, -1, -0.5,
    10**400, 2**63, True, False, None, "yes", "no", "on", "inf", "Infinity", ".inf", "1e3", "", "ten", "0x10",
    [], {}, [1, 2], {"a": 1}, 0.001, 1, 2, 10, 100, 3600, 86_400, 1_209_600, 50_000_000, "sqs", "service", "prod",
    "cache.t4g.micro", "cache.nope.large", "é" * 3,
]

STACK_TEXTS: dict[str, str] = {name: (STACKS_DIR / f"{name}.yaml").read_text() for name in stack_names()}
STACK_DATA: dict[str, Any] = {name: yaml.safe_load(text) for name, text in STACK_TEXTS.items()}

# Keys that may be added where they are not (unknown keys and optional sections).
EXTRA_KEYS = ["overrides", "sink", "cache", "priorities", "partitions", "typo_key", "current_tasks", "backlog_messages",
              "peak_to_average", "peak_messages_per_second", "shards", "cache_node_type", "max_concurrency"]

OUTCOMES: Counter[str] = Counter()
# The largest case of each kind; wall seconds are reported for interest and bound nothing.
WORST: dict[str, Any] = {"simulated_seconds": 0, "simulated_case": "", "seconds": 0.0, "seconds_case": "",
                         "rss_growth_bytes": 0, "rss_case": ""}
# Seconds of queue time simulated since the case began (counted by counting_simulation()).
SIMULATED: Counter[str] = Counter()
# The simulator's engines, each called with (model, fleet, scenario, ...) by capacity.simulate.simulate.
ENGINES = ("simulate_service", "simulate_scheduled", "simulate_cloudflare")


@contextmanager
def counting_simulation():
    """Count into SIMULATED the seconds every simulation run covers, whoever runs it (planner or command)."""
    originals = {name: getattr(simulator, name) for name in ENGINES}

    def counted(engine):
        def run(model, fleet, scenario, *args, **kwargs):
            SIMULATED["seconds"] += scenario.duration_seconds
            SIMULATED["runs"] += 1
            return engine(model, fleet, scenario, *args, **kwargs)
        return run

    for name, engine in originals.items():
        setattr(simulator, name, counted(engine))
    try:
        yield SIMULATED
    finally:
        for name, engine in originals.items():
            setattr(simulator, name, engine)


def check_simulated(label: str) -> int:
    """Assert the case simulated at most CASE_SIMULATED_SECONDS; note the largest; reset the count."""
    simulated = SIMULATED["seconds"]
    SIMULATED.clear()
    if simulated > WORST["simulated_seconds"]:
        WORST.update(simulated_seconds=simulated, simulated_case=label)
    assert simulated <= CASE_SIMULATED_SECONDS, (
        f"{label}: simulated {simulated / limits.SECONDS_PER_DAY:.1f} days of queue time, more than the "
        f"{CASE_SIMULATED_SECONDS / limits.SECONDS_PER_DAY:.0f} days a case may")
    return simulated


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside parsed YAML (mappings and lists), the containers included."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, prefix + (index,)))
    return out


def _set(data: Any, path: tuple, value: Any, delete: bool = False) -> None:
    node = data
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def _numeric_paths(node: Any) -> list[tuple]:
    return [p for p in _paths(node) if _is_number(_get(node, p))]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _get(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


# Numbers at the edges of what floats hold, and what YAML turns into numbers or not.
EDGE_NUMBERS: list[Any] = [float("inf"), float("-inf"), float("nan"), 1e308, 5e-324, 0, -1, 10**400, 2**63, True, "yes"]


@st.composite
def profile_texts(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped profile with one to three mutations, as the bytes of a file; and a label saying which.

    Most mutations scale one number by a power of ten (a typo's size), so most cases still
    validate and reach the planner and the simulator; the rest put a nasty value anywhere,
    delete or add a key, or damage the text (a repeated line, Latin-1 bytes, a cut, a tab).
    """
    name = draw(st.sampled_from(sorted(STACK_DATA)))
    data = copy.deepcopy(STACK_DATA[name])
    labels = [name]
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        kind = draw(st.sampled_from(["nudge"] * 5 + ["scale"] * 3 + ["edge", "value", "delete", "add"]))
        numeric = _numeric_paths(data)
        paths = numeric if kind in ("nudge", "scale", "edge") and numeric else _paths(data)
        path = draw(st.sampled_from(paths)) if paths else ()
        try:
            if kind in ("nudge", "scale") and path and _is_number(_get(data, path)):
                original = _get(data, path)
                powers = [-1, 1, 2, 3] if kind == "nudge" else [-15, -9, -6, -3, -2, 6, 9, 12, 15]
                factor = 10.0 ** draw(st.sampled_from(powers))
                _set(data, path, round(original * factor) if isinstance(original, int) else original * factor)
            elif kind == "edge" and path:
                _set(data, path, draw(st.sampled_from(EDGE_NUMBERS)))
            elif kind == "value" and path:
                _set(data, path, draw(st.sampled_from(NASTY_VALUES)))
            elif kind == "delete" and path:
                _set(data, path, None, delete=True)
            elif kind == "add":
                parent = data
                for key in path[:-1]:
                    parent = parent[key]
                if isinstance(parent, dict):
                    parent[draw(st.sampled_from(EXTRA_KEYS))] = draw(st.sampled_from(NASTY_VALUES))
        except (KeyError, IndexError, TypeError, OverflowError):
            pass
        labels.append(f"{kind}:{'.'.join(map(str, path))}")
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    raw = text.encode("utf-8")
    textual = draw(st.sampled_from(["none"] * 30 + ["duplicate-line", "latin1", "truncate", "tab"]))
    lines = raw.split(b"\n")
    if textual == "duplicate-line" and len(lines) > 2:
        i = draw(st.integers(0, len(lines) - 2))
        lines.insert(i + 1, lines[i])
        raw = b"\n".join(lines)
    elif textual == "latin1":
        raw = raw.replace(b"\n", b" # caf\xe9\n", 1)
    elif textual == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif textual == "tab":
        raw = raw.replace(b"  ", b"\t", 1)
    labels.append(textual)
    return " ".join(labels), raw


TRACE_START_EPOCH = 1_740_787_200  # 2025-03-01T00:00:00Z


@st.composite
def trace_texts(draw: st.DrawFn) -> tuple[str, bytes]:
    """A per-minute NumberOfMessagesSent CSV, sometimes with a gap, a repeat, a bad cell or a wrong header."""
    rows = draw(st.integers(1, 90))
    minutes = list(range(rows))
    kind = draw(st.sampled_from(["plain", "plain", "gap", "year-gap", "repeat", "bad-cell", "huge", "header", "no-time",
                                 "seconds"]))
    if kind == "gap":
        minutes = [m if m < rows // 2 else m + draw(st.integers(1, 600)) for m in minutes]
    elif kind == "year-gap":
        minutes = [m if m < rows // 2 else m + 525_600 for m in minutes]
    elif kind == "repeat" and rows > 1:
        minutes[-1] = minutes[0]
    values = draw(st.lists(st.one_of(st.integers(0, 10_000), st.floats(0, 1e6)), min_size=rows, max_size=rows))
    cells = [repr(v) for v in values]
    if kind == "bad-cell":
        cells[draw(st.integers(0, rows - 1))] = draw(st.sampled_from(["x", "-1", "inf", "nan", "", "1e400"]))
    elif kind == "huge":
        cells[draw(st.integers(0, rows - 1))] = draw(st.sampled_from(["1e15", "1e300", "4.32e12"]))
    header = "Timestamp,Sum"
    if kind == "header":
        header = draw(st.sampled_from(["When,What", "", "Sum", "Timestamp"]))
    step = 1 if kind != "seconds" else 0.5
    if kind == "no-time":
        lines = ["Sum"] + cells
    else:
        lines = [header] + [
            f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(TRACE_START_EPOCH + int(m * 60 * step)))}Z,{c}"
            for m, c in zip(minutes, cells)
        ]
    return kind, ("\n".join(lines) + "\n").encode("utf-8")


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class Outcome:
    exit_code: int
    output: str
    stderr: str
    seconds: float
    simulated_seconds: int
    rss_growth_bytes: int


_runner = CliRunner()


def run_case(command: str, args: list[str], label: str) -> Outcome:
    """Run `qcap ARGS` in process at 40 columns; check the case's bounds and tally its outcome.

    Call it inside counting_simulation() (tests/test_fuzz.py does, for the whole module).
    """
    before = peak_rss_bytes()
    SIMULATED.clear()
    started = time.perf_counter()
    result = _runner.invoke(app, args, env={"COLUMNS": "40"}, catch_exceptions=True)
    seconds = time.perf_counter() - started
    growth = peak_rss_bytes() - before
    stderr = result.stderr if hasattr(result, "stderr") else ""
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    OUTCOMES[f"{command} exit {'traceback' if crashed else result.exit_code}"] += 1
    if seconds > WORST["seconds"]:
        WORST.update(seconds=seconds, seconds_case=f"{command} {label}")
    if growth > WORST["rss_growth_bytes"]:
        WORST.update(rss_growth_bytes=growth, rss_case=f"{command} {label}")
    WORST["peak_rss_bytes"] = peak_rss_bytes()
    assert not crashed, f"{command} {label}: {result.exception!r}\n{result.output}"
    assert result.exit_code in (0, 1, 2), f"{command} {label}: exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output, f"{command} {label}:\n{result.output}"
    simulated = check_simulated(f"{command} {label}")
    assert growth <= CASE_RSS_BYTES, f"{command} {label}: peak RSS grew {growth / 2**20:.0f} MiB"
    return Outcome(result.exit_code, result.output, stderr, seconds, simulated, growth)


def write_report() -> None:
    """Write OUTCOMES and WORST as JSON to $QCAP_FUZZ_REPORT, when it is set."""
    target = os.environ.get("QCAP_FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps({"outcomes": dict(sorted(OUTCOMES.items())), "worst": WORST}, indent=2))


# Values at the bounds capacity/limits.py puts on profiles, where arithmetic overflows if anywhere.
def _bound_values() -> list[Any]:
    from capacity import limits

    return [
        limits.MAX_PLANNABLE_MESSAGES_PER_SECOND, limits.MAX_PLANNABLE_MESSAGES_PER_DAY,
        limits.MAX_PLANNABLE_BACKLOG_MESSAGES, limits.MIN_PROCESSING_SECONDS, limits.MAX_PROCESSING_SECONDS,
        limits.MIN_SINK_REQUESTS_PER_SECOND, limits.MAX_SINK_BYTES_PER_SECOND, limits.MAX_SINK_CONNECTIONS,
        limits.MAX_PEAK_TO_AVERAGE, limits.MIN_CONNECTIONS_PER_SLOT, 0, 1, 2, 10, 100, 1_000, 5_000, 10_000, 65_000,
        0.001, 0.5, 1.0, 5e-324, 1e-300, 1e300,
    ]


@st.composite
def bound_profiles(draw: st.DrawFn) -> tuple[str, dict]:
    """A shipped profile (parsed) with one to six numbers set to values at the profile's bounds."""
    name = draw(st.sampled_from(sorted(STACK_DATA)))
    data = copy.deepcopy(STACK_DATA[name])
    labels = [name]
    values = _bound_values()
    for _ in range(draw(st.integers(1, 6))):
        path = draw(st.sampled_from(_numeric_paths(data)))
        value = draw(st.sampled_from(values))
        _set(data, path, value if isinstance(_get(data, path), float) or not float(value).is_integer() else int(value))
        labels.append(f"{'.'.join(map(str, path))}={value:g}")
    return " ".join(labels), data
