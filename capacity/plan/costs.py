"""Costs in one place: Fargate task-hours, SQS requests, alarms, cache nodes and Cloudflare operations."""

from __future__ import annotations

import math

from capacity import limits
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.lanes import Rates
from capacity.plan.models import CachePlan
from capacity.pricing import task_usd_per_hour
from capacity.profile import Broker, Workload


def fargate_task_usd_per_hour(w: Workload) -> float:
    c = w.consumer
    return task_usd_per_hour(c.task_cpu, c.task_memory_mib, c.architecture)


def sqs_requests_per_month(w: Workload, average: float, idle_tasks: float) -> float:
    chunks = math.ceil(w.traffic.message_bytes / limits.SQS_BILLING_CHUNK_BYTES)
    messages = average * limits.SECONDS_PER_DAY * 365 / 12
    per_message = chunks * (1 + 2 / w.consumer.receive_batch)
    idle = idle_tasks * limits.IDLE_RECEIVES_PER_TASK_PER_MINUTE * 60 * limits.HOURS_PER_MONTH
    return messages * per_message + idle


def sqs_usd_per_million(w: Workload) -> float:
    if w.broker is Broker.sqs_fifo:
        return limits.SQS_FIFO_USD_PER_MILLION_REQUESTS
    return limits.SQS_STANDARD_USD_PER_MILLION_REQUESTS


def service_monthly_cost(
    d: Derivation, w: Workload, rates: Rates, mu: float, cache: CachePlan | None, average_tasks: float,
    average_why: str,
) -> float:
    """A service's month: the plan's own average fleet (average_why says where it comes from), SQS requests,
    alarms, cache nodes."""
    task_usd = fargate_task_usd_per_hour(w)
    avg_tasks = round(average_tasks, 1)
    tasks_usd = avg_tasks * limits.HOURS_PER_MONTH * task_usd
    cost_parts = [
        f"{num(avg_tasks)} average tasks ({average_why}) x {limits.HOURS_PER_MONTH} h x "
        f"${task_usd:.5f}/task-hour = ${tasks_usd:,.2f}"
    ]
    total = tasks_usd
    if w.sqs_like:
        requests = sqs_requests_per_month(w, rates.average, avg_tasks)
        sqs_usd = requests / 1e6 * sqs_usd_per_million(w)
        total += sqs_usd
        cost_parts.append(f"{num(round(requests / 1e6, 2))}M SQS requests = ${sqs_usd:,.2f}")
        alarm_count = limits.ALARMS_PER_QUEUE
    else:
        alarm_count = limits.ALARMS_PER_QUEUE - 1  # no SQS DLQ alarm; the workers' DLQ list is alarmed instead
    if cache:
        nodes_usd = cache.nodes * limits.ELASTICACHE_NODE_USD_PER_HOUR[cache.node_type] * limits.HOURS_PER_MONTH
        total += nodes_usd
        alarm_count += limits.ALARMS_PER_CACHE
        cost_parts.append(f"{cache.nodes} x {cache.node_type} = ${nodes_usd:,.2f}")
    alarms_usd = alarm_count * limits.CLOUDWATCH_USD_PER_ALARM_MONTH
    total += alarms_usd
    cost_parts.append(f"{alarm_count} alarms = ${alarms_usd:.2f}")
    d.reasons["monthly_cost_usd"] = f"${total:,.2f} = " + " + ".join(cost_parts)
    if rates.backlog:
        once = rates.backlog / mu / 3600 * task_usd
        d.reasons["monthly_cost_usd"] += f"; draining the backlog costs about ${max(once, 0.01):,.2f} once, on top"
    return round(total, 2)


def scheduled_monthly_cost(d: Derivation, w: Workload, rates: Rates, interval: int, run: float) -> float:
    """A scheduled consumer's month: one task per run for the run plus its start, SQS requests, two alarms."""
    runs = limits.HOURS_PER_MONTH * 3600 / interval
    billed = run + limits.TASK_START_SECONDS
    task_usd = fargate_task_usd_per_hour(w)
    tasks_usd = runs * billed / 3600 * task_usd
    requests = sqs_requests_per_month(w, rates.average, 0) + runs
    sqs_usd = requests / 1e6 * sqs_usd_per_million(w)
    alarms_usd = 2 * limits.CLOUDWATCH_USD_PER_ALARM_MONTH
    total = tasks_usd + sqs_usd + alarms_usd
    d.reasons["monthly_cost_usd"] = (
        f"${total:,.2f} = {num(round(runs))} runs x ({num(run)} s run + {limits.TASK_START_SECONDS} s start) x "
        f"${task_usd:.5f}/task-hour = ${tasks_usd:,.2f} + {num(round(requests / 1e6, 3))}M SQS requests = "
        f"${sqs_usd:,.2f} + 2 alarms = ${alarms_usd:.2f}"
    )
    return round(total, 2)


def cloudflare_monthly_cost(d: Derivation, w: Workload, rates: Rates) -> float:
    """Cloudflare Queues' month: operations per message past the free allowance; Worker time not included."""
    chunks = math.ceil(w.traffic.message_bytes / limits.CLOUDFLARE_BILLING_CHUNK_BYTES)
    operations = rates.average * limits.SECONDS_PER_DAY * 365 / 12 * limits.CLOUDFLARE_OPERATIONS_PER_MESSAGE * chunks
    billable = max(0.0, operations - limits.CLOUDFLARE_FREE_OPERATIONS_PER_MONTH)
    total = billable / 1e6 * limits.CLOUDFLARE_USD_PER_MILLION_OPERATIONS
    d.reasons["monthly_cost_usd"] = (
        f"${total:,.2f} = ({num(round(operations / 1e6, 1))}M operations ({limits.CLOUDFLARE_OPERATIONS_PER_MESSAGE} "
        f"per message) - 1M free) x ${limits.CLOUDFLARE_USD_PER_MILLION_OPERATIONS}/M; Worker invocations not included"
    )
    return round(total, 2)
