"""The doctor's verdicts from plain facts and a plan: no AWS, no moto."""

from __future__ import annotations

import pytest

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import diagnosis
from tests.factories import DOCTOR_PROFILE as PROFILE
from qcap.live.facts import History, QueueFacts, ScalingFacts, ServiceFacts, WorkloadFacts

START, END = 0.0, 3600.0


def flat(per_minute: float, minutes: int = 60) -> tuple[tuple[float, float], ...]:
    return tuple((START + 60 * m, per_minute) for m in range(minutes))


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


def live_facts(w, **changes) -> WorkloadFacts:
    queue = QueueFacts(
        url="https://sqs/q", name="qcap-s-orders", arn="arn:aws:sqs:eu-west-1:1:qcap-s-orders",
        visible=changes.pop("visible", 0), in_flight=0, delayed=0,
        retention_seconds=changes.pop("retention_seconds", w.retention_seconds),
        visibility_timeout_seconds=changes.pop("visibility_timeout_seconds", w.visibility_timeout_seconds),
        max_message_bytes=w.max_message_bytes, dlq_arn="arn:aws:sqs:eu-west-1:1:qcap-s-orders-dlq",
        max_receive_count=w.max_receive_count,
    )
    history = History(START, END, sent=flat(60), deleted=flat(60), oldest_age=((START, 5.0),))
    return WorkloadFacts(
        "orders", queue.name, queue, "qcap-s-orders-dlq", 0, history,
        ServiceFacts("qcap-s", "orders", True, running=1, desired=1),
        ScalingFacts("service/qcap-s/orders", True, w.min_capacity, w.max_capacity, "p",
                            w.scaling.target_backlog_per_task),
    )


def test_diagnose_is_all_ok_when_live_matches_the_plan(orders):
    d = diagnosis.diagnose(orders, live_facts(orders))
    assert d.level == "ok"
    assert {c.name for c in d.checks} >= {"flow", "age of oldest", "drain", "expiry risk", "service", "tasks needed",
                                           "dead-letter queue", "drift: retention_seconds", "drift: min_capacity"}


def test_diagnose_marks_drift_critical_only_on_the_unsafe_side(orders):
    shorter = diagnosis.diagnose(orders, live_facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds - 1))
    longer = diagnosis.diagnose(orders, live_facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds + 60))
    levels = [{c.name: c.level for c in d.checks}["drift: visibility_timeout_seconds"] for d in (shorter, longer)]
    assert levels == ["critical", "warn"]


def test_diagnose_reports_only_the_missing_queue_when_there_is_none(orders):
    missing = WorkloadFacts("orders", "qcap-s-orders", None, None, None, History(START, END), None, None)
    d = diagnosis.diagnose(orders, missing)
    assert [(c.name, c.level) for c in d.checks] == [("queue", "critical")]
    assert d.computed is None


# --- issue 11: words that say what they mean -------------------------------------------------


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
