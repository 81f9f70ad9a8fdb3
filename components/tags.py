"""The tags every qcap resource carries: who it belongs to and the plan inputs it must honour.

A deployed queue or service carries its own objective (`qcap:max-age-seconds`, ...), so the
policy pack and `qcap doctor` can check it without the profile. The keys are declared in
capacity/contract.py; values are strings, numbers in plain text without separators or exponents.
"""

from __future__ import annotations

from typing import Literal

from capacity import contract as c
from capacity.plan import WorkloadPlan

# The values of qcap:role (contract.ROLES).
Role = Literal[
    "queue", "dlq", "service", "task", "scaling", "alarm", "topic", "cache", "log", "role", "cluster", "schedule",
    "key",
]

TAG_PREFIX = c.TAG_PREFIX
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
    return {c.TAG_STACK: stack, c.TAG_ROLE: role, c.TAG_ENVIRONMENT: environment}


def workload_tags(plan: WorkloadPlan, stack: str, role: Role) -> dict[str, str]:
    """Tags of a resource that serves one WorkloadPlan, with the plan inputs policies and doctor read."""
    tags = {
        **stack_tags(stack, plan.environment, role),
        c.TAG_WORKLOAD: plan.name,
        c.TAG_GROUP: plan.group,
        c.TAG_MAX_AGE_SECONDS: str(int(plan.max_age_seconds)),
        c.TAG_PROCESSING_P99_SECONDS: tag_number(plan.processing_p99_seconds),
        c.TAG_PER_TASK_RATE: tag_number(plan.per_task_messages_per_second),
        c.TAG_CONCURRENCY_PER_TASK: tag_number(plan.concurrency_per_task),
        c.TAG_DRAIN_SECONDS: tag_number(plan.drain_seconds),
        c.TAG_PEAK_PER_SECOND: tag_number(plan.arrival_peak_per_second),
        c.TAG_RECEIVE_BATCH: tag_number(plan.receive_batch),
    }
    if plan.sink_max_connections is not None:
        # The sink's identity, so the policy pack adds up every fleet that shares its connection budget.
        tags[c.TAG_SINK_NAME] = tag_text(plan.sink_name or "")
        tags[c.TAG_SINK_MAX_CONNECTIONS] = tag_number(plan.sink_max_connections)
        tags[c.TAG_SINK_CONNECTIONS_PER_SLOT] = tag_number(plan.sink_connections_per_slot or 1)
    if plan.cache is not None:
        tags[c.TAG_CACHE_CONNECTIONS_BUDGET] = tag_number(plan.cache.connections_budget)
        tags[c.TAG_CACHE_POOL_SIZE] = tag_number(plan.cache.pool_size_per_task)
        tags[c.TAG_CACHE_PRODUCER_CONNECTIONS] = tag_number(plan.cache.producer_connections)
    return tags
