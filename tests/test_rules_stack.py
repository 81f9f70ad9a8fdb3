"""Stack rules: every SQS queue has an age-of-oldest alarm and every DLQ a depth alarm."""

from __future__ import annotations

from policies.pack import wrap_props
from policies.rules_base import ResourceView
from policies.rules_stack import RULES

RULE = {r.id: r for r in RULES}
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def view(type_: str, name: str, props: dict) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=f"urn:{name}")


def queue(name: str, role: str) -> ResourceView:
    return view(QUEUE, name, {"name": f"qcap-dev-{name}", "tags": {"qcap:role": role, "qcap:workload": "orders"}})


def alarm(name: str, metric: str, queue_name: str | None) -> ResourceView:
    props = {"namespace": "AWS/SQS", "metricName": metric, "alarmActions": ["arn:t"],
             "tags": {"qcap:role": "alarm", "qcap:workload": "orders"}}
    if queue_name:
        props["dimensions"] = {"QueueName": queue_name}
    return view(ALARM, name, props)


def test_age_alarm_fires_when_no_alarm_watches_the_queue_age():
    result = RULE["queue-has-age-alarm"].run_stack([queue("orders", "queue")])
    assert [(v.urn, v.message) for v in result] == [(
        "urn:orders",
        "SQS queue `orders` has no alarm on ApproximateAgeOfOldestMessage: a consumer outage or an under-sized "
        "fleet misses the age objective unseen.",
    )]


def test_age_alarm_is_quiet_when_an_alarm_names_the_queue():
    resources = [queue("orders", "queue"), alarm("orders-alarm-age", "ApproximateAgeOfOldestMessage", "qcap-dev-orders")]
    assert RULE["queue-has-age-alarm"].run_stack(resources) == []


def test_age_alarm_on_another_queue_does_not_count():
    resources = [queue("orders", "queue"), alarm("x-alarm-age", "ApproximateAgeOfOldestMessage", "qcap-dev-other")]
    assert len(RULE["queue-has-age-alarm"].run_stack(resources)) == 1


def test_age_alarm_reads_metric_math_queries_with_dimension_lists():
    math_alarm = view(ALARM, "orders-alarm-age", {"metricQueries": [{"id": "m", "returnData": True, "metric": {
        "namespace": "AWS/SQS", "metricName": "ApproximateAgeOfOldestMessage", "stat": "Maximum", "period": 60,
        "dimensions": [{"name": "QueueName", "value": "qcap-dev-orders"}]}}]})
    assert RULE["queue-has-age-alarm"].run_stack([queue("orders", "queue"), math_alarm]) == []


def test_dlq_depth_alarm_fires_for_an_unwatched_dlq():
    result = RULE["dlq-has-depth-alarm"].run_stack([queue("orders-dlq", "dlq")])
    assert [v.message for v in result] == [
        "dead-letter queue `orders-dlq` has no alarm on ApproximateNumberOfMessagesVisible: failed messages wait "
        "unseen until retention deletes them."
    ]


def test_dlq_depth_alarm_is_quiet_when_watched_and_ignores_source_queues():
    watched = [queue("orders-dlq", "dlq"),
               alarm("orders-alarm-dlq", "ApproximateNumberOfMessagesVisible", "qcap-dev-orders-dlq")]
    assert RULE["dlq-has-depth-alarm"].run_stack(watched) == []
    assert RULE["dlq-has-depth-alarm"].run_stack([queue("orders", "queue")]) == []
