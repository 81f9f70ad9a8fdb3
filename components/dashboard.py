"""A CloudWatch dashboard per stack, built from the plan: what the autoscaler and the alarms see.

Per AWS workload (sqs, sqs-fifo, redis), one row of panels, each with the plan's threshold
drawn as a horizontal annotation:

- backlog per task ((visible + in flight) / tasks, or the workers' QueueDepth / tasks)
  against the autoscaling target, and the concurrency c above which there is no resting point;
- running tasks against min and max capacity;
- age of the oldest message against the objective;
- dead-letter depth against the DLQ alarm;
- for Redis, the cache panels: engine CPU, memory, connections against the budget, evictions.

Scheduled consumers have no service, so their row has no task panels. Cloudflare workloads
publish nothing to CloudWatch and are left out. The dashboard's console URL is a stack output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from capacity import contract as c
from capacity import limits
from capacity.contract import Broker
from capacity.plan import WorkloadPlan
from components.queue_alarms import redis_dimensions
from components.redis_cache import member_cluster_ids, replication_group_id

DASHBOARD_BROKERS = c.CONSUMER_BROKERS
# Grid: CloudWatch dashboards are 24 units wide; panels are 8 x 6, a title row is 1 high.
GRID_WIDTH = 24
PANEL_WIDTH = 8
PANEL_HEIGHT = 6
TITLE_HEIGHT = 1
PANEL_PERIOD_SECONDS = limits.CLOUDWATCH_ALARM_PERIOD_SECONDS


def dashboard_name(stack: str) -> str:
    return f"qcap-{stack}"


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"


@dataclass(frozen=True)
class DashboardWorkload:
    """One workload's plan and the names its metrics carry.

    SQS brokers need `queue_name` and `dlq_name`; `cluster_name` and `service_name` (both or
    neither) add the task panels. Redis reads the workers' metrics and the cache's nodes.
    """

    plan: WorkloadPlan
    queue_name: pulumi.Input[str] | None = None
    dlq_name: pulumi.Input[str] | None = None
    cluster_name: pulumi.Input[str] | None = None
    service_name: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        plan = self.plan
        if plan.broker not in DASHBOARD_BROKERS:
            raise ValueError(f"Dashboard: workload {plan.name!r} uses {plan.broker}, which publishes nothing to "
                             f"CloudWatch; allowed: {', '.join(DASHBOARD_BROKERS)}")
        if plan.broker != Broker.redis and (self.queue_name is None or self.dlq_name is None):
            raise ValueError(f"Dashboard: workload {plan.name!r} uses {plan.broker}; set `queue_name` and `dlq_name`")
        if (self.cluster_name is None) != (self.service_name is None):
            raise ValueError(f"Dashboard: workload {plan.name!r}: set both `cluster_name` and `service_name`, or neither")


@dataclass(frozen=True)
class DashboardArgs:
    """The stack name (the dashboard is `qcap-<stack>`), its region, and the workloads to show."""

    stack: str
    region: str
    workloads: Sequence[DashboardWorkload]

    def __post_init__(self) -> None:
        if not self.workloads:
            raise ValueError("Dashboard: no workloads to show (Cloudflare workloads have no CloudWatch metrics)")


def annotation(label: str, value: float) -> dict[str, Any]:
    return {"label": label, "value": value}


def panel(title: str, region: str, metrics: list[list[Any]], annotations: list[dict[str, Any]],
          stat: str, label: str) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stat": stat,
            "period": PANEL_PERIOD_SECONDS,
            "metrics": metrics,
            "annotations": {"horizontal": annotations},
            "yAxis": {"left": {"min": 0, "label": label, "showUnits": False}},
        },
    }


def workload_panels(item: DashboardWorkload, stack: str, region: str) -> list[dict[str, Any]]:
    """The panels of one workload, in order: scaling, tasks, age, DLQ, then the cache."""
    plan = item.plan
    redis = plan.broker == c.REDIS
    has_service = item.cluster_name is not None
    tasks_metric = [c.CONTAINER_INSIGHTS_NAMESPACE, c.RUNNING_TASKS_METRIC, c.CLUSTER_DIMENSION, item.cluster_name,
                    c.SERVICE_DIMENSION, item.service_name]
    if redis:
        dims = redis_dimensions(stack, plan)
        by = [c.REDIS_STACK_DIMENSION, dims[c.REDIS_STACK_DIMENSION],
              c.REDIS_WORKLOAD_DIMENSION, dims[c.REDIS_WORKLOAD_DIMENSION]]
        depth = [[c.REDIS_NAMESPACE, c.REDIS_DEPTH_METRIC, *by, {"id": "depth", "visible": False}]]
        expression = "depth / tasks"
        age = [c.REDIS_NAMESPACE, c.REDIS_OLDEST_AGE_METRIC, *by]
        dlq = [c.REDIS_NAMESPACE, c.REDIS_DEAD_LETTER_METRIC, *by]
    else:
        queue = [c.SQS_QUEUE_DIMENSION, item.queue_name]
        depth = [[c.SQS_NAMESPACE, c.SQS_VISIBLE_METRIC, *queue, {"id": "visible", "visible": False}],
                 [c.SQS_NAMESPACE, c.SQS_IN_FLIGHT_METRIC, *queue, {"id": "inflight", "visible": False}]]
        expression = "(visible + inflight) / tasks"
        age = [c.SQS_NAMESPACE, c.SQS_AGE_METRIC, *queue]
        dlq = [c.SQS_NAMESPACE, c.SQS_VISIBLE_METRIC, c.SQS_QUEUE_DIMENSION, item.dlq_name]
    panels = []
    if has_service and plan.scaling is not None:
        panels.append(panel(
            f"{plan.name}: backlog per task vs target", region,
            [[{"expression": expression, "label": "backlog per task", "id": "backlogpertask"}], *depth,
             [*tasks_metric, {"id": "tasks", "visible": False}]],
            [annotation(f"target {plan.scaling.target_backlog_per_task:g}", plan.scaling.target_backlog_per_task),
             annotation(f"concurrency c = {plan.concurrency_per_task}", plan.concurrency_per_task),
             *([] if plan.scaling.scale_in_backlog_per_task is None else [annotation(
                 f"scale in below {plan.scaling.scale_in_backlog_per_task:g}", plan.scaling.scale_in_backlog_per_task)])],
            "Average", "messages per task"))
        panels.append(panel(
            f"{plan.name}: running tasks", region, [tasks_metric],
            [annotation(f"min {plan.min_capacity}", plan.min_capacity),
             annotation(f"max {plan.max_capacity}", plan.max_capacity)],
            "Average", "tasks"))
    objective = plan.alarms.age_seconds if plan.alarms.age_seconds is not None else plan.max_age_seconds
    panels.append(panel(f"{plan.name}: age of oldest message", region, [age],
                        [annotation(f"objective {objective:g} s", objective)], "Maximum", "seconds"))
    panels.append(panel(f"{plan.name}: dead-letter depth", region, [dlq],
                        [annotation(f"alarm at {plan.alarms.dlq_messages}", plan.alarms.dlq_messages)],
                        "Maximum", "messages"))
    if redis:
        panels += cache_panels(plan, stack, region)
    return panels


def cache_panels(plan: WorkloadPlan, stack: str, region: str) -> list[dict[str, Any]]:
    """Engine CPU, memory, connections and evictions of every cache node, with the alarm thresholds."""
    if plan.cache is None:
        return []
    nodes = member_cluster_ids(replication_group_id(stack, plan), plan.cache.nodes)

    def per_node(metric: str) -> list[list[Any]]:
        return [[c.ELASTICACHE_NAMESPACE, metric, c.CACHE_NODE_DIMENSION, node] for node in nodes]

    connections = [annotation(f"alarm {plan.cache.alarm_connections}", plan.cache.alarm_connections),
                   annotation(f"budget {plan.cache.connections_budget}", plan.cache.connections_budget)]
    return [
        panel(f"{plan.name}: cache engine CPU", region, per_node(c.CACHE_CPU_METRIC),
              [annotation(f"alarm {limits.REDIS_CPU_ALARM_PERCENT}%", limits.REDIS_CPU_ALARM_PERCENT)],
              "Average", "percent"),
        panel(f"{plan.name}: cache memory", region, per_node(c.CACHE_MEMORY_METRIC),
              [annotation(f"alarm {limits.REDIS_MEMORY_ALARM_PERCENT}%", limits.REDIS_MEMORY_ALARM_PERCENT)],
              "Maximum", "percent of maxmemory"),
        panel(f"{plan.name}: cache connections", region, per_node(c.CACHE_CONNECTIONS_METRIC), connections,
              "Maximum", "connections"),
        panel(f"{plan.name}: cache evictions", region, per_node(c.CACHE_EVICTIONS_METRIC),
              [annotation("any eviction loses items", 1)], "Sum", "keys"),
    ]


def layout(stack: str, region: str, workloads: Sequence[DashboardWorkload]) -> list[dict[str, Any]]:
    """Widgets with positions: a title row per workload, then its panels three to a row."""
    widgets: list[dict[str, Any]] = []
    y = 0
    for item in workloads:
        plan = item.plan
        widgets.append({
            "type": "text", "x": 0, "y": y, "width": GRID_WIDTH, "height": TITLE_HEIGHT,
            "properties": {"markdown": f"## {plan.name} ({plan.broker}, {plan.mode}): "
                                       f"c = {plan.concurrency_per_task}, t = {plan.processing_seconds:g} s, "
                                       f"objective {plan.max_age_seconds:g} s"},
        })
        y += TITLE_HEIGHT
        per_row = GRID_WIDTH // PANEL_WIDTH
        panels = workload_panels(item, stack, region)
        for index, widget in enumerate(panels):
            widget.update(x=(index % per_row) * PANEL_WIDTH, y=y + (index // per_row) * PANEL_HEIGHT,
                          width=PANEL_WIDTH, height=PANEL_HEIGHT)
            widgets.append(widget)
        y += -(-len(panels) // per_row) * PANEL_HEIGHT
    return widgets


class Dashboard(pulumi.ComponentResource):
    """One CloudWatch dashboard `qcap-<stack>` with a row of panels per workload."""

    dashboard_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("qcap:monitoring:Dashboard", name, None, opts)
        body = {"widgets": layout(args.stack, args.region, args.workloads)}
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=dashboard_name(args.stack),
            dashboard_body=pulumi.Output.json_dumps(body),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.url = dashboard.dashboard_name.apply(lambda n: dashboard_url(args.region, n))
        self.register_outputs({"dashboard_name": self.dashboard_name, "url": self.url})
