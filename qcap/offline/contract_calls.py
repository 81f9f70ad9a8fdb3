"""AWS API translation for the contract: each registered resource as the API calls its provider would make.

pulumi-aws (through the Terraform AWS provider) turns one resource into one or more AWS API
calls; this module does the same from the recorded inputs (camelCase wire names, numbers as
floats) and the mock outputs (ids, ARNs, autonames), so the calls can be validated against
botocore's service models (contract_botocore) and the documented rules (contract_rules),
and replayed against moto. Integral floats become ints; a resource with no explicit name
gets Pulumi's autoname (`<logical name>-` + 7 hex), as recorded by the mock engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from qcap.offline.contract_base import Resource


@dataclass(frozen=True)
class ApiCall:
    """One AWS API call: botocore service name, operation, parameters, and the resource it comes from."""

    resource: str
    type: str
    service: str
    operation: str
    params: dict[str, Any]
    autonamed: tuple[str, ...] = field(default=())
    """Parameters whose value is Pulumi's autoname rather than a name the program chose."""
    arn: str = ""
    """The resource's ARN as the mock engine gave it (how other resources refer to it)."""

    @property
    def source(self) -> tuple[str, str]:
        return self.resource, self.type


def plain(value: Any) -> Any:
    """Integral floats as ints, recursively (the mock engine sends every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def attribute_text(value: Any) -> str:
    """A value as SQS / SNS attributes carry it: "true", "60", or the text itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(plain(value))


def _drop_none(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != {}}


def tag_list(tags: dict[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]] | None:
    return [{key: k, value: v} for k, v in sorted(tags.items())] if tags else None


def _name(r: Resource, key: str = "name") -> tuple[str, bool]:
    """The physical name and whether Pulumi chose it (autoname)."""
    if r.inputs.get(key):
        return str(r.inputs[key]), False
    return str(r.outputs.get(key) or r.outputs.get("id") or r.name), True


def _dimensions(dims: Any) -> list[dict[str, str]]:
    if isinstance(dims, dict):
        return [{"Name": k, "Value": v} for k, v in dims.items()]
    return [{"Name": d["name"], "Value": d["value"]} for d in dims or []]


def _metric_stat(stat: dict[str, Any]) -> dict[str, Any]:
    metric = stat.get("metric", {})
    return _drop_none({
        "Metric": _drop_none({"Namespace": metric.get("namespace"), "MetricName": metric.get("metricName"),
                              "Dimensions": _dimensions(metric.get("dimensions"))}),
        "Stat": stat.get("stat"), "Unit": stat.get("unit"),
    })


# --- per resource type -----------------------------------------------------------------

SQS_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds", "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod", "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout", "redrivePolicy": "RedrivePolicy", "policy": "Policy",
    "redriveAllowPolicy": "RedriveAllowPolicy", "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication", "deduplicationScope": "DeduplicationScope",
    "fifoThroughputLimit": "FifoThroughputLimit", "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId", "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
}


def _sqs_queue(r: Resource) -> list[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    name, auto = _name(r)
    attributes = {SQS_ATTRIBUTES[k]: attribute_text(v) for k, v in r.inputs.items() if k in SQS_ATTRIBUTES}
    params = _drop_none({"QueueName": name, "Attributes": attributes, "tags": r.inputs.get("tags")})
    return [("sqs", "CreateQueue", params, ("QueueName",) if auto else ())]


def _sqs_queue_attribute(attribute: str, key: str) -> Callable[[Resource], list]:
    def translate(r: Resource) -> list:
        return [("sqs", "SetQueueAttributes", {"QueueUrl": r.inputs.get("queueUrl"),
                                               "Attributes": {attribute: r.inputs.get(key)}}, ())]
    return translate


def _metric_queries(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for q in queries:
        metric = q.get("metric")
        stat = None
        if metric:
            stat = _drop_none({"Metric": _drop_none({"Namespace": metric.get("namespace"),
                                                     "MetricName": metric.get("metricName"),
                                                     "Dimensions": _dimensions(metric.get("dimensions"))}),
                               "Period": metric.get("period"), "Stat": metric.get("stat"), "Unit": metric.get("unit")})
        out.append(_drop_none({"Id": q.get("id"), "Expression": q.get("expression"), "Label": q.get("label"),
                               "ReturnData": q.get("returnData"), "Period": q.get("period"), "MetricStat": stat,
                               "AccountId": q.get("accountId")}))
    return out


def _metric_alarm(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    params = _drop_none({
        "AlarmName": name, "AlarmDescription": i.get("alarmDescription"), "ActionsEnabled": i.get("actionsEnabled"),
        "OKActions": i.get("okActions"), "AlarmActions": i.get("alarmActions"),
        "InsufficientDataActions": i.get("insufficientDataActions"), "MetricName": i.get("metricName"),
        "Namespace": i.get("namespace"), "Statistic": i.get("statistic"),
        "ExtendedStatistic": i.get("extendedStatistic"),
        "Dimensions": _dimensions(i.get("dimensions")) if i.get("dimensions") else None,
        "Period": i.get("period"), "Unit": i.get("unit"), "EvaluationPeriods": i.get("evaluationPeriods"),
        "DatapointsToAlarm": i.get("datapointsToAlarm"), "Threshold": i.get("threshold"),
        "ComparisonOperator": i.get("comparisonOperator"), "TreatMissingData": i.get("treatMissingData"),
        "Metrics": _metric_queries(i["metricQueries"]) if i.get("metricQueries") else None,
        "ThresholdMetricId": i.get("thresholdMetricId"), "Tags": tag_list(i.get("tags")),
    })
    return [("cloudwatch", "PutMetricAlarm", params, ("AlarmName",) if auto else ())]


def _log_group(r: Resource) -> list:
    name, auto = _name(r)
    calls = [("logs", "CreateLogGroup", _drop_none({"logGroupName": name, "kmsKeyId": r.inputs.get("kmsKeyId"),
                                                    "tags": r.inputs.get("tags")}),
              ("logGroupName",) if auto else ())]
    if r.inputs.get("retentionInDays") is not None:
        calls.append(("logs", "PutRetentionPolicy", {"logGroupName": name,
                                                     "retentionInDays": r.inputs["retentionInDays"]}, ()))
    return calls


def _dashboard(r: Resource) -> list:
    body = r.inputs.get("dashboardBody")
    return [("cloudwatch", "PutDashboard", {"DashboardName": r.inputs.get("dashboardName"),
                                            "DashboardBody": body if isinstance(body, str) else json.dumps(body)}, ())]


def _ecs_cluster(r: Resource) -> list:
    name, auto = _name(r)
    settings = [{"name": s["name"], "value": s["value"]} for s in r.inputs.get("settings", [])]
    return [("ecs", "CreateCluster", _drop_none({"clusterName": name, "settings": settings or None,
                                                 "tags": tag_list(r.inputs.get("tags"), "key", "value")}),
             ("clusterName",) if auto else ())]


def _task_definition(r: Resource) -> list:
    i = r.inputs
    platform = i.get("runtimePlatform") or {}
    params = _drop_none({
        "family": i.get("family"), "taskRoleArn": i.get("taskRoleArn"), "executionRoleArn": i.get("executionRoleArn"),
        "networkMode": i.get("networkMode"), "containerDefinitions": json.loads(i.get("containerDefinitions", "[]")),
        "requiresCompatibilities": i.get("requiresCompatibilities"), "cpu": i.get("cpu"), "memory": i.get("memory"),
        "runtimePlatform": _drop_none({"cpuArchitecture": platform.get("cpuArchitecture"),
                                       "operatingSystemFamily": platform.get("operatingSystemFamily")}) or None,
        "tags": tag_list(i.get("tags"), "key", "value"),
    })
    return [("ecs", "RegisterTaskDefinition", params, ())]


def _ecs_service(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    network = i.get("networkConfiguration")
    breaker = i.get("deploymentCircuitBreaker")
    params = _drop_none({
        "serviceName": name, "cluster": i.get("cluster"), "taskDefinition": i.get("taskDefinition"),
        "desiredCount": i.get("desiredCount"), "launchType": i.get("launchType"),
        "networkConfiguration": {"awsvpcConfiguration": _drop_none({
            "subnets": network.get("subnets"), "securityGroups": network.get("securityGroups"),
            "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"})} if network else None,
        "deploymentConfiguration": {"deploymentCircuitBreaker": breaker} if breaker else None,
        "enableECSManagedTags": i.get("enableEcsManagedTags"), "propagateTags": i.get("propagateTags"),
        "tags": tag_list(i.get("tags"), "key", "value"),
    })
    return [("ecs", "CreateService", params, ("serviceName",) if auto else ())]


def _iam_role(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    params = _drop_none({"RoleName": name, "AssumeRolePolicyDocument": i.get("assumeRolePolicy"),
                         "Description": i.get("description"), "Path": i.get("path"),
                         "MaxSessionDuration": i.get("maxSessionDuration"), "Tags": tag_list(i.get("tags"))})
    return [("iam", "CreateRole", params, ("RoleName",) if auto else ())]


def _role_policy(r: Resource) -> list:
    name, auto = _name(r)
    return [("iam", "PutRolePolicy", {"RoleName": r.inputs.get("role"), "PolicyName": name,
                                      "PolicyDocument": r.inputs.get("policy")}, ("PolicyName",) if auto else ())]


def _role_policy_attachment(r: Resource) -> list:
    return [("iam", "AttachRolePolicy", {"RoleName": r.inputs.get("role"), "PolicyArn": r.inputs.get("policyArn")}, ())]


def _scalable_target(r: Resource) -> list:
    i = r.inputs
    return [("application-autoscaling", "RegisterScalableTarget", _drop_none({
        "ServiceNamespace": i.get("serviceNamespace"), "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"), "MinCapacity": i.get("minCapacity"),
        "MaxCapacity": i.get("maxCapacity"), "Tags": i.get("tags")}), ())]


def _scaling_policy(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    tracking = i.get("targetTrackingScalingPolicyConfiguration")
    step = i.get("stepScalingPolicyConfiguration")
    tracking_params = None
    if tracking:
        custom = tracking.get("customizedMetricSpecification")
        tracking_params = _drop_none({
            "TargetValue": tracking.get("targetValue"), "ScaleOutCooldown": tracking.get("scaleOutCooldown"),
            "ScaleInCooldown": tracking.get("scaleInCooldown"), "DisableScaleIn": tracking.get("disableScaleIn"),
            "CustomizedMetricSpecification": _drop_none({
                "Metrics": [_drop_none({"Id": m.get("id"), "Expression": m.get("expression"), "Label": m.get("label"),
                                        "ReturnData": m.get("returnData"),
                                        "MetricStat": _metric_stat(m["metricStat"]) if m.get("metricStat") else None})
                            for m in custom.get("metrics", [])] or None,
                "MetricName": custom.get("metricName"), "Namespace": custom.get("namespace"),
                "Statistic": custom.get("statistic"),
                "Dimensions": _dimensions(custom.get("dimensions")) if custom.get("dimensions") else None,
            }) if custom else None,
        })
    step_params = None
    if step:
        step_params = _drop_none({
            "AdjustmentType": step.get("adjustmentType"), "Cooldown": step.get("cooldown"),
            "MetricAggregationType": step.get("metricAggregationType"),
            "MinAdjustmentMagnitude": step.get("minAdjustmentMagnitude"),
            "StepAdjustments": [_drop_none({
                "MetricIntervalLowerBound": None if a.get("metricIntervalLowerBound") in (None, "")
                else plain(float(a["metricIntervalLowerBound"])),
                "MetricIntervalUpperBound": None if a.get("metricIntervalUpperBound") in (None, "")
                else plain(float(a["metricIntervalUpperBound"])),
                "ScalingAdjustment": a.get("scalingAdjustment")}) for a in step.get("stepAdjustments", [])] or None,
        })
    return [("application-autoscaling", "PutScalingPolicy", _drop_none({
        "PolicyName": name, "ServiceNamespace": i.get("serviceNamespace"), "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"), "PolicyType": i.get("policyType"),
        "TargetTrackingScalingPolicyConfiguration": tracking_params,
        "StepScalingPolicyConfiguration": step_params}), ("PolicyName",) if auto else ())]


def _scheduled_action(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    action = i.get("scalableTargetAction") or {}
    return [("application-autoscaling", "PutScheduledAction", _drop_none({
        "ServiceNamespace": i.get("serviceNamespace"), "Schedule": i.get("schedule"),
        "Timezone": i.get("timezone"), "ScheduledActionName": name, "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"),
        "ScalableTargetAction": _drop_none({"MinCapacity": plain(int(action["minCapacity"])) if action.get("minCapacity")
                                            not in (None, "") else None,
                                            "MaxCapacity": plain(int(action["maxCapacity"])) if action.get("maxCapacity")
                                            not in (None, "") else None}) or None}),
             ("ScheduledActionName",) if auto else ())]


def _replication_group(r: Resource) -> list:
    i = r.inputs
    return [("elasticache", "CreateReplicationGroup", _drop_none({
        "ReplicationGroupId": i.get("replicationGroupId"), "ReplicationGroupDescription": i.get("description"),
        "AutomaticFailoverEnabled": i.get("automaticFailoverEnabled"), "MultiAZEnabled": i.get("multiAzEnabled"),
        "NumCacheClusters": i.get("numCacheClusters"), "CacheNodeType": i.get("nodeType"), "Engine": i.get("engine"),
        "EngineVersion": i.get("engineVersion"), "CacheParameterGroupName": i.get("parameterGroupName"),
        "CacheSubnetGroupName": i.get("subnetGroupName"), "SecurityGroupIds": i.get("securityGroupIds"),
        "Tags": tag_list(i.get("tags")), "PreferredMaintenanceWindow": i.get("maintenanceWindow"), "Port": i.get("port"),
        "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
        "SnapshotRetentionLimit": i.get("snapshotRetentionLimit"), "SnapshotWindow": i.get("snapshotWindow"),
        "AuthToken": i.get("authToken"), "TransitEncryptionEnabled": i.get("transitEncryptionEnabled"),
        "AtRestEncryptionEnabled": i.get("atRestEncryptionEnabled"), "KmsKeyId": i.get("kmsKeyId")}), ())]


def _parameter_group(r: Resource) -> list:
    name, auto = _name(r)
    calls = [("elasticache", "CreateCacheParameterGroup", _drop_none({
        "CacheParameterGroupName": name, "CacheParameterGroupFamily": r.inputs.get("family"),
        "Description": r.inputs.get("description"), "Tags": tag_list(r.inputs.get("tags"))}),
        ("CacheParameterGroupName",) if auto else ())]
    if r.inputs.get("parameters"):
        calls.append(("elasticache", "ModifyCacheParameterGroup", {
            "CacheParameterGroupName": name,
            "ParameterNameValues": [{"ParameterName": p["name"], "ParameterValue": p["value"]}
                                    for p in r.inputs["parameters"]]}, ()))
    return calls


def _subnet_group(r: Resource) -> list:
    name, auto = _name(r)
    return [("elasticache", "CreateCacheSubnetGroup", _drop_none({
        "CacheSubnetGroupName": name.lower(), "CacheSubnetGroupDescription": r.inputs.get("description"),
        "SubnetIds": r.inputs.get("subnetIds"), "Tags": tag_list(r.inputs.get("tags"))}),
        ("CacheSubnetGroupName",) if auto else ())]


def _security_group(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    calls = [("ec2", "CreateSecurityGroup", _drop_none({"GroupName": name, "Description": i.get("description"),
                                                        "VpcId": i.get("vpcId")}), ("GroupName",) if auto else ())]
    rules = [_drop_none({"IpProtocol": rule.get("protocol"), "FromPort": rule.get("fromPort"),
                         "ToPort": rule.get("toPort"),
                         "UserIdGroupPairs": [{"GroupId": g, "Description": rule.get("description")}
                                              for g in rule.get("securityGroups", [])] or None,
                         "IpRanges": [{"CidrIp": c} for c in rule.get("cidrBlocks", [])] or None})
             for rule in i.get("ingress", [])]
    if rules:
        calls.append(("ec2", "AuthorizeSecurityGroupIngress", {"GroupId": r.outputs.get("id"), "IpPermissions": rules}, ()))
    return calls


def _secret(r: Resource) -> list:
    name, auto = _name(r)
    return [("secretsmanager", "CreateSecret", _drop_none({"Name": name, "Description": r.inputs.get("description"),
                                                           "KmsKeyId": r.inputs.get("kmsKeyId"),
                                                           "Tags": tag_list(r.inputs.get("tags"))}),
             ("Name",) if auto else ())]


def _secret_version(r: Resource) -> list:
    return [("secretsmanager", "PutSecretValue", {"SecretId": r.inputs.get("secretId"),
                                                  "SecretString": r.inputs.get("secretString")}, ())]


def _ssm_parameter(r: Resource) -> list:
    name, auto = _name(r)
    return [("ssm", "PutParameter", _drop_none({"Name": name, "Type": r.inputs.get("type"),
                                                "Value": r.inputs.get("value"), "KeyId": r.inputs.get("keyId"),
                                                "Description": r.inputs.get("description"),
                                                "Tags": tag_list(r.inputs.get("tags"))}),
             ("Name",) if auto else ())]


def _schedule(r: Resource) -> list:
    i = r.inputs
    name, auto = _name(r)
    target = i.get("target") or {}
    ecs = target.get("ecsParameters")
    ecs_params = None
    if ecs:
        network = ecs.get("networkConfiguration")
        ecs_params = _drop_none({
            "TaskDefinitionArn": ecs.get("taskDefinitionArn"), "TaskCount": ecs.get("taskCount"),
            "LaunchType": ecs.get("launchType"),
            "NetworkConfiguration": {"awsvpcConfiguration": _drop_none({
                "Subnets": network.get("subnets"), "SecurityGroups": network.get("securityGroups"),
                "AssignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"})} if network else None})
    retry = target.get("retryPolicy")
    window = i.get("flexibleTimeWindow") or {}
    return [("scheduler", "CreateSchedule", _drop_none({
        "Name": name, "GroupName": i.get("groupName"), "ScheduleExpression": i.get("scheduleExpression"),
        "Description": i.get("description"), "State": i.get("state"),
        "FlexibleTimeWindow": _drop_none({"Mode": window.get("mode"),
                                          "MaximumWindowInMinutes": window.get("maximumWindowInMinutes")}),
        "Target": _drop_none({"Arn": target.get("arn"), "RoleArn": target.get("roleArn"), "EcsParameters": ecs_params,
                              "RetryPolicy": _drop_none({
                                  "MaximumEventAgeInSeconds": retry.get("maximumEventAgeInSeconds"),
                                  "MaximumRetryAttempts": retry.get("maximumRetryAttempts")}) if retry else None})}),
        ("Name",) if auto else ())]


def _topic(r: Resource) -> list:
    name, auto = _name(r)
    attributes = {"KmsMasterKeyId": r.inputs.get("kmsMasterKeyId"), "Policy": r.inputs.get("policy")}
    return [("sns", "CreateTopic", _drop_none({"Name": name, "Attributes": _drop_none(attributes) or None,
                                               "Tags": tag_list(r.inputs.get("tags"))}), ("Name",) if auto else ())]


def _subscription(r: Resource) -> list:
    return [("sns", "Subscribe", {"TopicArn": r.inputs.get("topic"), "Protocol": r.inputs.get("protocol"),
                                  "Endpoint": r.inputs.get("endpoint")}, ())]


def _topic_policy(r: Resource) -> list:
    return [("sns", "SetTopicAttributes", {"TopicArn": r.inputs.get("arn"), "AttributeName": "Policy",
                                           "AttributeValue": r.inputs.get("policy")}, ())]


def _kms_key(r: Resource) -> list:
    i = r.inputs
    calls = [("kms", "CreateKey", _drop_none({
        "Description": i.get("description"), "KeyUsage": i.get("keyUsage"), "KeySpec": i.get("customerMasterKeySpec"),
        "Policy": i.get("policy"), "BypassPolicyLockoutSafetyCheck": i.get("bypassPolicyLockoutSafetyCheck"),
        "MultiRegion": i.get("multiRegion"), "CustomKeyStoreId": i.get("customKeyStoreId"),
        "XksKeyId": i.get("xksKeyId"), "Tags": tag_list(i.get("tags"), "TagKey", "TagValue")}), ())]
    if i.get("enableKeyRotation"):
        calls.append(("kms", "EnableKeyRotation", _drop_none({
            "KeyId": r.outputs.get("keyId") or r.outputs.get("id"),
            "RotationPeriodInDays": i.get("rotationPeriodInDays")}), ()))
    return calls


def _kms_alias(r: Resource) -> list:
    name, auto = _name(r)
    return [("kms", "CreateAlias", {"AliasName": name, "TargetKeyId": r.inputs.get("targetKeyId")},
             ("AliasName",) if auto else ())]


TRANSLATORS: dict[str, Callable[[Resource], list]] = {
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:sqs/queuePolicy:QueuePolicy": _sqs_queue_attribute("Policy", "policy"),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _sqs_queue_attribute("RedriveAllowPolicy", "redriveAllowPolicy"),
    "aws:sqs/redrivePolicy:RedrivePolicy": _sqs_queue_attribute("RedrivePolicy", "redrivePolicy"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _ecs_service,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_policy_attachment,
    "aws:appautoscaling/target:Target": _scalable_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:appautoscaling/scheduledAction:ScheduledAction": _scheduled_action,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/parameterGroup:ParameterGroup": _parameter_group,
    "aws:elasticache/subnetGroup:SubnetGroup": _subnet_group,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:sns/topicPolicy:TopicPolicy": _topic_policy,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
}


def translate(resource: Resource) -> list[ApiCall] | None:
    """The API calls for one AWS resource, or None when its type has no translation (said in the report)."""
    translator = TRANSLATORS.get(resource.type)
    if translator is None:
        return None
    arn = str(resource.outputs.get("arn", ""))
    return [ApiCall(resource.name, resource.type, service, operation, plain(params), auto, arn)
            for service, operation, params, auto in translator(resource)]
