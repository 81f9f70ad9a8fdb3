"""AWS API translation for the contract: each registered resource as the API calls its provider would make.

pulumi-aws (through the Terraform AWS provider) turns one resource into one or more AWS API
calls; this module does the same from the recorded inputs (camelCase wire names, numbers as
floats) and the mock outputs (ids, ARNs, autonames), so the calls can be validated against
botocore's service models (contract_botocore) and the documented rules (contract_rules),
and replayed against moto. Integral floats become ints; a resource with no explicit name
gets Pulumi's autoname (`<logical name>-` + 7 hex), as recorded by the mock engine.
Here: the call, and which translator each resource type takes; the translators are in
contract_calls_<family> per AWS service family, the parameter shaping they share in contract_params.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from qcap.offline import (
    contract_calls_access as access,
)
from qcap.offline import (
    contract_calls_cache as cache,
)
from qcap.offline import (
    contract_calls_consumers as consumers,
)
from qcap.offline import (
    contract_calls_monitoring as monitoring,
)
from qcap.offline import (
    contract_calls_queues as queues,
)
from qcap.offline.contract_base import Resource
from qcap.offline.contract_params import plain


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


TRANSLATORS: dict[str, Callable[[Resource], list]] = {
    "aws:sqs/queue:Queue": queues.sqs_queue,
    "aws:sqs/queuePolicy:QueuePolicy": queues.queue_attribute("Policy", "policy"),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": queues.queue_attribute("RedriveAllowPolicy", "redriveAllowPolicy"),
    "aws:sqs/redrivePolicy:RedrivePolicy": queues.queue_attribute("RedrivePolicy", "redrivePolicy"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": monitoring.metric_alarm,
    "aws:cloudwatch/logGroup:LogGroup": monitoring.log_group,
    "aws:cloudwatch/dashboard:Dashboard": monitoring.dashboard,
    "aws:ecs/cluster:Cluster": consumers.ecs_cluster,
    "aws:ecs/taskDefinition:TaskDefinition": consumers.task_definition,
    "aws:ecs/service:Service": consumers.ecs_service,
    "aws:iam/role:Role": access.iam_role,
    "aws:iam/rolePolicy:RolePolicy": access.role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": access.role_policy_attachment,
    "aws:appautoscaling/target:Target": consumers.scalable_target,
    "aws:appautoscaling/policy:Policy": consumers.scaling_policy,
    "aws:appautoscaling/scheduledAction:ScheduledAction": consumers.scheduled_action,
    "aws:elasticache/replicationGroup:ReplicationGroup": cache.replication_group,
    "aws:elasticache/parameterGroup:ParameterGroup": cache.parameter_group,
    "aws:elasticache/subnetGroup:SubnetGroup": cache.subnet_group,
    "aws:ec2/securityGroup:SecurityGroup": access.security_group,
    "aws:secretsmanager/secret:Secret": access.secret,
    "aws:secretsmanager/secretVersion:SecretVersion": access.secret_version,
    "aws:ssm/parameter:Parameter": access.ssm_parameter,
    "aws:scheduler/schedule:Schedule": consumers.schedule,
    "aws:sns/topic:Topic": queues.topic,
    "aws:sns/topicSubscription:TopicSubscription": queues.subscription,
    "aws:sns/topicPolicy:TopicPolicy": queues.topic_policy,
    "aws:kms/key:Key": access.kms_key,
    "aws:kms/alias:Alias": access.kms_alias,
}


def translate(resource: Resource) -> list[ApiCall] | None:
    """The API calls for one AWS resource, or None when its type has no translation (said in the report)."""
    translator = TRANSLATORS.get(resource.type)
    if translator is None:
        return None
    arn = str(resource.outputs.get("arn", ""))
    return [ApiCall(resource.name, resource.type, service, operation, plain(params), auto, arn)
            for service, operation, params, auto in translator(resource)]
