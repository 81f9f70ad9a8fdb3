"""How producers pick a queue when a workload spreads over several (partitions, shards).

The rule is FNV-1a (32-bit) of the partition key's UTF-8 bytes, modulo the queue count:
stable across languages and processes (unlike Python's salted `hash`), a few lines in
JavaScript for a Cloudflare Worker, and even enough for keys such as session or user ids.
"""

from __future__ import annotations

FNV_OFFSET_BASIS_32 = 0x811C9DC5
FNV_PRIME_32 = 0x01000193


def fnv1a_32(key: str) -> int:
    """FNV-1a, 32-bit, of the UTF-8 bytes of `key`."""
    h = FNV_OFFSET_BASIS_32
    for byte in key.encode("utf-8"):
        h ^= byte
        h = (h * FNV_PRIME_32) & 0xFFFFFFFF
    return h


def shard_for(key: str, shards: int) -> int:
    """The index of the queue a message with this partition key goes to."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    return fnv1a_32(key) % shards


def routing_rule(workload: str, queues: list[str], by_priority: bool) -> str | None:
    """The rule producers follow, in words; None when there is one queue."""
    if len(queues) <= 1:
        return None
    if by_priority:
        return f"{workload}: send each message to the queue of its priority level: " + ", ".join(queues)
    return (
        f"{workload}: queue index = fnv1a_32(partition key, UTF-8) mod {len(queues)}; "
        f"index i goes to {queues[0].rsplit('-', 1)[0]}-<i> ({queues[0]} .. {queues[-1]})"
    )


def shard_rule(workload: str, shards: int) -> str | None:
    """The same rule as routing_rule for `shards` queues named `<workload>-<i>`, without listing them.

    Work stays bounded by the text, not by the count: a plan with millions of shards (already
    an error finding) costs no more than one with two.
    """
    if shards <= 1:
        return None
    return (
        f"{workload}: queue index = fnv1a_32(partition key, UTF-8) mod {shards}; "
        f"index i goes to {workload}-<i> ({workload}-0 .. {workload}-{shards - 1})"
    )
