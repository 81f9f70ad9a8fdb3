"""Every limit that bounds how many consumer tasks may run, each as a task count with its fix."""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.profile import Broker, Cache, Workload


@dataclass(frozen=True)
class Cap:
    limit: str
    tasks: int
    detail: str
    fix: str


def service_caps(w: Workload, mu: float, d: Derivation) -> list[Cap]:
    """Every limit that bounds how many tasks may run, as a task count."""
    c = w.consumer
    caps: list[Cap] = []
    sink = w.sink
    if sink is not None:
        if sink.requests_per_second is not None:
            per_request = sink.messages_per_request
            if sink.max_request_bytes is not None:
                fit = max(1, sink.max_request_bytes // w.traffic.message_bytes)
                if fit < per_request:
                    d.warn(
                        "sink request size",
                        f"{per_request} messages of {num(w.traffic.message_bytes)} bytes exceed the sink's "
                        f"{num(sink.max_request_bytes)}-byte request; planning with {fit} per request",
                        f"set sink.messages_per_request to {fit} or less",
                    )
                    per_request = fit
            rate = sink.requests_per_second * per_request
            caps.append(
                Cap(
                    f"sink request rate ({sink.name} {num(sink.requests_per_second)} req/s)",
                    math.floor(rate / mu),
                    f"{num(sink.requests_per_second)} req/s x {per_request} messages per request = {num(rate)} msg/s",
                    f"pack more messages per sink request (sink.messages_per_request) or raise {sink.name}'s quota",
                )
            )
        if sink.bytes_per_second is not None:
            rate = sink.bytes_per_second / w.traffic.message_bytes
            caps.append(
                Cap(
                    f"sink bandwidth ({sink.name} {num(sink.bytes_per_second)} B/s)",
                    math.floor(rate / mu),
                    f"{num(sink.bytes_per_second)} B/s / {num(w.traffic.message_bytes)} B = {num(round(rate, 2))} msg/s",
                    f"compress or trim messages, or raise {sink.name}'s bandwidth",
                )
            )
        if sink.max_connections is not None:
            per_task = c.concurrency_per_task * sink.connections_per_slot
            caps.append(
                Cap(
                    f"sink connections ({sink.name} {sink.max_connections})",
                    math.floor(sink.max_connections / per_task),
                    f"{sink.max_connections} connections / (concurrency {c.concurrency_per_task} x "
                    f"{num(sink.connections_per_slot)} per message) = {num(sink.max_connections / per_task)} tasks",
                    f"pool connections (a proxy such as PgBouncer) or raise {sink.name}'s connection limit",
                )
            )
    if w.broker is Broker.redis:
        cache = w.cache or default_cache()
        room = cache.max_clients - cache.producer_connections
        caps.append(
            Cap(
                f"Redis connections (maxclients {cache.max_clients})",
                max(0, room // cache.pool_size_per_task),
                f"({cache.max_clients} maxclients - {cache.producer_connections} producer connections) / "
                f"pool {cache.pool_size_per_task} per task",
                "shrink cache.pool_size_per_task (a worker needs about one connection per concurrent message) "
                "or raise maxclients",
            )
        )
    if w.sqs_like:
        caps.append(
            Cap(
                f"SQS in-flight messages ({num(limits.SQS_MAX_IN_FLIGHT_MESSAGES)})",
                limits.SQS_MAX_IN_FLIGHT_MESSAGES // c.concurrency_per_task,
                f"{num(limits.SQS_MAX_IN_FLIGHT_MESSAGES)} in flight / concurrency {c.concurrency_per_task}",
                "partition the workload across several queues (partitions)",
            )
        )
    caps.append(
        Cap(
            f"ECS tasks per service ({num(limits.ECS_MAX_TASKS_PER_SERVICE)})",
            limits.ECS_MAX_TASKS_PER_SERVICE,
            "ECS service quota",
            "raise concurrency_per_task or partition the workload across several services",
        )
    )
    return caps


def default_cache() -> Cache:
    return Cache()
