"""Fuzz `qcap plan`, `qcap simulate` and preview with mutated shipped profiles and traces, in process.

Every case ends with exit 0, 1 or 2 and one line per problem on stderr, never a traceback,
within tests/fuzzing.py's CASE_SIMULATED_SECONDS and CASE_RSS_BYTES, bounds on work that no
machine's speed changes (docs/fuzzing.md has the counts and the bounds). Examples are
derandomized, so CI runs the same cases every time. The whole module is the `slow` tier's.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rich.console import Console

from capacity.plan import plan
from capacity.profile import ProfileError, parse_profile
from qcap.commands.plan import render_plan
from tests.fuzzing import (
    OUTCOMES,
    SIMULATED,
    bound_profiles,
    check_simulated,
    counting_simulation,
    profile_texts,
    run_case,
    trace_texts,
    write_report,
)

# One worker process runs the whole module (`--dist loadfile` in pyproject.toml): the last test sums the cases
# the others counted in this process.
pytestmark = pytest.mark.slow

# Cases per command (at least 2,000 in all); see docs/fuzzing.md.
PLAN_CASES = 700
SIMULATE_CASES = 350
PREVIEW_CASES = 250

FUZZ = dict(
    deadline=None,  # each case checks its own bounds (run_case), which name the case
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _assert_one_line_per_problem(outcome, path: Path) -> None:
    """Exit 2 prints at least one line on stderr, each a whole message (never wrapped at 40 columns)."""
    if outcome.exit_code != 2:
        return
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert lines, outcome.output
    for line in lines:
        assert not line.startswith(" "), f"a wrapped error line: {line!r}\n{outcome.stderr}"


@pytest.fixture(scope="module", autouse=True)
def counted_simulation():
    """Every simulation in this module is counted (run_case bounds each case's simulated seconds)."""
    with counting_simulation():
        yield


@pytest.fixture(scope="module", autouse=True)
def warm_imports(counted_simulation):
    """Import what the first simulation and figure would (numpy, the simulator) outside any case's RSS bound."""
    run_case("warm-up", ["simulate", "dev", "--days", "0.01"], "warm-up")
    OUTCOMES.pop("warm-up exit 0", None)


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory) -> Path:
    # A long directory name, so a message that wrapped at 40 columns would show it.
    return tmp_path_factory.mktemp("fuzz-cases-with-a-long-directory-name-to-catch-wrapped-error-lines")


@settings(max_examples=PLAN_CASES, **FUZZ)
@given(case=profile_texts())
def test_plan_never_crashes_on_a_mutated_profile(case, case_dir):
    label, raw = case
    path = case_dir / "profile.yaml"
    path.write_bytes(raw)
    outcome = run_case("plan", ["plan", str(path)], label)
    _assert_one_line_per_problem(outcome, path)


SCENARIOS = st.sampled_from(
    [
        ["--scenario", "constant", "--days", "0.02"],
        ["--scenario", "diurnal", "--days", "0.02"],
        ["--scenario", "drain", "--days", "0.05"],
        ["--scenario", "trace"],
        ["--scenario", "trace"],
        ["--scenario", "constant", "--days", "0.02"],
        ["--scenario", "diurnal", "--days", "0.02"],
        ["--scenario", "spike", "--days", "0.05", "--spike-minutes", "10"],
        ["--scenario", "drain", "--days", "0.02"],
        ["--scenario", "constant", "--days", "0"],
        ["--scenario", "constant", "--days", "nan"],
        ["--scenario", "constant", "--days", "1e9"],
        ["--scenario", "spike", "--days", "0.02", "--spike-multiplier", "inf"],
        ["--scenario", "spike", "--days", "0.02", "--spike-minutes", "-1"],
        ["--scenario", "trace"],
    ]
)


@settings(max_examples=SIMULATE_CASES, **FUZZ)
@given(case=profile_texts(), scenario=SCENARIOS, trace=trace_texts(), json_output=st.booleans())
def test_simulate_never_crashes_on_a_mutated_profile_or_trace(case, scenario, trace, json_output, case_dir):
    label, raw = case
    path = case_dir / "profile.yaml"
    path.write_bytes(raw)
    trace_label, trace_raw = trace
    trace_path = case_dir / "sent.csv"
    trace_path.write_bytes(trace_raw)
    args = ["simulate", str(path), *scenario]
    if "trace" in scenario:
        args += ["--trace", str(trace_path), "--days", "0.02"] if trace_label == "plain" else ["--trace", str(trace_path)]
    if json_output:
        args.append("--json")
    outcome = run_case("simulate", args, f"{label} {' '.join(scenario)} trace:{trace_label}")
    _assert_one_line_per_problem(outcome, path)


@settings(max_examples=PREVIEW_CASES, **FUZZ)
@given(case=profile_texts())
def test_preview_reaches_the_engine_or_says_why_on_a_mutated_profile(case, case_dir, monkeypatch):
    """The command's own path (load, plan, summary, the program's config); the engine is faked here.

    The real program and policy pack cost about a second per case: tests/test_preview_cmd.py
    runs them on the shipped stacks, and the test below on a handful of fuzzed profiles.
    """
    from qcap.offline import preview as offline_preview
    from qcap.offline.preview import PreviewError, program_config

    def fake_preview(loaded, program=None, policy_config=None, policy_config_source="policy config",
                     new_stack_only=False):
        program_config(loaded)
        raise PreviewError("engine skipped by the fuzzer")

    # The command imports the engine when it runs, so the fake goes where it imports it from.
    monkeypatch.setattr(offline_preview, "preview", fake_preview)
    label, raw = case
    path = case_dir / "profile.yaml"
    path.write_bytes(raw)
    outcome = run_case("preview", ["preview", str(path)], label)
    _assert_one_line_per_problem(outcome, path)


# The real program and pack take 1-25 s a stack (job-queues has 171 resources): a handful of
# cases, not counted in the totals below.
REAL_PREVIEW_CASES = 4


@settings(max_examples=REAL_PREVIEW_CASES, **FUZZ)
@given(case=profile_texts())
def test_preview_with_the_real_program_and_pack_never_crashes(case, case_dir):
    label, raw = case
    path = case_dir / "real.yaml"
    path.write_bytes(raw)
    outcome = run_case("preview-real", ["preview", str(path)], label)
    _assert_one_line_per_problem(outcome, path)


BOUND_CASES = 1_000


@settings(max_examples=BOUND_CASES, **FUZZ)
@given(case=bound_profiles())
def test_the_planner_never_raises_on_a_valid_profile_at_its_bounds(case):
    """Inputs the profile accepts, at the edges of its bounds: the plan, its table and its JSON never raise."""
    label, data = case
    try:
        profile = parse_profile(data, "bounds.yaml")
    except ProfileError:
        OUTCOMES["bounds rejected by the profile"] += 1
        return
    SIMULATED.clear()
    result = plan(profile)
    out = io.StringIO()
    render_plan(Console(file=out, width=80), "bounds", result)
    # An infinite or undefined number is never shown as "inf" or "nan" (a sink quota was).
    assert not re.search(r"(?<![\w.])-?(inf|nan)(?![\w])", out.getvalue()), f"{label}:\n{out.getvalue()}"
    json.dumps(result.as_json(), allow_nan=False)
    OUTCOMES[f"bounds planned ({'feasible' if result.feasible else 'infeasible'})"] += 1
    check_simulated(f"bounds {label}")


def test_the_fuzzer_ran_at_least_two_thousand_cases_without_a_traceback():
    write_report()
    total = sum(v for k, v in OUTCOMES.items() if not k.startswith("preview-real"))
    if total == 0:
        pytest.skip("run with the fuzz tests above (this one sums them up)")
    assert total >= 2_000, dict(OUTCOMES)
    assert not [k for k in OUTCOMES if k.endswith("traceback")], dict(OUTCOMES)
