"""The queue's verdicts in words that say what they mean: no backlog to drain, no data, 20% of retention."""

from __future__ import annotations

import pytest

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import diagnosis
from tests.factories import DOCTOR_END as END, DOCTOR_PROFILE as PROFILE, DOCTOR_START as START, flat, live_facts


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


def _check(d, name):
    return next(c for c in d.checks if c.name == name)


def test_a_steady_queue_with_its_working_set_has_no_backlog_to_drain_not_never(orders):
    d = diagnosis.diagnose(orders, live_facts(orders, visible=3))
    drain = _check(d, "drain")
    assert (drain.level, drain.value) == ("ok", "no backlog to drain")
    assert d.computed.keeps_pace


def test_no_age_datapoints_while_messages_wait_is_no_data_not_zero_seconds(orders):
    facts = live_facts(orders, visible=500)
    history = facts.history.__class__(START, END, sent=flat(60), deleted=flat(60), oldest_age=())
    facts = facts.__class__(*[history if f == "history" else getattr(facts, f) for f in facts.__dataclass_fields__])
    age = _check(diagnosis.diagnose(orders, facts), "age of oldest")
    assert (age.level, age.value) == ("warn", "no data")
    assert age.detail.startswith("no ApproximateAgeOfOldestMessage datapoint in the window while 500 messages wait")


def test_the_retention_warning_says_20_percent_not_19(orders):
    facts = live_facts(orders, visible=3, retention_seconds=1000)
    history = facts.history.__class__(START, END, sent=flat(60), deleted=flat(60), oldest_age=((START, 850.0),))
    facts = facts.__class__(*[history if f == "history" else getattr(facts, f) for f in facts.__dataclass_fields__])
    expiry = _check(diagnosis.diagnose(orders, facts), "expiry risk")
    assert expiry.level == "warn"
    assert expiry.detail.endswith("; within 20% of retention")
