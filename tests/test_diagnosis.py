"""The doctor's verdicts from plain facts and a plan: no AWS, no moto."""

from __future__ import annotations

import pytest

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import diagnosis
from qcap.live.facts import History, WorkloadFacts
from tests.factories import DOCTOR_END as END, DOCTOR_PROFILE as PROFILE, DOCTOR_START as START, live_facts


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


def test_diagnose_is_all_ok_when_live_matches_the_plan(orders):
    d = diagnosis.diagnose(orders, live_facts(orders))
    assert d.level == "ok"
    assert {c.name for c in d.checks} >= {"flow", "age of oldest", "drain", "expiry risk", "service", "tasks needed",
                                           "dead-letter queue", "drift: retention_seconds", "drift: min_capacity"}


def test_diagnose_reports_only_the_missing_queue_when_there_is_none(orders):
    missing = WorkloadFacts("orders", "qcap-s-orders", None, None, None, History(START, END), None, None)
    d = diagnosis.diagnose(orders, missing)
    assert [(c.name, c.level) for c in d.checks] == [("queue", "critical")]
    assert d.computed is None
