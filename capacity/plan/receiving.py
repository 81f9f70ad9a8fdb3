"""Where the receive overhead is decided: how long a freed slot waits for its next message.

The reference worker (worker/) receives only into free slots, so that "in flight" means
"being processed" and the backlog-per-task metric stays honest. The price is that a slot
which finishes a message sits idle for a receive round trip before it holds the next one,
and, when another receive is already in progress, for the rest of that one first. So one
slot's cycle is processing + this overhead, and the per-task rate is
concurrency / (processing_seconds + receive_overhead_seconds). benchmarks/bench_worker.py
measures the worker against this formula.
"""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.formatting import num
from capacity.profile import Broker, Consumer

# The request latency the overhead is built from, per broker (Cloudflare pushes batches to
# its consumer Worker: no receive of ours, so no overhead).
RECEIVE_LATENCY_SECONDS = {
    Broker.sqs: limits.SQS_REQUEST_LATENCY_SECONDS,
    Broker.sqs_fifo: limits.SQS_REQUEST_LATENCY_SECONDS,
    Broker.redis: limits.REDIS_CLAIM_LATENCY_SECONDS,
}
LATENCY_SOURCE = {
    Broker.sqs: "SQS's ~20 ms same-Region latency, SQS Developer Guide",
    Broker.sqs_fifo: "SQS's ~20 ms same-Region latency, SQS Developer Guide",
    Broker.redis: "a Redis claim with the worker's dispatch, ~1 ms, measured",
}


def receivers(broker: Broker, concurrency: int, receive_batch: int) -> int:
    """Parallel receives the worker runs: Redis one claim loop; SQS one per receive batch of slots, at most 4."""
    if broker is Broker.redis:
        return 1
    batch = max(1, min(receive_batch, limits.SQS_MAX_RECEIVE_BATCH))
    return max(1, min(limits.WORKER_MAX_RECEIVERS, math.ceil(concurrency / batch)))


def busy_fraction(concurrency: int, latency_seconds: float, processing_seconds: float, receiver_count: int) -> float:
    """How often a freed slot finds every receiver busy with other slots: (c - 1) x latency / (receivers x t), at most 1."""
    others = concurrency - 1
    if others <= 0:
        return 0.0
    return min(1.0, others * latency_seconds / (receiver_count * processing_seconds))


def overhead_seconds(concurrency: int, latency_seconds: float, processing_seconds: float, receiver_count: int,
                     residual_seconds: float | None = None) -> float:
    """latency + busy x the rest of a receive in progress (half a latency when latencies are steady).

    residual_seconds is the mean remaining time of a receive found in progress, E[L^2] / (2 E[L]):
    half the latency when every receive takes the same time, more when latencies vary.
    """
    busy = busy_fraction(concurrency, latency_seconds, processing_seconds, receiver_count)
    residual = limits.RECEIVE_WAIT_BUSY_FACTOR * latency_seconds if residual_seconds is None else residual_seconds
    return round(latency_seconds + busy * residual, 6)


def receive_overhead(broker: Broker, c: Consumer) -> tuple[float, str]:
    """(seconds, reason) a slot waits between finishing one message and holding the next."""
    if c.receive_overhead_seconds is not None:
        return c.receive_overhead_seconds, (
            f"{num(c.receive_overhead_seconds)} s = consumer.receive_overhead_seconds (measured by the profile's author)"
        )
    latency = RECEIVE_LATENCY_SECONDS.get(broker)
    if latency is None:
        return 0.0, "0 s: Cloudflare delivers batches to the consumer Worker, which does not receive on its own"
    count = receivers(broker, c.concurrency_per_task, c.receive_batch)
    busy = busy_fraction(c.concurrency_per_task, latency, c.processing_seconds, count)
    seconds = overhead_seconds(c.concurrency_per_task, latency, c.processing_seconds, count)
    return seconds, (
        f"{num(seconds)} s = latency {num(latency)} s x (1 + {limits.RECEIVE_WAIT_BUSY_FACTOR:g} x busy "
        f"{num(round(busy, 3))}): the worker receives only into free slots, so a freed slot waits for its own receive "
        f"({LATENCY_SOURCE[broker]}), plus half of one in progress when all {count} receiver(s) are busy with other "
        "slots (busy = min(1, (concurrency - 1) x latency / (receivers x processing_seconds))); "
        "set consumer.receive_overhead_seconds to what benchmarks/bench_worker.py measures"
    )


def slot_seconds(c: Consumer, overhead_seconds: float) -> float:
    """One slot's cycle per message: processing plus the receive overhead."""
    return c.processing_seconds + overhead_seconds


def receive_batch_size(broker: Broker, c: Consumer) -> int:
    """Messages one receive can bring: SQS at most 10, a Redis claim up to receive_batch."""
    if broker is Broker.redis:
        return max(1, c.receive_batch)
    return max(1, min(c.receive_batch, limits.SQS_MAX_RECEIVE_BATCH))


def per_task_rate(broker: Broker, c: Consumer, overhead: float) -> tuple[float, str]:
    """(msg/s, reason) one task sustains: concurrency / (t + o), but never more than its receivers can hand out."""
    rate = c.concurrency_per_task / slot_seconds(c, overhead)
    why = (f"{num(rate)} = concurrency_per_task {c.concurrency_per_task} / (processing_seconds "
           f"{num(c.processing_seconds)} + receive_overhead_seconds {num(overhead)})")
    latency = RECEIVE_LATENCY_SECONDS.get(broker)
    if latency is None or c.receive_overhead_seconds is not None:
        return rate, why
    count = receivers(broker, c.concurrency_per_task, c.receive_batch)
    batch = receive_batch_size(broker, c)
    ceiling = count * batch / latency
    if ceiling >= rate:
        return rate, why
    return ceiling, (
        f"{num(ceiling)} = the receivers' ceiling, {count} receiver(s) x {batch} messages per {num(latency)} s "
        f"receive, below concurrency_per_task {c.concurrency_per_task} / (processing_seconds "
        f"{num(c.processing_seconds)} + receive_overhead_seconds {num(overhead)}) = {num(rate)}: the slots wait on "
        "receives; a larger receive_batch (or fewer, slower slots) lifts it"
    )
