"""A predictive scaling policy's configuration as PutScalingPolicy sends it (PredictiveScalingPolicyConfiguration).

pulumi-aws 7 takes `predictive_scaling_policy_configuration` in snake case; the API wants its
members in Pascal case with the target value as a number, so botocore's model can check the call.
"""

from __future__ import annotations

from typing import Any

from qcap.offline.contract_params import drop_none, metric_stat, plain

SPECIFICATIONS = {
    "customizedLoadMetricSpecification": "CustomizedLoadMetricSpecification",
    "customizedScalingMetricSpecification": "CustomizedScalingMetricSpecification",
    "customizedCapacityMetricSpecification": "CustomizedCapacityMetricSpecification",
}


def _queries(spec: dict[str, Any]) -> dict[str, Any]:
    return {"MetricDataQueries": [drop_none({
        "Id": q.get("id"), "Expression": q.get("expression"), "Label": q.get("label"),
        "ReturnData": q.get("returnData"),
        "MetricStat": metric_stat(q["metricStat"]) if q.get("metricStat") else None,
    }) for q in spec.get("metricDataQueries", [])]}


def _number(value: Any) -> Any:
    """The target value, a string in pulumi-aws's schema, as the number the API takes."""
    try:
        return plain(float(value))
    except (TypeError, ValueError):
        return value


def predictive_params(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """PredictiveScalingPolicyConfiguration of the call, or None when the policy has none."""
    if not config:
        return None
    return drop_none({
        "Mode": config.get("mode"),
        "SchedulingBufferTime": plain(config.get("schedulingBufferTime")),
        "MaxCapacityBreachBehavior": config.get("maxCapacityBreachBehavior"),
        "MaxCapacityBuffer": plain(config.get("maxCapacityBuffer")),
        "MetricSpecifications": [drop_none({
            "TargetValue": _number(m.get("targetValue")),
            **{api: _queries(m[key]) for key, api in SPECIFICATIONS.items() if m.get(key)},
        }) for m in config.get("metricSpecifications", [])] or None,
    })
