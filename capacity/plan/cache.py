"""The ElastiCache Redis a Redis-brokered workload needs: node size, nodes, connection budget."""

from __future__ import annotations

import math
from typing import Any

from capacity import limits
from capacity.plan.caps import default_cache
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.lanes import Rates
from capacity.profile import Workload


def plan_cache(
    d: Derivation, w: Workload, environment: str, rates: Rates, max_capacity: int, saturation_messages: int
) -> dict[str, Any]:
    cache = w.cache or default_cache()
    connections = max_capacity * cache.pool_size_per_task + cache.producer_connections
    d.reasons["cache_connections"] = (
        f"{num(connections)} = max_capacity {max_capacity} x pool_size_per_task {cache.pool_size_per_task} + "
        f"producers {cache.producer_connections}, within maxclients {num(cache.max_clients)}"
    )
    d.reasons["cache_connections_budget"] = f"{num(cache.max_clients)} = cache.max_clients"
    alarm_connections = round(cache.max_clients * limits.REDIS_CONNECTIONS_ALARM_FRACTION)
    d.reasons["alarm_cache_connections"] = (
        f"{num(alarm_connections)} = maxclients {num(cache.max_clients)} x {limits.REDIS_CONNECTIONS_ALARM_FRACTION}: "
        "alarm before new connections are refused"
    )
    if connections > cache.max_clients:
        d.error(
            "Redis connections",
            f"{num(connections)} connections at max capacity exceed maxclients {num(cache.max_clients)}",
            "shrink cache.pool_size_per_task or lower max_capacity",
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
        d.error(
            "Redis memory",
            f"{num(memory)} bytes do not fit the largest node ({node}, "
            f"{limits.ELASTICACHE_NODE_MEMORY_GIB[node]} GiB)",
            "shard the queue across several replication groups (partitions) or keep items smaller",
        )
    node = d.set("cache_node_type", node, node_why)
    if node in limits.ELASTICACHE_NODE_MEMORY_GIB and limits.ELASTICACHE_NODE_MEMORY_GIB[node] * 2**30 < memory:
        d.error("Redis memory", f"cache_node_type {node} holds less than the {num(memory)} bytes needed",
                f"use {fitting[0] if fitting else 'a larger node'}")
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
    return dict(
        cache_node_type=node,
        cache_nodes=nodes,
        cache_memory_bytes=memory,
        cache_connections=connections,
        cache_connections_budget=cache.max_clients,
        alarm_cache_connections=alarm_connections,
    )
