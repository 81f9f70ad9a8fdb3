"""Producers' routing rule: FNV-1a 32-bit of the key, modulo the queue count."""

import pytest

from capacity.routing import fnv1a_32, routing_rule, shard_for, shard_rule


def test_fnv1a_matches_the_published_test_vectors():
    # Test vectors from the FNV reference (Fowler/Noll/Vo): "" and "a" and "foobar".
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


def test_shard_for_is_stable_and_in_range():
    assert shard_for("session-42", 5) == fnv1a_32("session-42") % 5
    assert {shard_for(f"user-{i}", 4) for i in range(200)} == {0, 1, 2, 3}


def test_shard_for_rejects_zero_shards():
    with pytest.raises(ValueError, match="shards must be >= 1, got 0"):
        shard_for("k", 0)


def test_routing_rule_is_none_for_a_single_queue_and_names_the_queues_otherwise():
    assert routing_rule("jobs", ["jobs"], by_priority=False) is None
    rule = routing_rule("jobs", ["jobs-0", "jobs-1", "jobs-2"], by_priority=False)
    assert rule == "jobs: queue index = fnv1a_32(partition key, UTF-8) mod 3; index i goes to jobs-<i> (jobs-0 .. jobs-2)"
    assert routing_rule("n", ["n-high", "n-low"], by_priority=True).endswith("n-high, n-low")


def test_shard_rule_reads_like_routing_rule_without_listing_every_queue():
    names = [f"events-{i}" for i in range(3)]
    assert shard_rule("events", 3) == routing_rule("events", names, by_priority=False)
    assert shard_rule("events", 1) is None


def test_a_billion_shards_cost_one_line_not_a_billion_names():
    assert shard_rule("events", 10**9).endswith("(events-0 .. events-999999999)")
