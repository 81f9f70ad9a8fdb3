"""Shared fixtures: plans to build components from, and a runner for the offline engine."""

from __future__ import annotations

import copy
import gc
from typing import Any, Callable

import pytest
from hypothesis import settings as hypothesis_settings

import moto_fixes
import tiers
from capacity.plan import Plan, WorkloadPlan, plan
from capacity.profile import load_profile, parse_profile, resolve_stack
from qcap.offline.mock_engine import run_function
from qcap.offline.program_run import ProgramRun

from factories import SQS_WORKLOAD  # noqa: F401 - re-exported for the component tests

moto_fixes.apply()  # for moto in this process too (mock_aws, ThreadedMotoServer)

TEST_REGION = "eu-west-1"
TEST_STACK = "unit"

REDIS_WORKLOAD: dict[str, Any] = {
    "name": "points",
    "broker": "redis",
    "traffic": {"messages_per_day": 8_640_000, "peak_messages_per_second": 300, "message_bytes": 200},
    "consumer": {"processing_seconds": 0.01, "processing_p99_seconds": 0.05, "receive_batch": 100,
                 "image": "example/redis-worker:1"},
    "objective": {"max_age_seconds": 60},
    "cache": {"pool_size_per_task": 10},
}

SCHEDULED_WORKLOAD: dict[str, Any] = {
    "name": "questions",
    "broker": "sqs",
    "traffic": {"messages_per_day": 1000, "peak_messages_per_second": 0.1, "message_bytes": 1024},
    "consumer": {"mode": "scheduled", "interval_seconds": 300, "batch_limit": 30, "concurrency_per_task": 5,
                 "processing_seconds": 2.5, "image": "example/scheduler:1"},
    "objective": {"max_age_seconds": 900},
}


def plan_workload(workload: dict[str, Any], environment: str = "dev", **changes: Any) -> WorkloadPlan:
    """Plan a one-workload profile (keyword `objective__max_age_seconds=60` sets nested keys)."""
    data = copy.deepcopy(workload)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    profile = parse_profile({"environment": environment, "alerts": {"emails": ["ops@example.com"]},
                             "workloads": [data]}, "test.yaml")
    return plan(profile).workloads[0]


def plan_stack(stack: str) -> Plan:
    """The plan of a stack shipped in stacks/."""
    return plan(load_profile(resolve_stack(stack)))


@pytest.fixture
def run_components() -> Callable[..., ProgramRun]:
    """Run a function that creates components under the mocks; returns the recorded run (errors re-raised)."""

    def run(program: Callable[[], Any], config: dict[str, Any] | None = None, allow_error: bool = False) -> ProgramRun:
        result = run_function(program, stack=TEST_STACK, config={"aws:region": TEST_REGION, **(config or {})})
        if result.error and not allow_error:
            raise AssertionError(f"the program failed: {result.error}")
        return result

    return run


# --- tiers (tests/tiers.py): the full suite, and the fast tier `pytest -m "not slow"` -----------

# Both build on the profile hypothesis chose at import (its "default", or its "ci" when $CI is set).
_BASE_PROFILE = hypothesis_settings.get_profile(hypothesis_settings.get_current_profile_name())
# Full: the example counts as before (hypothesis's 100, or what a test pins), with no deadline, so
# a loaded machine never fails a test for taking long.
hypothesis_settings.register_profile(tiers.FULL, _BASE_PROFILE, deadline=None)
# Fast: a tenth of the examples (tests that pin a count read tiers.examples(N)).
hypothesis_settings.register_profile(tiers.FAST, hypothesis_settings.get_profile(tiers.FULL),
                                     max_examples=tiers.FAST_EXAMPLES)
_TIER = pytest.StashKey[str]()


def pytest_configure(config):
    """Pick the tier before any test module is imported (their decorators read it)."""
    try:
        tier = tiers.tier_of(config.option.markexpr or "")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_TIER] = tier
    if not config.getoption("--hypothesis-profile", None):  # a profile named on the command line wins
        hypothesis_settings.load_profile(tier)


# Fixtures that start a real server (below): a test that uses one is in the slow tier, so a module
# of server tests needs no module-wide mark and its plain unit tests stay in the fast tier.
SERVER_FIXTURES = frozenset({"moto", "redis_srv"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_report_header(config):
    return (f"qcap test tier: {config.stash[_TIER]} (hypothesis profile "
            f"{hypothesis_settings.get_current_profile_name()!r}; tests/tiers.py says how it is chosen)")


def pytest_sessionfinish(session, exitstatus):
    """Collect leftover Pulumi tasks now, so a late log line from one lands before pytest's summary."""
    gc.collect()


# --- real servers for the worker tests (tests/servers.py) ------------------------------


@pytest.fixture(scope="session")
def moto():
    """One moto server on 127.0.0.1 for the session; each test makes its own queues."""
    from servers import moto_server

    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_srv():
    """One real redis-server on a free loopback port for the session; each test uses its own keys."""
    from servers import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture
def ecs_agent():
    """A stub of the ECS agent's task-protection endpoint on 127.0.0.1, recording each call."""
    from servers import ecs_agent_stub

    with ecs_agent_stub() as stub:
        yield stub


@pytest.fixture(autouse=True)
def _no_test_ends_the_test_process(monkeypatch):
    """The worker's entry points end the process with os._exit; in-process that would end pytest itself
    with exit 0 and a silent, partial run, so here it fails the test that reached it instead."""
    import os

    def refuse(code: int) -> None:
        raise RuntimeError(f"os._exit({code}) reached in the test process: patch the entry point's exit")

    monkeypatch.setattr(os, "_exit", refuse)


@pytest.fixture(scope="session", autouse=True)
def _terminal_width_is_pinned():
    """Tests never depend on the terminal that runs them: 80 columns unless a test sets COLUMNS itself.

    (CI runs with COLUMNS=40 and COLUMNS=300 as well as to a file and a pipe; tests of width
    pass their own COLUMNS to CliRunner or their own Console(width=...).)
    """
    import os

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    yield
    if saved is None:
        os.environ.pop("COLUMNS", None)
    else:
        os.environ["COLUMNS"] = saved


@pytest.fixture(autouse=True)
def _progress_lines_only_when_a_test_asks(monkeypatch):
    """In-process commands write no progress line after a wait (only a stage known to be slow says itself),
    so a slow machine does not add a line to the stderr a test compares; tests of progress set their own."""
    from qcap.commands import progress

    monkeypatch.setattr(progress, "PIPE_AFTER_SECONDS", 3600.0)
