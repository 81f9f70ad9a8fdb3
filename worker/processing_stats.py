"""What the worker measured in one metric period: processing times, receive times, messages processed.

The handler threads and receivers record into it (a lock, a dict increment: no I/O); the metrics
publisher takes a period's worth once a period and turns it into three CloudWatch datums, so
`qcap doctor --learn` can read processing mean and p99 and the receive overhead per message.
Processing times are kept as a histogram of log-spaced buckets HISTOGRAM_RESOLUTION wide, which
CloudWatch takes as Values/Counts and computes percentiles from; receive times as a statistic set.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

# Each processing time is counted at the centre of its bucket: at most half this fraction off.
HISTOGRAM_RESOLUTION = 1 / 32
_LOG_STEP = math.log1p(HISTOGRAM_RESOLUTION)
# Faster than this counts as 0 (CloudWatch values must be 0 or within 8.5e-109 .. 1.7e108 in magnitude).
MIN_TIMED_SECONDS = 1e-6


def bucket_of(seconds: float) -> float:
    """The histogram value a processing time is counted at: the nearest power of (1 + resolution)."""
    if seconds < MIN_TIMED_SECONDS:
        return 0.0
    return math.exp(round(math.log(seconds) / _LOG_STEP) * _LOG_STEP)


@dataclass
class PeriodStats:
    """One period's measurements: processing-time histogram {bucket seconds: count}, receive totals."""

    processing: dict[float, int] = field(default_factory=dict)
    processed: int = 0
    receives: int = 0
    receive_sum_seconds: float = 0.0
    receive_min_seconds: float = math.inf
    receive_max_seconds: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.processing and not self.receives and not self.processed


class ProcessingStats:
    """Thread-safe accumulator the engine records into and the publisher takes from once a period."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._period = PeriodStats()

    def handled(self, seconds: float, succeeded: bool) -> None:
        """One handler call: its time goes into the histogram; a success counts as processed."""
        value = bucket_of(seconds)
        with self._lock:
            self._period.processing[value] = self._period.processing.get(value, 0) + 1
            self._period.processed += int(succeeded)

    def received(self, seconds: float, messages: int) -> None:
        """One receive that brought messages (an empty long poll is idle time, not overhead)."""
        if messages <= 0:
            return
        with self._lock:
            p = self._period
            p.receives += 1
            p.receive_sum_seconds += seconds
            p.receive_min_seconds = min(p.receive_min_seconds, seconds)
            p.receive_max_seconds = max(p.receive_max_seconds, seconds)

    def take(self) -> PeriodStats:
        """The period so far, and a fresh one started."""
        with self._lock:
            taken, self._period = self._period, PeriodStats()
        return taken
