"""What runs and scales the consumers, as the API calls pulumi-aws makes for it.

ECS clusters, task definitions and services; Application Auto Scaling targets, policies and
scheduled actions; EventBridge Scheduler schedules (the scheduled consumers' trigger).
"""

from __future__ import annotations

import json

from qcap.offline.contract_base import Resource
from qcap.offline.contract_calls_predictive import predictive_params
from qcap.offline.contract_params import dimension_list, drop_none, metric_stat, physical_name, plain, tag_list


def ecs_cluster(r: Resource) -> list:
    name, auto = physical_name(r)
    settings = [{"name": s["name"], "value": s["value"]} for s in r.inputs.get("settings", [])]
    return [("ecs", "CreateCluster", drop_none({"clusterName": name, "settings": settings or None,
                                                "tags": tag_list(r.inputs.get("tags"), "key", "value")}),
             ("clusterName",) if auto else ())]


def task_definition(r: Resource) -> list:
    i = r.inputs
    platform = i.get("runtimePlatform") or {}
    params = drop_none({
        "family": i.get("family"), "taskRoleArn": i.get("taskRoleArn"), "executionRoleArn": i.get("executionRoleArn"),
        "networkMode": i.get("networkMode"), "containerDefinitions": json.loads(i.get("containerDefinitions", "[]")),
        "requiresCompatibilities": i.get("requiresCompatibilities"), "cpu": i.get("cpu"), "memory": i.get("memory"),
        "runtimePlatform": drop_none({"cpuArchitecture": platform.get("cpuArchitecture"),
                                      "operatingSystemFamily": platform.get("operatingSystemFamily")}) or None,
        "tags": tag_list(i.get("tags"), "key", "value"),
    })
    return [("ecs", "RegisterTaskDefinition", params, ())]


def ecs_service(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    network = i.get("networkConfiguration")
    breaker = i.get("deploymentCircuitBreaker")
    params = drop_none({
        "serviceName": name, "cluster": i.get("cluster"), "taskDefinition": i.get("taskDefinition"),
        "desiredCount": i.get("desiredCount"), "launchType": i.get("launchType"),
        "networkConfiguration": {"awsvpcConfiguration": drop_none({
            "subnets": network.get("subnets"), "securityGroups": network.get("securityGroups"),
            "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"})} if network else None,
        "deploymentConfiguration": {"deploymentCircuitBreaker": breaker} if breaker else None,
        "enableECSManagedTags": i.get("enableEcsManagedTags"), "propagateTags": i.get("propagateTags"),
        "tags": tag_list(i.get("tags"), "key", "value"),
    })
    return [("ecs", "CreateService", params, ("serviceName",) if auto else ())]


def scalable_target(r: Resource) -> list:
    i = r.inputs
    return [("application-autoscaling", "RegisterScalableTarget", drop_none({
        "ServiceNamespace": i.get("serviceNamespace"), "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"), "MinCapacity": i.get("minCapacity"),
        "MaxCapacity": i.get("maxCapacity"), "Tags": i.get("tags")}), ())]


def scaling_policy(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    tracking = i.get("targetTrackingScalingPolicyConfiguration")
    step = i.get("stepScalingPolicyConfiguration")
    tracking_params = None
    if tracking:
        custom = tracking.get("customizedMetricSpecification")
        tracking_params = drop_none({
            "TargetValue": tracking.get("targetValue"), "ScaleOutCooldown": tracking.get("scaleOutCooldown"),
            "ScaleInCooldown": tracking.get("scaleInCooldown"), "DisableScaleIn": tracking.get("disableScaleIn"),
            "CustomizedMetricSpecification": drop_none({
                "Metrics": [drop_none({"Id": m.get("id"), "Expression": m.get("expression"), "Label": m.get("label"),
                                       "ReturnData": m.get("returnData"),
                                       "MetricStat": metric_stat(m["metricStat"]) if m.get("metricStat") else None})
                            for m in custom.get("metrics", [])] or None,
                "MetricName": custom.get("metricName"), "Namespace": custom.get("namespace"),
                "Statistic": custom.get("statistic"),
                "Dimensions": dimension_list(custom.get("dimensions")) if custom.get("dimensions") else None,
            }) if custom else None,
        })
    step_params = None
    if step:
        step_params = drop_none({
            "AdjustmentType": step.get("adjustmentType"), "Cooldown": step.get("cooldown"),
            "MetricAggregationType": step.get("metricAggregationType"),
            "MinAdjustmentMagnitude": step.get("minAdjustmentMagnitude"),
            "StepAdjustments": [drop_none({
                "MetricIntervalLowerBound": None if a.get("metricIntervalLowerBound") in (None, "")
                else plain(float(a["metricIntervalLowerBound"])),
                "MetricIntervalUpperBound": None if a.get("metricIntervalUpperBound") in (None, "")
                else plain(float(a["metricIntervalUpperBound"])),
                "ScalingAdjustment": a.get("scalingAdjustment")}) for a in step.get("stepAdjustments", [])] or None,
        })
    return [("application-autoscaling", "PutScalingPolicy", drop_none({
        "PolicyName": name, "ServiceNamespace": i.get("serviceNamespace"), "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"), "PolicyType": i.get("policyType"),
        "TargetTrackingScalingPolicyConfiguration": tracking_params,
        "StepScalingPolicyConfiguration": step_params,
        "PredictiveScalingPolicyConfiguration": predictive_params(i.get("predictiveScalingPolicyConfiguration")),
    }), ("PolicyName",) if auto else ())]


def scheduled_action(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    action = i.get("scalableTargetAction") or {}
    return [("application-autoscaling", "PutScheduledAction", drop_none({
        "ServiceNamespace": i.get("serviceNamespace"), "Schedule": i.get("schedule"),
        "Timezone": i.get("timezone"), "ScheduledActionName": name, "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"),
        "ScalableTargetAction": drop_none({"MinCapacity": plain(int(action["minCapacity"])) if action.get("minCapacity")
                                           not in (None, "") else None,
                                           "MaxCapacity": plain(int(action["maxCapacity"])) if action.get("maxCapacity")
                                           not in (None, "") else None}) or None}),
             ("ScheduledActionName",) if auto else ())]


def schedule(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    target = i.get("target") or {}
    ecs = target.get("ecsParameters")
    ecs_params = None
    if ecs:
        network = ecs.get("networkConfiguration")
        ecs_params = drop_none({
            "TaskDefinitionArn": ecs.get("taskDefinitionArn"), "TaskCount": ecs.get("taskCount"),
            "LaunchType": ecs.get("launchType"),
            "NetworkConfiguration": {"awsvpcConfiguration": drop_none({
                "Subnets": network.get("subnets"), "SecurityGroups": network.get("securityGroups"),
                "AssignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"})} if network else None})
    retry = target.get("retryPolicy")
    window = i.get("flexibleTimeWindow") or {}
    return [("scheduler", "CreateSchedule", drop_none({
        "Name": name, "GroupName": i.get("groupName"), "ScheduleExpression": i.get("scheduleExpression"),
        "Description": i.get("description"), "State": i.get("state"),
        "FlexibleTimeWindow": drop_none({"Mode": window.get("mode"),
                                         "MaximumWindowInMinutes": window.get("maximumWindowInMinutes")}),
        "Target": drop_none({"Arn": target.get("arn"), "RoleArn": target.get("roleArn"), "EcsParameters": ecs_params,
                             "RetryPolicy": drop_none({
                                 "MaximumEventAgeInSeconds": retry.get("maximumEventAgeInSeconds"),
                                 "MaximumRetryAttempts": retry.get("maximumRetryAttempts")}) if retry else None})}),
        ("Name",) if auto else ())]
