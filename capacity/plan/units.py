"""Likely unit slips: a duration far out of line with its siblings, such as a p99 written in milliseconds."""

from __future__ import annotations

from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.profile import Consumer

# A p99 this many times the mean is far outside any processing-time tail seen in practice (a lognormal
# with a p99 of 100 x its mean has most messages done in a hundredth of the mean), while a p99 in
# milliseconds against a mean in seconds lands at about 1,000 x.
UNIT_SLIP_RATIO = 100
MILLISECONDS_PER_SECOND = 1000


def check_units(record: Derivation, consumer: Consumer) -> None:
    """A warning with a patch where processing_p99_seconds reads as milliseconds against processing_seconds."""
    mean, p99 = consumer.processing_seconds, consumer.processing_p99_seconds
    if p99 is None or mean <= 0 or p99 < UNIT_SLIP_RATIO * mean:
        return
    seconds = p99 / MILLISECONDS_PER_SECOND
    if seconds < mean:
        return  # as seconds it would fall below the mean: not a millisecond slip
    value = int(seconds) if float(seconds).is_integer() else round(seconds, 6)
    record.warn(
        "likely unit",
        f"consumer.processing_p99_seconds {num(p99)} is {num(round(p99 / mean))} x processing_seconds {num(mean)}: "
        f"did you mean {num(value)} s? this reads as milliseconds",
        f"set consumer.processing_p99_seconds to {num(value)} (seconds)",
        {"consumer.processing_p99_seconds": value},
    )
