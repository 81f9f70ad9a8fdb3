"""How a message is delivered: the visibility timeout and the deliveries before the DLQ."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.profile import Workload


def plan_max_receive_count(d: Derivation, w: Workload, environment: str) -> int:
    value = d.set(
        "max_receive_count",
        w.retries.max_receives,
        f"{w.retries.max_receives} = retries.max_receives: deliveries before a message moves to the DLQ",
    )
    if value == 1 and environment == "prod":
        d.warn(
            "retry budget",
            "max_receive_count 1 in prod: a single transient failure sends a message to the DLQ",
            f"allow at least {limits.ADVISED_PROD_MAX_RECEIVES} deliveries (retries.max_receives: "
            f"{limits.ADVISED_PROD_MAX_RECEIVES})",
            {"retries.max_receives": limits.ADVISED_PROD_MAX_RECEIVES},
        )
    return value


def plan_visibility_timeout(d: Derivation, w: Workload, cap: int | None) -> int:
    c = w.consumer
    rounds = math.ceil(c.receive_batch / c.concurrency_per_task)
    worst = rounds * c.p99_seconds
    wanted = max(limits.MIN_VISIBILITY_TIMEOUT_SECONDS, math.ceil(limits.VISIBILITY_TIMEOUT_SAFETY_FACTOR * worst))
    value = d.set(
        "visibility_timeout_seconds",
        wanted,
        f"{num(wanted)} s = {limits.VISIBILITY_TIMEOUT_SAFETY_FACTOR:g} x the worst receive-to-delete time "
        f"ceil(receive_batch {c.receive_batch} / concurrency {c.concurrency_per_task}) x p99 {num(c.p99_seconds)} s "
        f"= {num(round(worst, 2))} s (at least {limits.MIN_VISIBILITY_TIMEOUT_SECONDS} s)",
    )
    if cap is not None and wanted > cap:
        d.error(
            "visibility timeout (12 h)",
            f"a received batch can take {duration(worst)}; twice that is over SQS's {duration(cap)} maximum",
            "extend visibility while processing (ChangeMessageVisibility heartbeat) or receive smaller batches",
        )
    elif value < worst:
        d.error(
            "visibility timeout",
            f"visibility_timeout_seconds {num(value)} is shorter than the worst receive-to-delete time "
            f"{num(round(worst, 2))} s: messages are delivered twice while still being processed",
            f"set overrides.visibility_timeout_seconds to at least {num(wanted)} (the planner's value)",
            {"overrides.visibility_timeout_seconds": wanted},
        )
    return value
