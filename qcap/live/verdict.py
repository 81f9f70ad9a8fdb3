"""One verdict of the doctor (ok / warn / critical, with the numbers behind it), the worst of several, a rate as text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from capacity.plan import num
from qcap.live.facts import LEVEL_ORDER, Level


@dataclass(frozen=True)
class Check:
    """One verdict with the numbers behind it."""

    workload: str
    name: str
    level: Level
    value: str
    expected: str
    detail: str


def worst(levels: Any) -> Level:
    """The most severe of the levels; ok when there are none."""
    result: Level = "ok"
    for level in levels:
        if LEVEL_ORDER[level] > LEVEL_ORDER[result]:
            result = level
    return result


def rate(x: float) -> str:
    """Messages per second as the checks print them, to three decimals at most."""
    return f"{num(round(x, 3))}/s"
