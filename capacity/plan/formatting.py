"""Numbers and durations written the way a reader checks them with a calculator."""

from __future__ import annotations

import math

from capacity import limits


def num(x: float | int | str | None) -> str:
    """A number as a reader would write it: 6.94, 2,800,000, 0.5 (text, such as a node type, as it is)."""
    if x is None:
        return "n/a"
    if isinstance(x, str) or isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def duration(seconds: float | None) -> str:
    """Seconds as the largest sensible unit: 45 s, 12.5 min, 3.2 h, 12.68 days."""
    if seconds is None or math.isinf(seconds):
        return "never"
    if seconds < 120:
        return f"{num(round(seconds, 1))} s"
    if seconds < 2 * limits.SECONDS_PER_HOUR:
        return f"{num(round(seconds / 60, 1))} min"
    if seconds < 2 * limits.SECONDS_PER_DAY:
        return f"{num(round(seconds / limits.SECONDS_PER_HOUR, 2))} h"
    return f"{num(round(seconds / limits.SECONDS_PER_DAY, 2))} days"


# --- the derivation record ------------------------------------------------------------


def tasks(count: int) -> str:
    """`1 task`, `2 tasks`: a task count as it reads in a sentence."""
    return f"{num(count)} task{'' if count == 1 else 's'}"
