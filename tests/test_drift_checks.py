"""Drift between the live stack and its plan: critical only on the unsafe side."""

from __future__ import annotations

import pytest

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import diagnosis
from tests.factories import DOCTOR_PROFILE as PROFILE, live_facts


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


def test_diagnose_marks_drift_critical_only_on_the_unsafe_side(orders):
    shorter = diagnosis.diagnose(orders, live_facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds - 1))
    longer = diagnosis.diagnose(orders, live_facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds + 60))
    levels = [{c.name: c.level for c in d.checks}["drift: visibility_timeout_seconds"] for d in (shorter, longer)]
    assert levels == ["critical", "warn"]
