"""CloudWatch translation: metric math as metric stats, a log group with retention as two calls."""

from __future__ import annotations

from factories import registration

from qcap.offline.contract_calls import translate


def test_an_alarm_with_metric_math_becomes_put_metric_alarm_with_metric_stats():
    alarm = registration("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {
        "name": "qcap-dev-a", "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3.0,
        "threshold": 1.0, "metricQueries": [
            {"id": "visible", "returnData": False, "metric": {"namespace": "AWS/SQS", "metricName": "V",
                                                               "dimensions": {"QueueName": "q"}, "stat": "Maximum",
                                                               "period": 60.0}},
            {"id": "e", "expression": "visible * 2", "returnData": True}]})
    (call,) = translate(alarm)
    assert call.params["Metrics"] == [
        {"Id": "visible", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/SQS", "MetricName": "V", "Dimensions": [{"Name": "QueueName", "Value": "q"}]},
            "Period": 60, "Stat": "Maximum"}},
        {"Id": "e", "Expression": "visible * 2", "ReturnData": True}]


def test_a_log_group_with_retention_is_two_calls():
    log = registration("aws:cloudwatch/logGroup:LogGroup", "l", {"name": "/qcap/dev/orders", "retentionInDays": 30.0})
    assert [(c.operation, c.params) for c in translate(log)] == [
        ("CreateLogGroup", {"logGroupName": "/qcap/dev/orders"}),
        ("PutRetentionPolicy", {"logGroupName": "/qcap/dev/orders", "retentionInDays": 30})]


def test_a_log_group_that_never_expires_sends_no_retention_call():
    log = registration("aws:cloudwatch/logGroup:LogGroup", "l", {"name": "/qcap/dev/orders", "retentionInDays": 0.0})
    assert [c.operation for c in translate(log)] == ["CreateLogGroup"]
