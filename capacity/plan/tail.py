"""The slowest message of a day: a processing tail alone can hold a message past the objective.

With processing times lognormal (the profile's mean and p99, as the simulator draws them),
the slowest of a day's N messages takes about the 1 - 1/N quantile. The age of the oldest
not-yet-deleted message counts its processing, so when that quantile is over the objective,
no fleet holds it: the alarm fires on slow messages alone, on most days.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.simulate.messages import lognormal_sigma


def slowest_of_seconds(mean_seconds: float, p99_seconds: float | None, messages: float) -> float:
    """About how long the slowest of `messages` processing times takes (lognormal's 1 - 1/messages quantile)."""
    sigma = lognormal_sigma(mean_seconds, p99_seconds)
    if sigma == 0.0 or messages < 2:
        return mean_seconds if sigma == 0.0 else (p99_seconds or mean_seconds)
    score = NormalDist().inv_cdf(1 - 1 / messages)
    return math.exp(math.log(mean_seconds) - sigma * sigma / 2 + score * sigma)


def judge_processing_tail(d: Derivation, mean_seconds: float, p99_seconds: float | None, average_per_second: float,
                          age_seconds: float) -> None:
    """An error when the slowest of a day's messages is processed for longer than the objective allows."""
    messages = average_per_second * limits.SECONDS_PER_DAY
    slowest = slowest_of_seconds(mean_seconds, p99_seconds, messages)
    if p99_seconds is None or slowest <= age_seconds:
        return
    d.error(
        "age objective (processing tail)",
        f"processing times with mean {duration(mean_seconds)} and p99 {duration(p99_seconds)} (lognormal) make the "
        f"slowest of a day's {num(round(messages))} messages take about {duration(slowest)}, over the "
        f"{duration(age_seconds)} objective: that message is the oldest not yet deleted while it runs, so no fleet "
        "holds the objective",
        f"raise objective.max_age_seconds to {num(math.ceil(slowest))} or more, or shorten the processing tail "
        "(consumer.processing_p99_seconds)",
    )
