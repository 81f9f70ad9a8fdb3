"""The tags every qcap resource carries: who it belongs to and the plan inputs it must honour.

A deployed queue or service carries its own objective (`qcap:max-age-seconds`, ...), so the
policy pack and `qcap doctor` can check it without the profile. Keys and formats follow the
shared contract: string values, numbers in plain text without separators or exponents.
"""

from __future__ import annotations

from typing import Literal

from capacity.plan import WorkloadPlan

Role = Literal[
    "queue", "dlq", "service", "task", "scaling", "alarm", "topic", "cache", "log", "role", "cluster", "schedule"
]

TAG_PREFIX = "qcap:"
# Significant digits kept for a non-integer number in a tag (6.944444... -> "6.94444").
TAG_SIGNIFICANT_DIGITS = 6
# AWS tagging: a tag value is at most 256 Unicode characters.
TAG_MAX_VALUE_CHARS = 256


def tag_number(value: float | int | None) -> str:
    """A number as plain tag text: 300, 0.5, 6.94444 (never 1e+06, never 1,000)."""
    if value is None:
        return "0"
    number = float(value)
    if number.is_integer():
        return str(int(number))
    text = f"{number:.{TAG_SIGNIFICANT_DIGITS}g}"
    if "e" in text:
        text = f"{number:.{TAG_SIGNIFICANT_DIGITS}f}".rstrip("0").rstrip(".")
    return text


def tag_text(value: str) -> str:
    """Text as a tag value AWS accepts (letters, digits, spaces and _ . : / = + - @): others become '-'."""
    return "".join(ch if ch.isalnum() or ch in " _.:/=+-@" else "-" for ch in value)[:TAG_MAX_VALUE_CHARS]


def stack_tags(stack: str, environment: str, role: Role) -> dict[str, str]:
    """Tags of a resource the whole stack shares (the ECS cluster): no workload of its own."""
    return {"qcap:stack": stack, "qcap:role": role, "qcap:environment": environment}


def workload_tags(plan: WorkloadPlan, stack: str, role: Role) -> dict[str, str]:
    """Tags of a resource that serves one WorkloadPlan, with the plan inputs policies and doctor read."""
    tags = {
        **stack_tags(stack, plan.environment, role),
        "qcap:workload": plan.name,
        "qcap:group": plan.group,
        "qcap:max-age-seconds": str(int(plan.max_age_seconds)),
        "qcap:processing-p99-seconds": tag_number(plan.processing_p99_seconds),
        "qcap:per-task-messages-per-second": tag_number(plan.per_task_messages_per_second),
        "qcap:concurrency-per-task": tag_number(plan.concurrency_per_task),
        "qcap:drain-seconds": tag_number(plan.drain_seconds),
        "qcap:peak-messages-per-second": tag_number(plan.arrival_peak_per_second),
        "qcap:receive-batch": tag_number(plan.receive_batch),
    }
    if plan.sink_max_connections is not None:
        # The sink's identity, so the policy pack adds up every fleet that shares its connection budget.
        tags["qcap:sink-name"] = tag_text(plan.sink_name or "")
        tags["qcap:sink-max-connections"] = tag_number(plan.sink_max_connections)
        tags["qcap:sink-connections-per-slot"] = tag_number(plan.sink_connections_per_slot or 1)
    if plan.cache is not None:
        tags["qcap:cache-connections-budget"] = tag_number(plan.cache.connections_budget)
        tags["qcap:cache-pool-size-per-task"] = tag_number(plan.cache.pool_size_per_task)
        tags["qcap:cache-producer-connections"] = tag_number(plan.cache.producer_connections)
    return tags
