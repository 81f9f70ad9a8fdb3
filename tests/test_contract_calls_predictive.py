"""A predictive scaling policy as PutScalingPolicy sends it, checked against the AWS API model."""

from __future__ import annotations

from factories import registration

from qcap.offline.contract import check_contract
from qcap.offline.contract_calls import translate


def predictive_policy(**config):
    queries = [{"id": "load", "returnData": True, "metricStat": {"stat": "Sum", "metric": {
        "namespace": "AWS/SQS", "metricName": "NumberOfMessagesSent",
        "dimensions": [{"name": "QueueName", "value": "qcap-shop-orders"}]}}}]
    settings = {"mode": "ForecastAndScale", "schedulingBufferTime": 300.0,
                "metricSpecifications": [{"targetValue": "26.73",
                                          "customizedLoadMetricSpecification": {"metricDataQueries": queries},
                                          "customizedCapacityMetricSpecification": {"metricDataQueries": queries}}]}
    settings.update(config)
    return registration("aws:appautoscaling/policy:Policy", "p", {
        "name": "qcap-shop-orders-predictive", "policyType": "PredictiveScaling", "serviceNamespace": "ecs",
        "resourceId": "service/qcap-shop/orders", "scalableDimension": "ecs:service:DesiredCount",
        "predictiveScalingPolicyConfiguration": settings})


def test_the_predictive_configuration_goes_into_the_call_in_the_apis_names_and_types():
    (call,) = translate(predictive_policy())
    config = call.params["PredictiveScalingPolicyConfiguration"]
    assert (config["Mode"], config["SchedulingBufferTime"]) == ("ForecastAndScale", 300)
    (spec,) = config["MetricSpecifications"]
    assert spec["TargetValue"] == 26.73
    (query,) = spec["CustomizedLoadMetricSpecification"]["MetricDataQueries"]
    assert query["MetricStat"]["Metric"]["MetricName"] == "NumberOfMessagesSent" and query["ReturnData"] is True


def test_a_well_formed_predictive_policy_passes_the_contract():
    assert [str(v) for v in check_contract([predictive_policy()]).violations] == []


def test_a_buffer_over_an_hour_or_an_unknown_mode_is_a_violation_of_the_api_model():
    report = check_contract([predictive_policy(schedulingBufferTime=4000.0, mode="ForecastSometimes")])
    found = " ".join(str(v) for v in report.violations)
    assert "SchedulingBufferTime" in found and "ForecastSometimes" in found
