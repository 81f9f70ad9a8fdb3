"""Scaling signal rules: a queue consumer's fleet scales on what the queue needs, not on CPU or raw depth.

A consumer waiting on I/O shows low CPU while its backlog grows; raw depth at a fixed step
ignores how many tasks already work it; an alarm on CPU has no data at 0 tasks, so it never
wakes a fleet resting at zero; a scheduled action can lift max past what ECS runs. A predictive
policy beside a backlog-per-task tracking policy is fine: the tracking policy still decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits
from policies.contract import SQS_NAMESPACE
from policies.rules_autoscaling import _metric_stats, _policies_for, _returned_expression
from policies.rules_autoscaling import divides_depth_by_tasks
from policies.rules_base import (
    ADVISORY,
    MANDATORY,
    METRIC_ALARM,
    SCALABLE_TARGET,
    SCHEDULED_ACTION,
    SQS_QUEUE,
    TAG_MAX_AGE_SECONDS,
    ResourceView,
    Rule,
    as_list,
    as_mapping,
    as_number,
    depends_on,
    fmt,
    of_type,
)
from policies.rules_capacity import STEP_SCALING, TARGET_TRACKING, TASK_COUNT_METRICS, policy_type

ECS_NAMESPACE = "ecs"
# Metrics that a task publishes only while it runs: no data at 0 tasks (ECS service metrics).
TASK_METRICS = ("CPUUtilization", "MemoryUtilization")
PREDEFINED_TASK_METRICS = ("ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization")


def _tracks_backlog_per_task(policy: ResourceView) -> bool:
    """True for target tracking on a backlog metric (SQS depth, a worker's Redis depth) divided by running tasks."""
    tracking = as_mapping(policy.props.get("targetTrackingScalingPolicyConfiguration")) or {}
    spec = as_mapping(tracking.get("customizedMetricSpecification"))
    if not spec:
        return False
    metrics = _metric_stats(spec)
    tasks = [str(m.get("id")) for m in metrics if m.get("metricName") in TASK_COUNT_METRICS]
    depth = [str(m.get("id")) for m in metrics if m.get("metricName") not in TASK_COUNT_METRICS + TASK_METRICS]
    expression = _returned_expression(spec)
    return bool(depth and tasks and expression) and divides_depth_by_tasks(str(expression), depth[:1], tasks)


def _alarms_of(step: ResourceView, views: Sequence[ResourceView]) -> list[ResourceView]:
    arn = step.known("arn")
    return [a for a in of_type(views, METRIC_ALARM)
            if depends_on(a, step) or (arn and arn in [str(x) for x in as_list(a.known("alarmActions"))])]


def _alarm_metrics(alarm: ResourceView) -> list[tuple[str | None, str | None]]:
    """(namespace, metric name) of each metric an alarm reads, directly or through metric math."""
    found = []
    if alarm.props.get("metricName"):
        found.append((alarm.props.get("namespace"), alarm.props.get("metricName")))
    for query in as_list(alarm.props.get("metricQueries")):
        metric = as_mapping(query.get("metric")) if isinstance(query, Mapping) else None
        if metric:
            found.append((metric.get("namespace"), metric.get("metricName")))
    return found


def _reads_queue(policy: ResourceView, views: Sequence[ResourceView]) -> bool:
    if policy_type(policy.props) == STEP_SCALING:
        return any(ns == SQS_NAMESPACE for a in _alarms_of(policy, views) for ns, _ in _alarm_metrics(a))
    tracking = as_mapping(policy.props.get("targetTrackingScalingPolicyConfiguration")) or {}
    spec = as_mapping(tracking.get("customizedMetricSpecification")) or {}
    return any(m.get("namespace") == SQS_NAMESPACE for m in _metric_stats(spec))


def _predefined(policy: ResourceView) -> str | None:
    tracking = as_mapping(policy.props.get("targetTrackingScalingPolicyConfiguration")) or {}
    spec = as_mapping(tracking.get("predefinedMetricSpecification")) or {}
    value = spec.get("predefinedMetricType")
    return None if value is None else str(value)


def _wired_to_a_queue(target: ResourceView, views: Sequence[ResourceView]) -> bool:
    """Whether a queue is among what the target depends on, through its service, task definition and roles
    (a queue's URL in the environment, its ARN in a policy): a fleet that consumes it, not a web service beside it."""
    by_urn = {v.urn: v for v in views if v.urn}
    queues = {q.urn for q in of_type(views, SQS_QUEUE)}
    seen: set[str] = set()
    todo = list(target.dependencies)
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        seen.add(urn)
        if urn in queues:
            return True
        if urn in by_urn:
            todo.extend(by_urn[urn].dependencies)
    return False


def check_scales_on_backlog(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for target in of_type(views, SCALABLE_TARGET):
        if target.props.get("serviceNamespace") not in (None, ECS_NAMESPACE):
            continue
        policies = [p for p in _policies_for(target, views)
                    if policy_type(p.props) in (TARGET_TRACKING, STEP_SCALING)]
        consumer = (target.tag(TAG_MAX_AGE_SECONDS) is not None or any(_reads_queue(p, views) for p in policies)
                    or _wired_to_a_queue(target, views))
        if not policies or not consumer or any(_tracks_backlog_per_task(p) for p in policies):
            continue
        on_tasks = sorted({m for p in policies if (m := _predefined(p)) in PREDEFINED_TASK_METRICS})
        steps = [p for p in policies if policy_type(p.props) == STEP_SCALING]
        if on_tasks:
            why = f"tracks {', '.join(on_tasks)} only: a consumer waiting on I/O idles its CPU while the backlog grows"
        elif steps:
            why = ("scales only by step policies on raw queue depth: a fixed step per alarm ignores how many tasks "
                   "already work the backlog")
        else:
            why = "has no policy on backlog per task"
        out.append((target.urn, f"scalable target `{target.name}` serves a queue but {why}. Add target tracking on "
                                "(visible + in flight) / running tasks."))
    return out


def check_wake_alarm_has_data(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for target in of_type(views, SCALABLE_TARGET):
        if as_number(target.props.get("minCapacity")) != 0:
            continue
        steps = [p for p in _policies_for(target, views) if policy_type(p.props) == STEP_SCALING]
        alarms = [a for s in steps for a in _alarms_of(s, views)]
        if not alarms or any(ns == SQS_NAMESPACE for a in alarms for ns, _ in _alarm_metrics(a)):
            continue
        metrics = sorted({str(m) for a in alarms for _, m in _alarm_metrics(a) if m})
        out.append((target.urn, f"scalable target `{target.name}` may rest at 0 tasks, and the alarm that should "
                                f"start the first task reads {', '.join(metrics) or 'no queue metric'}: at 0 tasks "
                                "that metric has no data, so the fleet never wakes. Alarm on the queue's depth."))
    return out


def check_scheduled_action_bounds(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    action = as_mapping(view.props.get("scalableTargetAction")) or {}
    low, high = as_number(action.get("minCapacity")), as_number(action.get("maxCapacity"))
    out = []
    if low is not None and high is not None and low > high:
        out.append(f"scheduled action `{view.name}` sets minCapacity {fmt(low)} above maxCapacity {fmt(high)}.")
    for what, value in (("maxCapacity", high), ("minCapacity", low)):
        if view.props.get("serviceNamespace") == ECS_NAMESPACE and value is not None \
                and value > limits.ECS_MAX_TASKS_PER_SERVICE:
            out.append(f"scheduled action `{view.name}` raises {what} to {fmt(value)} tasks; an ECS service runs at "
                       f"most {limits.ECS_MAX_TASKS_PER_SERVICE}.")
    return out


def _cooldowns(policy: ResourceView) -> list[tuple[str, float | None]]:
    tracking = as_mapping(policy.props.get("targetTrackingScalingPolicyConfiguration")) or {}
    step = as_mapping(policy.props.get("stepScalingPolicyConfiguration")) or {}
    return [("scaleOutCooldown", as_number(tracking.get("scaleOutCooldown"))),
            ("scaleInCooldown", as_number(tracking.get("scaleInCooldown"))),
            ("stepScalingPolicyConfiguration.cooldown", as_number(step.get("cooldown")))]


def check_cooldown_not_zero(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    return [f"scaling policy `{view.name}` sets {key} 0: each datapoint can move the fleet again before the last "
            "change shows in the metric, so it overshoots and flaps; check this is meant."
            for key, value in _cooldowns(view) if value == 0]


RULES: tuple[Rule, ...] = (
    Rule(
        id="scaling-on-backlog-per-task",
        description="A queue consumer's scalable target has a target-tracking policy on backlog per task, not CPU "
                    "or raw depth alone.",
        level=MANDATORY,
        why="CPU says nothing about a queue; raw depth at a fixed step ignores the tasks running.",
        remediation="Add target tracking on (visible + in flight) / RunningTaskCount (qcap's consumer does); "
                    "step and predictive policies may sit beside it.",
        check=check_scales_on_backlog, stack=True,
    ),
    Rule(
        id="scaling-wake-alarm-has-data",
        description="The alarm that starts a fleet resting at zero reads the queue, not the tasks.",
        level=MANDATORY,
        why="CPU and memory have no data at 0 tasks: the alarm stays INSUFFICIENT_DATA and nothing starts.",
        remediation="Alarm on ApproximateNumberOfMessagesVisible (+ NotVisible) of the queue.",
        check=check_wake_alarm_has_data, stack=True,
    ),
    Rule(
        id="scaling-scheduled-within-limits",
        description="A scheduled action keeps min at most max, and max within 5,000 ECS tasks.",
        level=MANDATORY,
        why="A schedule that lifts max past what ECS runs plans capacity that never comes.",
        remediation="Keep scalableTargetAction.maxCapacity at most 5,000 and minCapacity at most maxCapacity.",
        check=check_scheduled_action_bounds, resource_types=(SCHEDULED_ACTION,),
    ),
    Rule(
        id="scaling-cooldown-not-zero",
        description="Scaling policies do not set a cooldown of 0.",
        level=ADVISORY,
        why="A cooldown of 0 acts on metrics that do not yet show the last change.",
        remediation="Use a cooldown of about one metric period (60 s) or more.",
        check=check_cooldown_not_zero, resource_types=("aws:appautoscaling/policy:Policy",),
    ),
)
