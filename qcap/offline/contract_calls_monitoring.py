"""CloudWatch alarms, log groups and dashboards as the API calls pulumi-aws makes for them."""

from __future__ import annotations

import json
from typing import Any

from qcap.offline.contract_base import Resource
from qcap.offline.contract_params import dimension_list, drop_none, physical_name, tag_list


def _metric_queries(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for q in queries:
        metric = q.get("metric")
        stat = None
        if metric:
            stat = drop_none({"Metric": drop_none({"Namespace": metric.get("namespace"),
                                                   "MetricName": metric.get("metricName"),
                                                   "Dimensions": dimension_list(metric.get("dimensions"))}),
                              "Period": metric.get("period"), "Stat": metric.get("stat"), "Unit": metric.get("unit")})
        out.append(drop_none({"Id": q.get("id"), "Expression": q.get("expression"), "Label": q.get("label"),
                              "ReturnData": q.get("returnData"), "Period": q.get("period"), "MetricStat": stat,
                              "AccountId": q.get("accountId")}))
    return out


def metric_alarm(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    params = drop_none({
        "AlarmName": name, "AlarmDescription": i.get("alarmDescription"), "ActionsEnabled": i.get("actionsEnabled"),
        "OKActions": i.get("okActions"), "AlarmActions": i.get("alarmActions"),
        "InsufficientDataActions": i.get("insufficientDataActions"), "MetricName": i.get("metricName"),
        "Namespace": i.get("namespace"), "Statistic": i.get("statistic"),
        "ExtendedStatistic": i.get("extendedStatistic"),
        "Dimensions": dimension_list(i.get("dimensions")) if i.get("dimensions") else None,
        "Period": i.get("period"), "Unit": i.get("unit"), "EvaluationPeriods": i.get("evaluationPeriods"),
        "DatapointsToAlarm": i.get("datapointsToAlarm"), "Threshold": i.get("threshold"),
        "ComparisonOperator": i.get("comparisonOperator"), "TreatMissingData": i.get("treatMissingData"),
        "Metrics": _metric_queries(i["metricQueries"]) if i.get("metricQueries") else None,
        "ThresholdMetricId": i.get("thresholdMetricId"), "Tags": tag_list(i.get("tags")),
    })
    return [("cloudwatch", "PutMetricAlarm", params, ("AlarmName",) if auto else ())]


def log_group(r: Resource) -> list:
    name, auto = physical_name(r)
    calls = [("logs", "CreateLogGroup", drop_none({"logGroupName": name, "kmsKeyId": r.inputs.get("kmsKeyId"),
                                                   "tags": r.inputs.get("tags")}),
              ("logGroupName",) if auto else ())]
    # 0 means never expire: the provider reads it as unset and sends no PutRetentionPolicy.
    if r.inputs.get("retentionInDays"):
        calls.append(("logs", "PutRetentionPolicy", {"logGroupName": name,
                                                     "retentionInDays": r.inputs["retentionInDays"]}, ()))
    return calls


def dashboard(r: Resource) -> list:
    body = r.inputs.get("dashboardBody")
    return [("cloudwatch", "PutDashboard", {"DashboardName": r.inputs.get("dashboardName"),
                                            "DashboardBody": body if isinstance(body, str) else json.dumps(body)}, ())]
