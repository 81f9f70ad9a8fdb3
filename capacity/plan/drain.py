"""The drain time of a backlog, decided in one place for every consumer kind."""

from __future__ import annotations

import math

from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.lanes import Rates


def plan_drain(d: Derivation, rates: Rates, throughput_per_second: float, throughput_text: str,
               average_text: str) -> float:
    """Seconds the backlog takes to drain at `throughput_per_second` while the average keeps arriving.

    Infinite when the fleet does no more than keep up; 0 without a backlog. The texts say how the
    throughput and the average are written in the reason (`6 tasks x 0.5`, `30 per 300 s`).
    """
    if not rates.backlog:
        d.reasons["drain_seconds"] = "0: no backlog"
        return 0.0
    net = throughput_per_second - rates.average
    drain = rates.backlog / net if net > 0 else math.inf
    d.reasons["drain_seconds"] = (
        f"{duration(drain)} = backlog {num(rates.backlog)} / ({throughput_text} - average {average_text}) msg/s"
    )
    return drain


def drain_field(drain_seconds: float) -> float | None:
    """The plan's drain_seconds: rounded to a tenth, None when the backlog never drains."""
    return None if math.isinf(drain_seconds) else round(drain_seconds, 1)
