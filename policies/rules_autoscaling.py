"""Autoscaling rules: the consumer fleet tracks backlog per task, can start from zero, and stays
within the sink's and the cache's connection budgets.

Split from rules_capacity.py (same family, `capacity`); the queue helpers live there.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits
from policies.rules_base import (
    ADVISORY,
    ECS_SERVICE,
    MANDATORY,
    METRIC_ALARM,
    SCALABLE_TARGET,
    SCALING_POLICY,
    TAG_CACHE_CONNECTIONS_BUDGET,
    TAG_CACHE_POOL_SIZE,
    TAG_CACHE_PRODUCER_CONNECTIONS,
    TAG_CONCURRENCY_PER_TASK,
    TAG_SINK_CONNECTIONS_PER_SLOT,
    TAG_SINK_MAX_CONNECTIONS,
    TAG_SINK_NAME,
    ResourceView,
    Rule,
    as_list,
    as_mapping,
    as_number,
    depends_on,
    fmt,
    is_true,
    of_type,
)
from policies.contract import SQS_IN_FLIGHT_METRIC, SQS_NAMESPACE
from policies.rules_capacity import (
    SQS_DEPTH_METRICS,
    STEP_SCALING,
    TARGET_TRACKING,
    TASK_COUNT_METRICS,
    policy_type,
)


# --- autoscaling -------------------------------------------------------------------------


def _metric_stats(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every metric a customized spec reads: the single metric, or each metricStat of a metric-math list."""
    found = []
    if spec.get("metricName"):
        found.append({"metricName": spec.get("metricName"), "namespace": spec.get("namespace")})
    for item in as_list(spec.get("metrics")):
        stat = as_mapping(item.get("metricStat")) if isinstance(item, Mapping) else None
        metric = as_mapping(stat.get("metric")) if stat else None
        if metric:
            found.append({"metricName": metric.get("metricName"), "namespace": metric.get("namespace"),
                          "id": item.get("id"), "returnData": item.get("returnData")})
    return found


def _returned_expression(spec: Mapping[str, Any]) -> str | None:
    for item in as_list(spec.get("metrics")):
        if isinstance(item, Mapping) and is_true(item.get("returnData")) and item.get("expression"):
            return str(item.get("expression"))
    return None


def _sum_of(node: ast.AST) -> set[str] | None:
    """The metric ids a node adds up (a + b + c, parenthesised or not), or None for anything else."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sum_of(node.left), _sum_of(node.right)
        return None if left is None or right is None else left | right
    return None


def divides_depth_by_tasks(expression: str, depth_ids: Sequence[str], task_ids: Sequence[str]) -> bool:
    """True when the expression is (sum of every depth metric) / (a task-count metric), as a whole.

    `visible + inflight / tasks` divides only the in-flight part and is rejected; so is any
    expression that is not a plain sum over a task count.
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return False
    if not (isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div)):
        return False
    if not (isinstance(tree.right, ast.Name) and tree.right.id in task_ids):
        return False
    summed = _sum_of(tree.left)
    return summed is not None and set(depth_ids) <= summed


def check_tracks_backlog_per_task(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if policy_type(view.props) != TARGET_TRACKING:
        return []
    tracking = as_mapping(view.props.get("targetTrackingScalingPolicyConfiguration")) or {}
    spec = as_mapping(tracking.get("customizedMetricSpecification"))
    if not spec:
        return []
    metrics = _metric_stats(spec)
    depth = [m for m in metrics if m.get("namespace") == SQS_NAMESPACE and m.get("metricName") in SQS_DEPTH_METRICS]
    if not depth:
        return []
    target = fmt(as_number(tracking.get("targetValue")))
    tasks = [m for m in metrics if m.get("metricName") in TASK_COUNT_METRICS]
    expression = _returned_expression(spec)
    divides = bool(tasks) and expression is not None and divides_depth_by_tasks(
        expression, [str(m.get("id")) for m in depth], [str(m.get("id")) for m in tasks])
    if not divides:
        names = ", ".join(sorted({str(m["metricName"]) for m in depth}))
        return [f"scaling policy `{view.name}` tracks raw queue depth ({names}) at a fixed target of {target} "
                "messages: the fleet needed for the age objective depends on the tasks running, so raw depth "
                "under-scales a backlog and over-scales a trickle. Track backlog per task instead."]
    if config["requireInFlight"] and SQS_IN_FLIGHT_METRIC not in {m.get("metricName") for m in depth}:
        return [f"scaling policy `{view.name}` divides only visible messages by running tasks: busy tasks whose "
                f"messages are all in flight look idle and are scaled in mid-message; add {SQS_IN_FLIGHT_METRIC}."]
    return []


def _policies_for(target: ResourceView, views: Sequence[ResourceView]) -> list[ResourceView]:
    resource_id = target.known("resourceId")
    return [p for p in of_type(views, SCALING_POLICY)
            if depends_on(p, target) or (resource_id and p.known("resourceId") == resource_id)]


def _invoked_by_alarm(step: ResourceView, views: Sequence[ResourceView]) -> bool:
    """True when some alarm acts on the step policy (its alarmActions hold the policy's ARN)."""
    arn = step.known("arn")
    for alarm in of_type(views, METRIC_ALARM):
        if depends_on(alarm, step):
            return True
        if arn and arn in [str(a) for a in as_list(alarm.known("alarmActions"))]:
            return True
    return False


def check_zero_to_one_path(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for target in of_type(views, SCALABLE_TARGET):
        if as_number(target.props.get("minCapacity")) != 0:
            continue
        steps = [p for p in _policies_for(target, views) if policy_type(p.props) == STEP_SCALING]
        if any(_invoked_by_alarm(step, views) for step in steps):
            continue
        what = ("a step-scaling policy that no alarm invokes" if steps
                else "no step-scaling policy on queue depth")
        out.append((target.urn, f"scalable target `{target.name}` may scale to 0 tasks but has {what}: backlog per "
                                "task is undefined at 0 tasks, so target tracking never starts the first one and "
                                "messages wait until they expire."))
    return out


def _scales_in(step: ResourceView) -> bool:
    """True when a step-scaling policy removes capacity: some adjustment below zero (or not yet known)."""
    config = as_mapping(step.props.get("stepScalingPolicyConfiguration")) or {}
    adjustments = [as_number(a.get("scalingAdjustment")) for a in as_list(config.get("stepAdjustments"))
                   if isinstance(a, Mapping)]
    return any(a is None or a < 0 for a in adjustments)


def check_scale_in_path(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A scalable target whose target tracking only scales out (disableScaleIn) needs an alarm-driven step policy
    that scales in; else the fleet stays at the largest size any surge asked for."""
    out = []
    for target in of_type(views, SCALABLE_TARGET):
        policies = _policies_for(target, views)
        tracking = [p for p in policies if policy_type(p.props) == TARGET_TRACKING]
        if not tracking or not all(
                is_true((as_mapping(p.props.get("targetTrackingScalingPolicyConfiguration")) or {}).get("disableScaleIn"))
                for p in tracking):
            continue
        steps = [p for p in policies if policy_type(p.props) == STEP_SCALING and _scales_in(p)]
        if any(_invoked_by_alarm(step, views) for step in steps):
            continue
        what = "a scale-in step policy that no alarm invokes" if steps else "no step-scaling policy that scales in"
        out.append((target.urn, f"scalable target `{target.name}`: its target tracking has scale-in disabled and it "
                                f"has {what}, so the fleet never shrinks: after a surge it runs (and bills) the "
                                "largest fleet any surge asked for, up to max capacity."))
    return out


def check_within_sink_connections(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Fleets writing to one sink (lanes of a workload, workloads naming it) share its connections: add them up
    per `qcap:sink-name`, as the planner splits the budget (capacity/plan/budgets.py)."""
    groups: dict[str, list[tuple[ResourceView, str, float, float]]] = {}
    for view in of_type(views, SCALABLE_TARGET):
        budget, max_tasks = view.tag_number(TAG_SINK_MAX_CONNECTIONS), as_number(view.props.get("maxCapacity"))
        if budget is not None and max_tasks is not None:
            concurrency = view.tag_number(TAG_CONCURRENCY_PER_TASK) or 1.0
            per_slot = view.tag_number(TAG_SINK_CONNECTIONS_PER_SLOT) or 1.0
            how = f"{fmt(max_tasks)} tasks x {fmt(concurrency)} in flight x {fmt(per_slot)} connections"
            groups.setdefault(view.tag(TAG_SINK_NAME) or view.urn, []).append(
                (view, how, max_tasks * concurrency * per_slot, budget))
    out = []
    for key, group in groups.items():
        needed, budget = sum(g[2] for g in group), min(g[3] for g in group)
        if needed <= budget:
            continue
        if len(group) == 1:
            view, how, _, _ = group[0]
            out.append((view.urn, f"scalable target `{view.name}` allows {how} = {fmt(needed)} sink connections, over "
                                  f"the sink's {fmt(budget)}: at full scale the sink refuses connections and messages "
                                  "fail into the DLQ."))
            continue
        parts = " + ".join(f"`{v.name}` {fmt(n)}" for v, _, n, _ in group)
        out.extend((view.urn, f"scalable targets sharing sink `{key}` allow {parts} = {fmt(needed)} sink connections "
                              f"at full scale, over the sink's {fmt(budget)} it shares among them: the sink refuses "
                              "connections and messages fail into the DLQ.") for view, _, _, _ in group)
    return out


def check_redis_connection_budget(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    budget = view.tag_number(TAG_CACHE_CONNECTIONS_BUDGET)
    max_tasks = as_number(view.props.get("maxCapacity"))
    if budget is None or max_tasks is None:
        return []
    out = []
    if budget > limits.ELASTICACHE_MAX_CONNECTIONS_PER_NODE:
        out.append(f"`{view.name}` counts on {fmt(budget)} Redis connections; an ElastiCache node takes at most "
                   f"{limits.ELASTICACHE_MAX_CONNECTIONS_PER_NODE}.")
    per_task = view.tag_number(TAG_CACHE_POOL_SIZE) or view.tag_number(TAG_CONCURRENCY_PER_TASK) or 1.0
    producers = view.tag_number(TAG_CACHE_PRODUCER_CONNECTIONS) or 0.0
    needed = max_tasks * per_task + producers
    if needed > budget:
        out.append(f"scalable target `{view.name}` allows {fmt(max_tasks)} tasks x {fmt(per_task)} connections + "
                   f"{fmt(producers)} producer connections = {fmt(needed)}, over the Redis budget of {fmt(budget)}.")
    return out


def _autoscaled_services(views: Sequence[ResourceView]) -> list[tuple[ResourceView, ResourceView]]:
    pairs = []
    for service in of_type(views, ECS_SERVICE):
        name = service.known("name")
        for target in of_type(views, SCALABLE_TARGET):
            resource_id = str(target.known("resourceId") or "")
            if depends_on(target, service) or (name and resource_id.endswith(f"/{name}")):
                pairs.append((service, target))
                break
    return pairs


def check_desired_count_ignored(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for service, target in _autoscaled_services(views):
        if not {"desiredCount", "desired_count"} & set(service.ignore_changes):
            out.append((service.urn, f"ECS service `{service.name}` is autoscaled by `{target.name}` but does not "
                                     "ignore changes to desiredCount: every `pulumi up` resets the task count "
                                     "the autoscaler chose, mid-backlog."))
    return out


RULES: tuple[Rule, ...] = (
    Rule(
        id="scaling-tracks-backlog-per-task",
        description="Target tracking on an SQS queue uses (visible + in flight) / running tasks, not raw depth.",
        level=MANDATORY,
        why="Raw depth with a fixed target (seed 004: 50,000 visible) scales the same whatever a task can do, so "
            "the age objective is missed; visible-only backlog scales in busy tasks mid-message (keda #1663).",
        remediation="Use metric math: (ApproximateNumberOfMessagesVisible + ApproximateNumberOfMessagesNotVisible) / "
                    "RunningTaskCount with the plan's target_backlog_per_task.",
        check=check_tracks_backlog_per_task, resource_types=(SCALING_POLICY,),
        config_schema={"requireInFlight": {"type": "boolean", "default": True,
                                           "description": "Require in-flight messages in the backlog."}},
    ),
    Rule(
        id="scaling-zero-to-one-path",
        description="A scalable target with min capacity 0 has a step-scaling policy to start the first task.",
        level=MANDATORY,
        why="Backlog per task divides by zero at 0 tasks; target tracking alone never scales out from zero.",
        remediation="Add a step-scaling policy on ApproximateNumberOfMessagesVisible >= 1 -> 1 task, or set "
                    "overrides.min_capacity to 1.",
        check=check_zero_to_one_path, stack=True,
    ),
    Rule(
        id="scaling-scale-in-path",
        description="A scalable target whose target tracking has scale-in disabled has an alarm-driven step policy "
                    "that scales in.",
        level=ADVISORY,
        why="With DisableScaleIn and nothing else to scale in, a fleet that scaled out for a surge stays there: "
            "the tasks-at-max alarm pages and the month bills max capacity.",
        remediation="Add a step-scaling policy (a negative adjustment) and the CloudWatch alarm that invokes it below "
                    "the plan's scale_in_backlog_per_task, or let target tracking scale in (disable_scale_in false).",
        check=check_scale_in_path, stack=True,
    ),
    Rule(
        id="scaling-within-sink-connections",
        description="Across every scalable target writing to one sink (`qcap:sink-name`), max capacity x "
                    "concurrency x connections per slot adds up to no more than the tagged sink connection budget.",
        level=MANDATORY,
        why="At full scale the sink refuses connections; messages fail, retry and dead-letter.",
        remediation="Lower overrides.max_capacity or consumer.concurrency_per_task, or raise the sink's "
                    "max_connections (a pooler).",
        check=check_within_sink_connections, stack=True,
    ),
    Rule(
        id="redis-connection-budget",
        description="Redis workers at max capacity, with producers, fit the cache's connection budget.",
        level=MANDATORY,
        why="Past maxclients Redis refuses new connections and workers crash-loop.",
        remediation="Lower cache.pool_size_per_task or max_capacity, or raise cache.max_clients (at most 65,000).",
        check=check_redis_connection_budget, resource_types=(SCALABLE_TARGET,),
    ),
    Rule(
        id="ecs-desired-count-ignored",
        description="An autoscaled ECS service ignores changes to desiredCount.",
        level=ADVISORY,
        why="Otherwise each deployment resets the task count the autoscaler chose.",
        remediation="Add `ignore_changes=[\"desiredCount\"]` to the service's resource options.",
        check=check_desired_count_ignored, stack=True,
    ),
)
