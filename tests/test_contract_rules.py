"""The documented rules layer: what AWS and Cloudflare document and botocore's models do not carry."""

from __future__ import annotations

import json

import pytest
from factories import registration

from qcap.offline.contract_calls import ApiCall
from qcap.offline.contract_rules import check_rules, period_ok

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def alarm(**params) -> ApiCall:
    base = {"AlarmName": "qcap-dev-orders-age", "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 3,
            "Threshold": 300, "MetricName": "ApproximateAgeOfOldestMessage", "Namespace": "AWS/SQS", "Period": 60,
            "Statistic": "Maximum"}
    base.update(params)
    return ApiCall("orders-alarm-age", ALARM, "cloudwatch", "PutMetricAlarm", {k: v for k, v in base.items()
                                                                             if v is not None})


def query(query_id: str, return_data: bool = False, period: int = 60) -> dict:
    return {"Id": query_id, "ReturnData": return_data,
            "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "X"}, "Period": period, "Stat": "Sum"}}


def found(*calls: ApiCall, resources=()) -> list[tuple[str, str, str]]:
    return [(v.field, v.limit, v.message) for v in check_rules(list(calls), list(resources)).violations]


@pytest.mark.parametrize(("period", "ok"), [(10, True), (20, True), (30, True), (60, True), (300, True), (45, False),
                                            (90, False), (0, False)])
def test_alarm_periods_are_10_20_30_or_a_multiple_of_60(period, ok):
    assert period_ok(period) is ok


def test_an_alarm_window_over_a_day_is_named_for_periods_under_an_hour():
    assert found(alarm(Period=600, EvaluationPeriods=145)) == [
        ("EvaluationPeriods", "Period x EvaluationPeriods <= 86400 s", "600 s x 145 = 87000 s")]


def test_datapoints_to_alarm_over_evaluation_periods_is_named():
    assert found(alarm(DatapointsToAlarm=4)) == [("DatapointsToAlarm", "<= EvaluationPeriods", "4 datapoints of 3 periods")]


def test_metric_math_needs_exactly_one_return_data_and_defined_references():
    math = [query("visible"), query("inflight"), {"Id": "depth", "Expression": "visible + inflihgt", "ReturnData": True}]
    assert found(alarm(MetricName=None, Namespace=None, Period=None, Statistic=None, Metrics=math)) == [
        ("Metrics[2].Expression", "references only ids of the same request",
         "'visible + inflihgt' references inflihgt, which no query defines")]
    two = [query("visible", True), query("inflight", True)]
    assert found(alarm(MetricName=None, Namespace=None, Period=None, Statistic=None, Metrics=two)) == [
        ("Metrics[].ReturnData", "exactly one ReturnData true", "2 queries return data (visible, inflight)")]


def test_metric_math_functions_and_quoted_labels_are_not_references():
    math = [query("visible"), query("tasks"),
            {"Id": "waiting", "Expression": "IF(FILL(tasks, 0) == 0, visible, 0)", "ReturnData": True},
            {"Id": "all", "Expression": "SEARCH('{AWS/SQS} MetricName=\"x\"', 'Sum', 60)", "ReturnData": False}]
    assert found(alarm(MetricName=None, Namespace=None, Period=None, Statistic=None, Metrics=math)) == []


def test_metric_ids_must_start_with_a_lowercase_letter_and_be_unique():
    math = [query("Visible"), query("x1"), {"Id": "x1", "Expression": "x1 * 2", "ReturnData": True}]
    messages = [m for _, _, m in found(alarm(MetricName=None, Namespace=None, Period=None, Statistic=None,
                                             Metrics=math))]
    assert "id 'Visible' is not allowed" in messages
    assert messages.count("id 'x1' is used 2 times") == 2
    assert "'x1 * 2' references its own id 'x1'" in messages


def test_an_alarm_needs_either_a_metric_or_metric_math():
    assert found(alarm(Metrics=[query("m", True)])) == [
        ("MetricName/Metrics", "exactly one of the two",
         "give either MetricName (one metric) or Metrics (metric math), not both or neither")]


def test_the_metric_period_inside_metric_math_is_checked_too():
    math = [query("visible", True, period=45)]
    assert found(alarm(MetricName=None, Namespace=None, Period=None, Statistic=None, Metrics=math)) == [
        ("Metrics[0].MetricStat.Period", "10, 20, 30 or a multiple of 60 seconds", "a period of 45 s is not allowed")]


def task(cpu: str, memory: str, stop: int | None = None) -> ApiCall:
    container = {"name": "consumer", "image": "x"} | ({"stopTimeout": stop} if stop is not None else {})
    return ApiCall("orders-task", "aws:ecs/taskDefinition:TaskDefinition", "ecs", "RegisterTaskDefinition",
                   {"family": "f", "cpu": cpu, "memory": memory, "requiresCompatibilities": ["FARGATE"],
                    "containerDefinitions": [container]})


def test_fargate_cpu_and_memory_must_be_a_listed_pair():
    assert found(task("256", "4096")) == [
        ("memory", "with cpu 256: 512, 1024, 2048 MiB", "256 CPU / 4096 MiB is not a Fargate combination")]
    assert found(task("2048", "20480")) == [
        ("memory", "with cpu 2048: 4096-16384 MiB", "2048 CPU / 20480 MiB is not a Fargate combination")]
    assert found(task("300", "1024"))[0][2] == "300 CPU units is not a Fargate size"
    assert found(task("1024", "2048")) == []


def test_a_stop_timeout_over_fargates_120_seconds_is_named():
    assert found(task("256", "512", stop=121)) == [("containerDefinitions[0].stopTimeout", "<= 120 s", "121 s")]


def queue(name: str, arn: str, **attributes: str) -> ApiCall:
    return ApiCall(name, "aws:sqs/queue:Queue", "sqs", "CreateQueue", {"QueueName": name, "Attributes": attributes},
                   arn=arn)


def test_sqs_ranges_are_checked():
    assert found(queue("q", "arn:q", VisibilityTimeout="43201", MessageRetentionPeriod="30",
                       ReceiveMessageWaitTimeSeconds="20", MaximumMessageSize="1048577")) == [
        ("Attributes.MessageRetentionPeriod", "60-1209600", "30 is outside 60-1209600"),
        ("Attributes.VisibilityTimeout", "0-43200", "43201 is outside 0-43200"),
        ("Attributes.MaximumMessageSize", "1024-1048576", "1048577 is outside 1024-1048576"),
    ]


def test_a_fifo_queue_needs_a_fifo_dead_letter_queue_that_outlives_it():
    dlq = queue("q-dlq", "arn:q-dlq", MessageRetentionPeriod="345600")
    source = queue("q.fifo", "arn:q", FifoQueue="true", MessageRetentionPeriod="1123200",
                   RedrivePolicy=json.dumps({"deadLetterTargetArn": "arn:q-dlq", "maxReceiveCount": 5}))
    assert found(dlq, source) == [
        ("Attributes.RedrivePolicy.deadLetterTargetArn", "a FIFO queue's DLQ is FIFO, a standard queue's is standard",
         "FIFO queue with standard DLQ q-dlq"),
        ("Attributes.MessageRetentionPeriod", "the DLQ keeps messages longer than its source",
         "DLQ 345600 s <= source 1123200 s: a dead letter keeps its enqueue time"),
    ]


def test_a_fifo_pair_of_equal_retention_is_accepted():
    # SQS resets a FIFO message's enqueue timestamp when it moves to a FIFO DLQ.
    dlq = queue("q-dlq.fifo", "arn:q-dlq", FifoQueue="true", MessageRetentionPeriod="1209600")
    source = queue("q.fifo", "arn:q", FifoQueue="true", MessageRetentionPeriod="1209600",
                   RedrivePolicy=json.dumps({"deadLetterTargetArn": "arn:q-dlq", "maxReceiveCount": 5}))
    assert found(dlq, source) == []


def test_a_fifo_flag_without_the_fifo_suffix_is_named():
    assert found(queue("q", "arn:q", FifoQueue="true")) == [
        ("QueueName", "'.fifo' exactly when FifoQueue is true", "'q' with FifoQueue true")]


def test_log_retention_must_be_one_of_the_allowed_day_counts():
    call = ApiCall("log", "aws:cloudwatch/logGroup:LogGroup", "logs", "PutRetentionPolicy",
                   {"logGroupName": "/qcap/dev/q", "retentionInDays": 31})
    assert found(call)[0][2] == "31 days is not allowed"


def test_a_cache_with_failover_needs_two_nodes_and_an_auth_token_needs_transit_encryption():
    call = ApiCall("cache", "aws:elasticache/replicationGroup:ReplicationGroup", "elasticache", "CreateReplicationGroup",
                   {"ReplicationGroupId": "qcap-dev-c", "ReplicationGroupDescription": "d", "NumCacheClusters": 1,
                    "AutomaticFailoverEnabled": True, "AuthToken": "short", "TransitEncryptionEnabled": False})
    assert [m for _, _, m in found(call)] == ["1 node(s)", "an AUTH token without transit encryption",
                                             "5 is outside 16-128"]


def test_cloudflare_consumer_settings_are_checked_against_the_limits_page():
    consumer = registration("cloudflare:index/queueConsumer:QueueConsumer", "c", {
        "deadLetterQueue": "s-dlq", "settings": {"batchSize": 101.0, "maxWaitTimeMs": 60001.0, "maxConcurrency": 251.0,
                                                 "maxRetries": 101.0, "retryDelay": 43201.0}})
    dlq = registration("cloudflare:index/queue:Queue", "dlq", {"queueName": "s-dlq",
                                                               "settings": {"messageRetentionPeriod": 1209600.0}})
    assert [(f, m) for f, _, m in found(resources=[consumer, dlq])] == [
        ("settings.batchSize", "101 is outside 1-100"),
        ("settings.maxWaitTimeMs", "60001 is outside 0-60000"),
        ("settings.maxConcurrency", "251 is outside 1-250"),
        ("settings.maxRetries", "101 is outside 0-100"),
        ("settings.retryDelay", "43201 is outside 0-43200"),
    ]
