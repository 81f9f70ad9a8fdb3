"""`qcap doctor --json`: the whole report, facts, derived numbers and verdicts, as JSON-safe data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from qcap.live.diagnosis import Diagnosis
from qcap.live.verdict import worst


def as_json(stack: str, region: str | None, region_source: str, endpoint: str, window_minutes: int,
            diagnoses: Sequence[Diagnosis], notes: Sequence[str]) -> dict[str, Any]:
    """The whole report as JSON-safe data (infinite durations become null with a `never` flag)."""

    def seconds(x: float) -> float | None:
        return None if math.isinf(x) else round(x, 3)

    workloads = []
    for d in diagnoses:
        entry: dict[str, Any] = {
            "workload": d.workload,
            "level": d.level,
            "queue": d.facts.queue_name,
            "notes": list(d.facts.notes),
            "aws_calls": d.facts.aws_calls,
            "aws_retries": d.facts.aws_retries,
            "checks": [
                {"name": c.name, "level": c.level, "value": c.value, "expected": c.expected, "detail": c.detail}
                for c in d.checks
            ],
        }
        q = d.facts.queue
        if q is not None:
            entry["facts"] = {
                "queue_url": q.url,
                "visible": q.visible,
                "in_flight": q.in_flight,
                "delayed": q.delayed,
                "retention_seconds": q.retention_seconds,
                "visibility_timeout_seconds": q.visibility_timeout_seconds,
                "max_message_bytes": q.max_message_bytes,
                "max_receive_count": q.max_receive_count,
                "dlq": d.facts.dlq_name,
                "dlq_visible": d.facts.dlq_visible,
                "tags": q.tags,
                "running_tasks": d.facts.service.running if d.facts.service else None,
                "desired_tasks": d.facts.service.desired if d.facts.service else None,
                "min_capacity": d.facts.scaling.min_capacity if d.facts.scaling else None,
                "max_capacity": d.facts.scaling.max_capacity if d.facts.scaling else None,
                "target_backlog_per_task": d.facts.scaling.target_backlog_per_task if d.facts.scaling else None,
            }
        c = d.computed
        if c is not None:
            entry["computed"] = {
                "backlog": c.backlog,
                "oldest_age_seconds": c.oldest_age_seconds,
                "inflow_per_second": round(c.flow.inflow_per_second, 6),
                "outflow_per_second": round(c.flow.outflow_per_second, 6),
                "inflow_trend": c.flow.inflow_trend.direction,
                "outflow_trend": c.flow.outflow_trend.direction,
                "drain_eta_seconds": seconds(c.eta_seconds),
                "drains": not math.isinf(c.eta_seconds),
                "wait_seconds": seconds(c.wait_seconds),
                "messages_at_risk": c.at_risk,
                "tasks_needed": c.tasks.needed,
                "tasks_to_keep_up": c.tasks.keep_up,
                "tasks_to_drain": c.tasks.drain,
                "dlq_growth": c.dlq.growth,
            }
        workloads.append(entry)
    return {
        "stack": stack,
        "region": region,
        "region_source": region_source,
        "endpoint": endpoint,
        "window_minutes": window_minutes,
        "level": worst(d.level for d in diagnoses),
        "healthy": all(d.level == "ok" for d in diagnoses),
        "notes": list(notes),
        "workloads": workloads,
    }
