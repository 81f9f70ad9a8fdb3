"""The ElastiCache Redis a Redis-brokered workload needs: node size, nodes, connection budget."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.caps import default_cache
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.lanes import Rates, Share
from capacity.plan.models import CachePlan
from capacity.profile import Workload


def plan_cache(
    d: Derivation, w: Workload, environment: str, rates: Rates, max_capacity: int, saturation_messages: int,
    share: Share = Share(),
) -> CachePlan:
    cache = w.cache or default_cache()
    producers = math.ceil(share.apply(cache.producer_connections))
    budget = math.floor(share.apply(cache.max_clients))
    connections = max_capacity * cache.pool_size_per_task + producers
    d.reasons["cache_connections"] = (
        f"{num(connections)} = max_capacity {max_capacity} x pool_size_per_task {cache.pool_size_per_task} + "
        f"producers {share.describe(cache.producer_connections)}, within maxclients "
        f"{share.describe(cache.max_clients)}"
    )
    d.reasons["cache_connections_budget"] = (
        f"{num(budget)} = cache.max_clients" + (f" {share.describe(cache.max_clients)}" if share.note else "")
    )
    alarm_connections = round(cache.max_clients * limits.REDIS_CONNECTIONS_ALARM_FRACTION)
    d.reasons["alarm_cache_connections"] = (
        f"{num(alarm_connections)} = maxclients {num(cache.max_clients)} x {limits.REDIS_CONNECTIONS_ALARM_FRACTION}: "
        "alarm before new connections are refused"
    )
    if connections > budget:
        pool = math.floor((budget - producers) / max_capacity) if max_capacity else 0
        d.error(
            "Redis connections",
            f"{num(connections)} connections at max capacity exceed maxclients {share.describe(cache.max_clients)}",
            f"shrink cache.pool_size_per_task to {pool}" if pool >= 1 else "lower max_capacity",
            {"cache.pool_size_per_task": pool} if pool >= 1 else None,
        )
    held = rates.backlog + saturation_messages
    item = w.traffic.message_bytes + cache.item_overhead_bytes
    memory = math.ceil(held * item / (1 - limits.ELASTICACHE_RESERVED_MEMORY_FRACTION))
    d.reasons["cache_memory_bytes"] = (
        f"{num(memory)} = (backlog {num(rates.backlog)} + saturation depth {num(saturation_messages)}) "
        f"x ({num(w.traffic.message_bytes)} + {cache.item_overhead_bytes} overhead) bytes / "
        f"(1 - reserved {limits.ELASTICACHE_RESERVED_MEMORY_FRACTION})"
    )
    fitting = [n for n, gib in limits.ELASTICACHE_NODE_MEMORY_GIB.items() if gib * 2**30 >= memory]
    if fitting:
        node = fitting[0]
        node_why = f"{node}, the smallest with {limits.ELASTICACHE_NODE_MEMORY_GIB[node]} GiB >= {num(memory)} bytes"
    else:
        node = list(limits.ELASTICACHE_NODE_MEMORY_GIB)[-1]
        node_why = f"{node}, the largest qcap knows"
        # Partitions split the backlog (and the saturation depth) across queues, each with its own node.
        partitions = math.ceil(memory * w.partitions / (limits.ELASTICACHE_NODE_MEMORY_GIB[node] * 2**30)) + 1
        can_split = not w.priorities and partitions <= limits.MAX_PARTITIONS
        d.error(
            "Redis memory",
            f"{num(memory)} bytes do not fit the largest node ({node}, "
            f"{limits.ELASTICACHE_NODE_MEMORY_GIB[node]} GiB)",
            (f"shard the queue across {partitions} replication groups (partitions)" if can_split else
             "shard the queue across several replication groups (partitions)") + " or keep items smaller",
            {"partitions": partitions} if can_split else None,
        )
    node = d.set("cache_node_type", node, node_why)
    if (d.overridden("cache_node_type") and fitting
            and limits.ELASTICACHE_NODE_MEMORY_GIB[node] * 2**30 < memory):
        d.error("Redis memory", f"cache_node_type {node} holds less than the {num(memory)} bytes needed",
                f"set overrides.cache_node_type to {fitting[0]}", {"overrides.cache_node_type": fitting[0]})
    nodes = limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER if environment == "prod" else 1
    d.reasons["cache_nodes"] = (
        f"{nodes}: {'primary + replica for automatic failover in prod' if nodes > 1 else 'one node outside prod'}"
    )
    ops = rates.peak * limits.REDIS_OPS_PER_MESSAGE
    if ops > limits.REDIS_OPS_PER_SECOND_NO_PIPELINE:
        d.warn(
            "Redis throughput",
            f"peak needs about {num(round(ops))} ops/s ({limits.REDIS_OPS_PER_MESSAGE} per message), over the "
            f"{num(limits.REDIS_OPS_PER_SECOND_NO_PIPELINE)} one primary serves without pipelining",
            "pipeline writes and pops (5-7x, per redis-benchmark) or partition the queue",
        )
    return CachePlan(
        node_type=node,
        nodes=nodes,
        memory_bytes=memory,
        connections=connections,
        connections_budget=budget,
        alarm_connections=alarm_connections,
        pool_size_per_task=cache.pool_size_per_task,
        producer_connections=producers,
    )
