"""Builders for tests: profiles (a valid base workload per broker, changed by nested keys), recorded
registrations, and the live facts the doctor judges."""

from __future__ import annotations

import copy
from typing import Any

from capacity.plan import Plan, WorkloadPlan, plan
from capacity.profile import Profile, parse_profile
from qcap.live.facts import History, QueueFacts, ScalingFacts, ServiceFacts, WorkloadFacts

SQS_WORKLOAD: dict[str, Any] = {
    "name": "events",
    "broker": "sqs",
    "traffic": {"messages_per_day": 864_000, "peak_to_average": 2.0, "trough_to_average": 0.5, "message_bytes": 1024},
    "consumer": {
        "processing_seconds": 1.0,
        "processing_p99_seconds": 3.0,
        "concurrency_per_task": 2,
        "receive_batch": 10,
        "image": "example/worker:1",
        # Zero, so the figures tests compute by hand stay concurrency / processing_seconds;
        # tests/test_receiving.py covers the derived overhead.
        "receive_overhead_seconds": 0.0,
    },
    "objective": {"max_age_seconds": 300},
}

CLOUDFLARE_WORKLOAD: dict[str, Any] = {
    "name": "sessions",
    "broker": "cloudflare",
    "traffic": {"messages_per_day": 43_200_000, "peak_messages_per_second": 2000, "message_bytes": 800},
    "consumer": {"script_name": "session-consumer", "processing_seconds": 0.5, "processing_p99_seconds": 2.0,
                 "receive_batch": 100},
    "objective": {"max_age_seconds": 120},
    "sink": {"name": "Tinybird", "requests_per_second": 100, "messages_per_request": 100,
             "bytes_per_second": 20_000_000, "max_request_bytes": 10_000_000},
}


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts, creating levels; a value of DELETE removes the key."""
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


DELETE = object()


def profile_data(workload: dict[str, Any] | None = None, environment: str = "dev", **changes: Any) -> dict[str, Any]:
    """A profile dict with one workload; keyword `traffic__peak_to_average=3` sets nested keys."""
    w = copy.deepcopy(workload or SQS_WORKLOAD)
    for key, value in changes.items():
        set_path(w, key.replace("__", "."), value)
    return {"environment": environment, "alerts": {"emails": ["ops@example.com"]}, "workloads": [w]}


def make_profile(workload: dict[str, Any] | None = None, environment: str = "dev", **changes: Any) -> Profile:
    return parse_profile(profile_data(workload, environment, **changes), "test.yaml")


def plan_one(workload: dict[str, Any] | None = None, environment: str = "dev", **changes: Any) -> WorkloadPlan:
    """Plan a one-workload profile and return its only queue's plan."""
    result: Plan = plan(make_profile(workload, environment, **changes))
    assert len(result.workloads) == 1
    return result.workloads[0]


def registration(type_: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None,
                 custom: bool = True):
    """A recorded registration as the mock engine makes it, for the contract's unit tests."""
    from qcap.offline.program_run import Registration

    return Registration(urn=f"urn:pulumi:test::qcap::{type_}::{name}", type=type_, name=name, custom=custom, parent="",
                        inputs=inputs, outputs=outputs or {}, id=(outputs or {}).get("id", name), dependencies=(),
                        property_dependencies={}, protect=False, ignore_changes=(), provider="",
                        delete_before_replace=False, retain_on_delete=False)


# One small SQS workload the doctor tests judge (test_diagnosis, test_queue_checks, test_drift_checks)
# and name (test_doctor).
DOCTOR_PROFILE = {
    "environment": "dev",
    "workloads": [{
        "name": "orders", "broker": "sqs",
        "traffic": {"messages_per_day": 86_400, "peak_to_average": 2, "message_bytes": 1000},
        "consumer": {"processing_seconds": 1.0, "concurrency_per_task": 2, "image": "x"},
        "objective": {"max_age_seconds": 600},
    }],
}
# The hour of CloudWatch history the doctor's verdict tests read.
DOCTOR_START, DOCTOR_END = 0.0, 3600.0


def flat(per_minute: float, minutes: int = 60) -> tuple[tuple[float, float], ...]:
    """A metric series with the same value every minute from DOCTOR_START."""
    return tuple((DOCTOR_START + 60 * m, per_minute) for m in range(minutes))


def live_facts(w: WorkloadPlan, **changes: Any) -> WorkloadFacts:
    """Live facts that match the plan of `w`: 60 messages a minute in and out, one task running.

    Keywords `visible`, `retention_seconds` and `visibility_timeout_seconds` change the queue.
    """
    queue = QueueFacts(
        url="https://sqs/q", name="qcap-s-orders", arn="arn:aws:sqs:eu-west-1:1:qcap-s-orders",
        visible=changes.pop("visible", 0), in_flight=0, delayed=0,
        retention_seconds=changes.pop("retention_seconds", w.retention_seconds),
        visibility_timeout_seconds=changes.pop("visibility_timeout_seconds", w.visibility_timeout_seconds),
        max_message_bytes=w.max_message_bytes, dlq_arn="arn:aws:sqs:eu-west-1:1:qcap-s-orders-dlq",
        max_receive_count=w.max_receive_count,
    )
    history = History(DOCTOR_START, DOCTOR_END, sent=flat(60), deleted=flat(60), oldest_age=((DOCTOR_START, 5.0),))
    return WorkloadFacts(
        "orders", queue.name, queue, "qcap-s-orders-dlq", 0, history,
        ServiceFacts("qcap-s", "orders", True, running=1, desired=1),
        ScalingFacts("service/qcap-s/orders", True, w.min_capacity, w.max_capacity, "p",
                     w.scaling.target_backlog_per_task),
    )

