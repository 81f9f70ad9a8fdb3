"""Where retention is decided: the source queue's retention and its dead-letter queue's."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Rates


def plan_retention(d: Derivation, rates: Rates, drain_seconds: float, age_seconds: float, maximum: int) -> int:
    """Retention that covers the longest wait (drain plus the age objective) with margin."""
    wait = drain_seconds + age_seconds
    wanted = max(limits.MIN_PLANNED_RETENTION_SECONDS, math.ceil(wait * limits.RETENTION_MARGIN / 3600) * 3600)
    if wait > maximum:
        d.error(
            "retention (data loss)",
            f"the longest wait ({duration(drain_seconds)} to drain plus the {duration(age_seconds)} objective) "
            f"is longer than the {duration(maximum)} a message can be kept: the oldest messages expire unprocessed",
            "add consumers (raise the caps that bind) so the backlog drains sooner, or shed the backlog deliberately",
        )
    retention = min(wanted, maximum)
    chosen = d.set("retention_seconds", retention, _retention_reason(rates, retention, wanted, maximum, drain_seconds, age_seconds))
    if wanted > maximum and wait <= maximum:
        d.warn(
            "retention margin",
            f"retention {duration(maximum)} leaves less than the {limits.RETENTION_MARGIN}x margin over the "
            f"{duration(wait)} longest wait",
            "drain the backlog faster (more tasks) to get the margin back",
        )
    if d.overridden("retention_seconds") and chosen < wait:
        d.error(
            "retention (data loss)",
            f"retention_seconds {num(chosen)} ({duration(chosen)}) is shorter than the longest wait, "
            f"{duration(wait)}: messages expire before they are processed",
            f"set overrides.retention_seconds to at least {num(math.ceil(wait))}",
            [{"overrides.retention_seconds": min(max(retention, math.ceil(wait)), maximum)},
             {"overrides.retention_seconds": min(max(wanted, math.ceil(wait)), maximum)}],
        )
    return chosen


def _retention_reason(
    rates: Rates, retention: int, wanted: int, maximum: int, drain_seconds: float, age_seconds: float
) -> str:
    if rates.backlog:
        why = (
            f"{duration(retention)}: covers the longest wait, {duration(drain_seconds)} to drain the backlog "
            f"plus the {duration(age_seconds)} objective, x {limits.RETENTION_MARGIN} margin"
        )
    else:
        why = f"{duration(retention)}: no backlog; the longest wait is the {duration(age_seconds)} objective"
    why += f"; at least {duration(limits.MIN_PLANNED_RETENTION_SECONDS)} so a long outage loses nothing"
    if wanted > maximum:
        why += f"; capped at {duration(maximum)}, one day under the dead-letter queue's 14 days"
    return why


def plan_dlq_retention(d: Derivation, retention: int) -> int:
    value = d.set(
        "dlq_retention_seconds",
        limits.DLQ_RETENTION_SECONDS,
        f"{duration(limits.DLQ_RETENTION_SECONDS)}, the most the queue keeps: a dead-lettered message keeps its "
        f"original enqueue time, so the DLQ must outlive the source's {duration(retention)}",
    )
    if value <= retention:
        d.error(
            "dead-letter retention",
            f"dlq_retention_seconds {num(value)} is not longer than retention_seconds {num(retention)}: "
            "messages that fail late expire in the DLQ before anyone sees them",
            f"set overrides.dlq_retention_seconds above {num(retention)} (at most {num(limits.SQS_MAX_RETENTION_SECONDS)})",
            {"overrides.dlq_retention_seconds": limits.DLQ_RETENTION_SECONDS},
        )
    return value
