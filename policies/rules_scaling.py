"""Capacity rules that hold the planner's limits on their own, for components reused without it.

A program that builds qcap's components (or raw pulumi_aws) without `plan()` is gated only by
the pack, so the pack checks what the planner would: capacity bounds, the backlog target,
scale-from-zero and cooldowns against the objective the resources are tagged with, the age
alarm against that objective, FIFO queues with FIFO dead-letter queues, and Cloudflare
retries in prod. Limits come from `policies/limits.py` (copies of `capacity/limits.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits
from policies.contract import REDIS_OLDEST_AGE_METRIC as REDIS_AGE_METRIC
from policies.rules_base import (
    ADVISORY,
    CLOUDFLARE_CONSUMER,
    MANDATORY,
    METRIC_ALARM,
    SCALABLE_TARGET,
    SCALING_POLICY,
    SQS_QUEUE,
    TAG_CONCURRENCY_PER_TASK,
    TAG_MAX_AGE_SECONDS,
    TAG_PEAK_PER_SECOND,
    TAG_PER_TASK_RATE,
    ResourceView,
    Rule,
    as_mapping,
    as_number,
    depends_on,
    fmt,
    is_true,
    of_type,
)
from policies.rules_capacity import TARGET_TRACKING, dlq_of, policy_type, source_queues
from policies.rules_stack import AGE_METRIC, _queue_name, _watched

ECS_NAMESPACE = "ecs"
# Application Auto Scaling applies ECS's 300 s default when a policy sets no cooldown.
DEFAULT_COOLDOWN_SECONDS = 300
# Cloudflare's default when a consumer sets no max_retries (Cloudflare Queues configuration).
CLOUDFLARE_DEFAULT_RETRIES = 3


def check_capacity_bounds(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    low, high = as_number(view.props.get("minCapacity")), as_number(view.props.get("maxCapacity"))
    out = []
    if low is not None and high is not None and low > high:
        out.append(f"scalable target `{view.name}` has minCapacity {fmt(low)} above maxCapacity {fmt(high)}: "
                   "Application Auto Scaling rejects it.")
    if view.props.get("serviceNamespace") == ECS_NAMESPACE and high is not None \
            and high > limits.ECS_MAX_TASKS_PER_SERVICE:
        out.append(f"scalable target `{view.name}` allows {fmt(high)} tasks; an ECS service runs at most "
                   f"{limits.ECS_MAX_TASKS_PER_SERVICE}: the plan counts on capacity that never comes.")
    return out


def check_min_zero_objective(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    age = view.tag_number(TAG_MAX_AGE_SECONDS)
    if as_number(view.props.get("minCapacity")) != 0 or age is None or age >= limits.COLD_START_SECONDS:
        return []
    return [f"scalable target `{view.name}` may rest at 0 tasks, but coming back takes about "
            f"{limits.COLD_START_SECONDS} s (metric delay + one datapoint + task start), longer than the {fmt(age)} s "
            "age objective: the first message after a quiet spell is always late."]


def _target_of(policy: ResourceView, targets: Sequence[ResourceView]) -> ResourceView | None:
    resource_id = policy.known("resourceId")
    for target in targets:
        if depends_on(policy, target) or (resource_id and target.known("resourceId") == resource_id):
            return target
    return None


def _min_fleet_absorbs_peak(target: ResourceView) -> bool:
    """True when the minimum fleet alone sustains the tagged peak: then no scale-out races the objective
    (the planner's choice for objectives shorter than the autoscaler's reaction)."""
    low = as_number(target.props.get("minCapacity"))
    rate, peak = target.tag_number(TAG_PER_TASK_RATE), target.tag_number(TAG_PEAK_PER_SECOND)
    return low is not None and rate is not None and peak is not None and low * rate >= peak


def _tracking_policies(views: Sequence[ResourceView]) -> list[tuple[ResourceView, ResourceView, float, Mapping]]:
    """(policy, its scalable target, the target's age objective, the tracking configuration) per tracking policy."""
    found = []
    targets = of_type(views, SCALABLE_TARGET)
    for policy in of_type(views, SCALING_POLICY):
        if policy_type(policy.props) != TARGET_TRACKING:
            continue
        target = _target_of(policy, targets)
        age = target.tag_number(TAG_MAX_AGE_SECONDS) if target else None
        if target is None or age is None:
            continue
        found.append((policy, target, age, as_mapping(policy.props.get("targetTrackingScalingPolicyConfiguration")) or {}))
    return found


def check_tracking_fits_objective(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for policy, target, age, tracking in _tracking_policies(views):
        value = as_number(tracking.get("targetValue"))
        concurrency = target.tag_number(TAG_CONCURRENCY_PER_TASK)
        rate = target.tag_number(TAG_PER_TASK_RATE)
        if value is not None and concurrency is not None and rate:
            wait = max(0.0, value - concurrency) / rate
            if wait > age:
                out.append((policy.urn, f"scaling policy `{policy.name}` targets {fmt(value)} messages per task: a "
                                        f"task's share waits {fmt(round(wait))} s ((target - concurrency "
                                        f"{fmt(concurrency)}) / {fmt(rate)} msg/s) before any scale-out, over the "
                                        f"{fmt(age)} s objective. Set it at most "
                                        f"{fmt(round(concurrency + age * rate, 2))}."))
    return out


def check_cooldown_fits_objective(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for policy, target, age, tracking in _tracking_policies(views):
        cooldown = as_number(tracking.get("scaleOutCooldown"))
        cooldown = DEFAULT_COOLDOWN_SECONDS if cooldown is None else cooldown
        if cooldown >= age and not _min_fleet_absorbs_peak(target):
            out.append((policy.urn, f"scaling policy `{policy.name}` waits {fmt(cooldown)} s between scale-outs, not "
                                    f"less than the {fmt(age)} s objective: a growing backlog gets one step per "
                                    "objective and messages age out. Set scaleOutCooldown well under the objective."))
    return out


def _is_fifo(queue: ResourceView) -> bool:
    return is_true(queue.props.get("fifoQueue")) or str(queue.known("name") or "").endswith(".fifo")


def check_fifo_dlq(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for queue in source_queues(views):
        dlq = dlq_of(queue, views)
        if dlq is not None and _is_fifo(queue) != _is_fifo(dlq):
            kinds = ("FIFO", "standard") if _is_fifo(queue) else ("standard", "FIFO")
            out.append((queue.urn, f"{kinds[0]} queue `{queue.name}` dead-letters into {kinds[1]} queue "
                                   f"`{dlq.name}`: SQS requires a dead-letter queue of the same type and rejects the "
                                   "redrive policy."))
    return out


def check_cloudflare_retries_in_prod(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if not view.prod:
        return []
    settings = as_mapping(view.props.get("settings")) or {}
    retries = as_number(settings.get("maxRetries"))
    if retries is not None and retries < 1:
        return [f"Cloudflare consumer `{view.name}` is prod with settings.maxRetries {fmt(retries)}: one transient "
                "failure dead-letters (or deletes) the message."]
    return []


def _age_alarm_threshold(alarm: ResourceView) -> float | None:
    if any(metric in (AGE_METRIC, REDIS_AGE_METRIC) for metric, _ in _watched_any(alarm)):
        return as_number(alarm.props.get("threshold"))
    return None


def _watched_any(alarm: ResourceView) -> list[tuple[str, str | None]]:
    found = _watched(alarm)
    if alarm.props.get("metricName") == REDIS_AGE_METRIC:
        found.append((REDIS_AGE_METRIC, None))
    return found


def check_age_alarm_within_objective(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    threshold = _age_alarm_threshold(view)
    age = view.tag_number(TAG_MAX_AGE_SECONDS)
    if threshold is None or age is None or threshold <= age:
        return []
    return [f"age alarm `{view.name}` fires above {fmt(threshold)} s but the objective is {fmt(age)} s: the "
            "objective is missed for longer than it is long before anyone hears."]


def check_untagged_age_alarm(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Age alarms without the objective tag, checked against the tagged queue they watch."""
    queues = {_queue_name(q): q for q in of_type(views, SQS_QUEUE) if _queue_name(q)}
    out = []
    for alarm in of_type(views, METRIC_ALARM):
        if alarm.tag_number(TAG_MAX_AGE_SECONDS) is not None:
            continue
        threshold = _age_alarm_threshold(alarm)
        for metric, queue_name in _watched(alarm):
            queue = queues.get(queue_name)
            age = queue.tag_number(TAG_MAX_AGE_SECONDS) if queue else None
            if metric == AGE_METRIC and threshold is not None and age is not None and threshold > age:
                out.append((alarm.urn, f"age alarm `{alarm.name}` fires above {fmt(threshold)} s but queue "
                                       f"`{queue.name}` has a {fmt(age)} s objective."))
    return out


RULES: tuple[Rule, ...] = (
    Rule(
        id="scaling-capacity-bounds",
        description="A scalable target's min is at most its max, and an ECS max within 5,000 tasks.",
        level=MANDATORY,
        why="Application Auto Scaling rejects min > max; an ECS service never runs more than 5,000 tasks.",
        remediation="Use the plan's min_capacity and max_capacity; past 5,000 tasks split the workload.",
        check=check_capacity_bounds, resource_types=(SCALABLE_TARGET,),
    ),
    Rule(
        id="scaling-min-zero-fits-objective",
        description="min capacity 0 only where the age objective outlasts the cold start.",
        level=MANDATORY,
        why="From zero the first task starts minutes after the first message; a shorter objective is always missed.",
        remediation="Set minCapacity to 1 or more, or loosen objective.max_age_seconds.",
        check=check_min_zero_objective, resource_types=(SCALABLE_TARGET,),
    ),
    Rule(
        id="scaling-tracking-fits-objective",
        description="The backlog-per-task target lets the fleet meet the tagged age objective.",
        level=MANDATORY,
        why="A target far above concurrency lets each task's queue share wait past the objective before any "
            "scale-out (the planner's own check on target_backlog_per_task).",
        remediation="Use the plan's target_backlog_per_task (qcap plan shows it and why).",
        check=check_tracking_fits_objective, stack=True,
    ),
    Rule(
        id="scaling-cooldown-fits-objective",
        description="The scale-out cooldown is shorter than the tagged age objective, unless the minimum fleet "
                    "absorbs the peak.",
        level=ADVISORY,
        why="With a cooldown as long as the objective a growing backlog gets one scale-out step per objective. "
            "Advisory: a profile may override the cooldown knowingly (seed 003 keeps its guide's 300 s).",
        remediation="Use the plan's scale_out_cooldown_seconds (60 s), or a min_capacity that carries the peak.",
        check=check_cooldown_fits_objective, stack=True,
    ),
    Rule(
        id="sqs-fifo-dlq-same-type",
        description="A FIFO queue dead-letters into a FIFO queue, a standard queue into a standard one.",
        level=MANDATORY,
        why="SQS rejects a redrive policy across queue types, so the source ends up with no dead-letter queue.",
        remediation="Create the dead-letter queue with `fifoQueue: true` and a `.fifo` name (qcap's component does).",
        check=check_fifo_dlq, stack=True,
    ),
    Rule(
        id="cloudflare-retries-in-prod",
        description="Prod Cloudflare consumers retry a message at least once.",
        level=MANDATORY,
        why="With max_retries 0 one transient failure sends the message to the DLQ, or deletes it.",
        remediation="Set settings.max_retries to the plan's retry budget (at least 1).",
        check=check_cloudflare_retries_in_prod, resource_types=(CLOUDFLARE_CONSUMER,),
    ),
    Rule(
        id="age-alarm-within-objective",
        description="An age-of-oldest alarm fires at or below the objective it is tagged with.",
        level=MANDATORY,
        why="An alarm far above the objective hides every miss shorter than its threshold.",
        remediation="Set the alarm's threshold to the plan's alarm_age_seconds (at most qcap:max-age-seconds).",
        check=check_age_alarm_within_objective, resource_types=(METRIC_ALARM,),
    ),
    Rule(
        id="age-alarm-within-queue-objective",
        description="An untagged age alarm fires at or below the objective of the queue it watches.",
        level=MANDATORY,
        why="As age-alarm-within-objective, for alarms that carry no qcap tags of their own.",
        remediation="Set the alarm's threshold to at most the queue's qcap:max-age-seconds.",
        check=check_untagged_age_alarm, stack=True,
    ),
)
