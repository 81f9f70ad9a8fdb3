"""Every limit that bounds how many consumer tasks may run, each as a task count with its fix and patch.

Budgets a lane shares with others (a sink's rate, bandwidth and connections; Redis maxclients)
count only the lane's share (capacity.plan.budgets), and the reason says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.lanes import UNSHARED, LaneBudgets
from capacity.plan.models import Patch
from capacity.profile import Broker, Cache, Workload


@dataclass(frozen=True)
class Cap:
    limit: str
    tasks: int
    detail: str
    fix: str
    patch: list[Patch] = field(default_factory=list)
    """Candidate patches (paths inside the workload) that lift this cap to what the objective needs."""


def service_caps(
    w: Workload, mu: float, d: Derivation, budgets: LaneBudgets = UNSHARED, required_rate: float = 0.0
) -> list[Cap]:
    """Every limit that bounds how many tasks may run, as a task count.

    `required_rate` (msg/s the objective needs) sizes the patches that would lift each cap.
    """
    c = w.consumer
    caps: list[Cap] = []
    sink = w.sink
    need_tasks = math.ceil(required_rate / mu) if required_rate else 0
    if sink is not None:
        if sink.requests_per_second is not None:
            per_request = sink.messages_per_request
            fit = None
            if sink.max_request_bytes is not None:
                fit = max(1, sink.max_request_bytes // w.traffic.message_bytes)
                if fit < per_request:
                    d.warn(
                        "sink request size",
                        f"{per_request} messages of {num(w.traffic.message_bytes)} bytes exceed the sink's "
                        f"{num(sink.max_request_bytes)}-byte request; planning with {fit} per request",
                        f"set sink.messages_per_request to {fit} or less",
                        {"sink.messages_per_request": fit},
                    )
                    per_request = fit
            quota = budgets.requests.apply(sink.requests_per_second)
            rate = quota * per_request
            wanted = math.ceil(required_rate / (quota * limits.TARGET_UTILIZATION)) if required_rate and quota > 0 else 0
            patch = []
            if wanted > per_request and (fit is None or wanted <= fit):
                patch.append({"sink.messages_per_request": wanted})
            caps.append(
                Cap(
                    f"sink request rate ({sink.name} {num(sink.requests_per_second)} req/s)",
                    math.floor(rate / mu),
                    f"{budgets.requests.describe(sink.requests_per_second, ' req/s')} x {per_request} messages per "
                    f"request = {num(round(rate, 2))} msg/s",
                    "pack more messages per sink request (sink.messages_per_request"
                    + (f", at least {wanted}) " if patch else ") ")
                    + f"or raise {sink.name}'s quota",
                    patch,
                )
            )
        if sink.bytes_per_second is not None:
            rate = budgets.bandwidth.apply(sink.bytes_per_second) / w.traffic.message_bytes
            caps.append(
                Cap(
                    f"sink bandwidth ({sink.name} {num(sink.bytes_per_second)} B/s)",
                    math.floor(rate / mu),
                    f"{budgets.bandwidth.describe(sink.bytes_per_second, ' B/s')} / {num(w.traffic.message_bytes)} B "
                    f"= {num(round(rate, 2))} msg/s",
                    f"compress or trim messages, or raise {sink.name}'s bandwidth",
                )
            )
        if sink.max_connections is not None:
            per_task = c.concurrency_per_task * sink.connections_per_slot
            allowed = budgets.connections.apply(sink.max_connections)
            needed_total = math.ceil(need_tasks * per_task / budgets.connections.fraction) if need_tasks else 0
            caps.append(
                Cap(
                    f"sink connections ({sink.name} {sink.max_connections})",
                    math.floor(allowed / per_task + 1e-9),
                    f"{budgets.connections.describe(sink.max_connections, ' connections')} / (concurrency "
                    f"{c.concurrency_per_task} x {num(sink.connections_per_slot)} per message) = "
                    f"{num(round(allowed / per_task, 2))} tasks",
                    f"pool connections (a proxy such as PgBouncer) or raise {sink.name}'s connection limit"
                    + (f" to {num(needed_total)} (sink.max_connections)" if needed_total > sink.max_connections else ""),
                    [{"sink.max_connections": needed_total}] if needed_total > sink.max_connections else [],
                )
            )
    if w.broker is Broker.redis:
        cache = w.cache or default_cache()
        share = budgets.redis_clients
        room = share.apply(cache.max_clients) - share.apply(cache.producer_connections)
        pool = math.floor(room / need_tasks) if need_tasks else 0
        caps.append(
            Cap(
                f"Redis connections (maxclients {cache.max_clients})",
                max(0, math.floor(room / cache.pool_size_per_task)),
                f"({share.describe(cache.max_clients, ' maxclients')} - {share.describe(cache.producer_connections)} "
                f"producer connections) / pool {cache.pool_size_per_task} per task",
                "shrink cache.pool_size_per_task (a worker needs about one connection per concurrent message) "
                "or raise maxclients",
                [{"cache.pool_size_per_task": pool}] if 1 <= pool < cache.pool_size_per_task else [],
            )
        )
    if w.sqs_like:
        partitions = math.ceil(required_rate * c.processing_seconds * w.partitions / limits.SQS_MAX_IN_FLIGHT_MESSAGES)
        caps.append(
            Cap(
                f"SQS in-flight messages ({num(limits.SQS_MAX_IN_FLIGHT_MESSAGES)})",
                limits.SQS_MAX_IN_FLIGHT_MESSAGES // c.concurrency_per_task,
                f"{num(limits.SQS_MAX_IN_FLIGHT_MESSAGES)} in flight / concurrency {c.concurrency_per_task}",
                "partition the workload across several queues (partitions)",
                [{"partitions": partitions + 1}] if not w.priorities and partitions + 1 > w.partitions else [],
            )
        )
    concurrency = math.ceil(required_rate * c.processing_seconds / limits.ECS_MAX_TASKS_PER_SERVICE) + 1
    caps.append(
        Cap(
            f"ECS tasks per service ({num(limits.ECS_MAX_TASKS_PER_SERVICE)})",
            limits.ECS_MAX_TASKS_PER_SERVICE,
            "ECS service quota",
            "raise concurrency_per_task or partition the workload across several services",
            [{"consumer.concurrency_per_task": concurrency}] if concurrency > c.concurrency_per_task else [],
        )
    )
    return caps


def default_cache() -> Cache:
    return Cache()
