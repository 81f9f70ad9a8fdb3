"""Stack rules: properties of the whole stack, here that every SQS queue is watched by the right alarm.

A queue without an age-of-oldest alarm misses its objective unseen; a DLQ without a depth
alarm holds failed messages unseen until retention deletes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.contract import SQS_AGE_METRIC as AGE_METRIC
from policies.contract import SQS_QUEUE_DIMENSION as QUEUE_DIMENSION
from policies.rules_base import MANDATORY, METRIC_ALARM, ResourceView, Rule, as_list, as_mapping, of_type
from policies.contract import SQS_NAMESPACE, SQS_VISIBLE_METRIC
from policies.rules_capacity import dead_letter_queues, source_queues


def _watched(alarm: ResourceView) -> list[tuple[str, str | None]]:
    """(metric name, queue name) for each SQS metric an alarm reads, directly or through metric math."""
    metrics: list[Mapping[str, Any]] = []
    if alarm.props.get("metricName"):
        metrics.append(alarm.props)
    for query in as_list(alarm.props.get("metricQueries")):
        metric = as_mapping(query.get("metric")) if isinstance(query, Mapping) else None
        if metric:
            metrics.append(metric)
    watched = []
    for metric in metrics:
        if metric.get("namespace") != SQS_NAMESPACE:
            continue
        dimensions = _dimensions(metric.get("dimensions"))
        queue = dimensions.get(QUEUE_DIMENSION)
        watched.append((str(metric.get("metricName")), None if queue is None else str(queue)))
    return watched


def _dimensions(value: Any) -> Mapping[str, Any]:
    """Alarm dimensions as a mapping, whether given as a map or as a list of {name, value}."""
    mapping = as_mapping(value)
    if mapping is not None:
        return mapping
    return {str(d.get("name")): d.get("value") for d in as_list(value) if isinstance(d, Mapping)}


def _queue_name(queue: ResourceView) -> str | None:
    name = queue.known("name")
    return None if name is None else str(name)


def _has_alarm(queue: ResourceView, metric_name: str, alarms: Sequence[ResourceView]) -> bool:
    """True when an alarm reads `metric_name` for this queue (by QueueName, else by the workload tag)."""
    name = _queue_name(queue)
    for alarm in alarms:
        for metric, queue_name in _watched(alarm):
            if metric != metric_name:
                continue
            if queue_name is not None and queue_name == name:
                return True
            if queue_name is None and alarm.workload and alarm.workload == queue.workload:
                return True
    return False


def check_age_alarm(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    alarms = of_type(views, METRIC_ALARM)
    return [(q.urn, f"SQS queue `{q.name}` has no alarm on {AGE_METRIC}: a consumer outage or an "
                    "under-sized fleet misses the age objective unseen.")
            for q in source_queues(views) if not _has_alarm(q, AGE_METRIC, alarms)]


def check_dlq_depth_alarm(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    alarms = of_type(views, METRIC_ALARM)
    return [(q.urn, f"dead-letter queue `{q.name}` has no alarm on {SQS_VISIBLE_METRIC}: failed messages wait "
                    "unseen until retention deletes them.")
            for q in dead_letter_queues(views) if not _has_alarm(q, SQS_VISIBLE_METRIC, alarms)]


RULES: tuple[Rule, ...] = (
    Rule(
        id="queue-has-age-alarm",
        description="Every SQS queue has an alarm on the age of its oldest message.",
        level=MANDATORY,
        why="Age of oldest message is the objective itself; depth alone hides a stuck consumer on a slow queue.",
        remediation="Add a MetricAlarm on AWS/SQS ApproximateAgeOfOldestMessage, QueueName = the queue, threshold "
                    "= max_age_seconds, 3 of 3 one-minute periods (qcap's alarm component does).",
        check=check_age_alarm, stack=True,
    ),
    Rule(
        id="dlq-has-depth-alarm",
        description="Every dead-letter queue has an alarm on its visible messages.",
        level=MANDATORY,
        why="A message in the DLQ is a failure someone must look at before it expires.",
        remediation="Add a MetricAlarm on AWS/SQS ApproximateNumberOfMessagesVisible >= 1 for the DLQ.",
        check=check_dlq_depth_alarm, stack=True,
    ),
)
