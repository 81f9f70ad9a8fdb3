"""The mock provider: the outputs AWS and Cloudflare would give each resource qcap creates, offline.

ARNs carry the region and the account 123456789012, SQS queues get their URL, caches their
endpoints, and an auto-named resource a stable name from its logical name, so runs repeat.
Any other AWS type gets the id, ARN, name and other outputs its SDK declares
(qcap.offline.mock_resource_outputs); data sources are answered by qcap.offline.mock_invokes.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from qcap.offline.mock_invokes import InvokeAnswers
from qcap.offline.mock_resource_outputs import computed, physical_name, short_hash

MOCK_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def default_key_policy(account_id: str) -> str:
    """KMS's default key policy: the account's IAM policies decide who may use the key."""
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"}]})


def _key_id(seed: str) -> str:
    """A KMS key id (a UUID) stable for its seed."""
    return f"{short_hash(seed, 8)}-0000-4000-8000-{short_hash(seed + 'key', 12)}"


class QcapMocks(Mocks):
    """Outputs as the provider computes them: any AWS type from its declared outputs, qcap's own types exactly.

    With `new_stack`, the provider answers as it does while previewing a stack that does not
    exist yet: no id and only the inputs, so every output it would compute on create (ARNs,
    URLs, ids, endpoints) stays unknown and flows as unknown into whatever uses it.
    """

    def __init__(self, region: str = DEFAULT_REGION, account_id: str = MOCK_ACCOUNT_ID, new_stack: bool = False):
        self.region = region
        self.account_id = account_id
        self.new_stack = new_stack
        self.invokes = InvokeAnswers(region, account_id, self.known_outputs)

    def call(self, args: MockCallArgs) -> dict:
        # A bare dict: the SDK's MockMonitor reads a (result, failures) tuple's failures as a list.
        return self.invokes.answer(args.token, dict(args.args))

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        if self.new_stack:
            return "", dict(args.inputs)
        return self.known_outputs(args.typ, args.name, dict(args.inputs))

    def known_outputs(self, token: str, logical_name: str, inputs: dict[str, Any]) -> tuple[str, dict]:
        """(id, outputs) of a resource once it exists; data sources that read one (get_queue) answer with it."""
        region = inputs.get("region") or self.region
        acct = self.account_id
        physical = (physical_name(token, logical_name, inputs) if token.startswith("aws:") else inputs.get("name")) \
            or f"{logical_name}-{short_hash(token + logical_name, 7)}"
        # Every AWS type first gets what the provider computes from its SDK-declared outputs; the types
        # below then get the exact values qcap's own stacks were built against.
        if token.startswith("aws:"):
            rid, out = computed(token, logical_name, inputs, str(region), acct)
        else:
            rid, out = f"{physical}", {**inputs}

        def arn(service: str, resource: str, with_region: bool = True) -> str:
            return f"arn:aws:{service}:{region if with_region else ''}:{acct}:{resource}"

        if token == "aws:sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{acct}/{physical}"
            out.update(name=physical, arn=arn("sqs", physical), url=url)
            rid = url
        elif token == "aws:sns/topic:Topic":
            out.update(name=physical, arn=arn("sns", physical))
            rid = out["arn"]
        elif token == "aws:sns/topicSubscription:TopicSubscription":
            topic = inputs.get("topic", arn("sns", "topic"))
            out.update(arn=f"{topic}:{short_hash(logical_name, 8)}-mock")
            rid = out["arn"]
        elif token == "aws:cloudwatch/metricAlarm:MetricAlarm":
            out.update(name=physical, arn=arn("cloudwatch", f"alarm:{physical}"))
        elif token == "aws:cloudwatch/logGroup:LogGroup":
            out.update(name=physical, arn=arn("logs", f"log-group:{physical}"))
        elif token == "aws:ecs/cluster:Cluster":
            out.update(name=physical, arn=arn("ecs", f"cluster/{physical}"))
            rid = out["arn"]
        elif token == "aws:ecs/service:Service":
            cluster = str(inputs.get("cluster", "cluster")).rsplit("/", 1)[-1]
            out.update(name=physical, arn=arn("ecs", f"service/{cluster}/{physical}"))
            rid = out["arn"]
        elif token == "aws:ecs/taskDefinition:TaskDefinition":
            family = inputs.get("family", physical)
            out.update(revision=1, arn=arn("ecs", f"task-definition/{family}:1"),
                       arnWithoutRevision=arn("ecs", f"task-definition/{family}"))
            rid = family
        elif token == "aws:iam/role:Role":
            out.update(name=physical, arn=arn("iam", f"role/{physical}", with_region=False),
                       uniqueId=f"AROA{short_hash(physical, 16).upper()}")
        elif token == "aws:iam/rolePolicy:RolePolicy":
            out.update(name=physical)
            rid = f"{inputs.get('role', 'role')}:{physical}"
        elif token == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            rid = f"{inputs.get('role', 'role')}-{short_hash(logical_name)}"
        elif token == "aws:appautoscaling/target:Target":
            out.update(arn=arn("application-autoscaling", f"scalable-target/{short_hash(logical_name, 16)}"))
            rid = str(inputs.get("resourceId", physical))
        elif token == "aws:appautoscaling/policy:Policy":
            out.update(name=physical, alarmArns=[], policyType=inputs.get("policyType", "StepScaling"),
                       arn=arn("autoscaling", f"scalingPolicy:{short_hash(logical_name, 8)}:resource/"
                               f"{inputs.get('resourceId', '')}:policyName/{physical}"))
        elif token == "aws:elasticache/replicationGroup:ReplicationGroup":
            group_id = inputs.get("replicationGroupId", physical)
            host = f"{group_id}.{short_hash(group_id, 6)}.{region}.cache.amazonaws.com"
            out.update(arn=arn("elasticache", f"replicationgroup:{group_id}"),
                       primaryEndpointAddress=f"master.{host}", readerEndpointAddress=f"replica.{host}",
                       port=inputs.get("port", 6379), memberClusters=[f"{group_id}-00{i + 1}" for i in
                                                                     range(int(inputs.get("numCacheClusters", 1)))])
            rid = group_id
        elif token in ("aws:elasticache/parameterGroup:ParameterGroup", "aws:elasticache/subnetGroup:SubnetGroup"):
            kind = "parametergroup" if "parameter" in token else "subnetgroup"
            out.update(name=physical, arn=arn("elasticache", f"{kind}:{physical}"))
        elif token == "aws:ec2/securityGroup:SecurityGroup":
            rid = f"sg-{short_hash(logical_name, 17)}"
            out.update(name=physical, arn=arn("ec2", f"security-group/{rid}"), ownerId=acct)
        elif token == "aws:scheduler/schedule:Schedule":
            out.update(name=physical, arn=arn("scheduler", f"schedule/{inputs.get('groupName', 'default')}/{physical}"))
        elif token == "aws:secretsmanager/secret:Secret":
            out.update(name=physical, arn=arn("secretsmanager", f"secret:{physical}-{short_hash(physical, 6)}"))
            rid = out["arn"]
        elif token == "aws:secretsmanager/secretVersion:SecretVersion":
            secret = str(inputs.get("secretId") or physical)
            out.update(versionId=short_hash(logical_name, 32), arn=secret if secret.startswith("arn:") else
                       arn("secretsmanager", f"secret:{secret}-{short_hash(secret, 6)}"))
        elif token == "aws:kms/key:Key":
            rid = _key_id(logical_name)
            out.update(keyId=rid, arn=arn("kms", f"key/{rid}"))
            # A key created without a policy gets KMS's default key policy, which the provider reads back.
            out.setdefault("policy", default_key_policy(acct))
        elif token == "aws:kms/alias:Alias":
            # The key the alias names (by id or ARN); an alias read by name alone (an AWS-managed
            # alias/aws/sns) gets a key id of its own, stable per alias.
            target = str(inputs.get("targetKeyId") or _key_id(str(inputs.get("name", physical))))
            out.update(arn=arn("kms", str(inputs.get("name", physical))), targetKeyId=target.rsplit("/", 1)[-1],
                       targetKeyArn=target if target.startswith("arn:") else arn("kms", f"key/{target}"))
        elif token == "aws:lambda/function:Function":
            version = "1" if inputs.get("publish") else "$LATEST"
            out.update(version=version, qualifiedArn=f"{out['arn']}:{version}",
                       invokeArn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{out['arn']}/invocations",
                       qualifiedInvokeArn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                                          f"{out['arn']}:{version}/invocations")
        elif token == "aws:iam/policy:Policy":
            out.update(policyId=f"ANPA{short_hash(logical_name, 17).upper()}")
        elif token in ("aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redrivePolicy:RedrivePolicy",
                       "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"):
            rid = str(inputs.get("queueUrl", rid))
        elif token.startswith("cloudflare:"):
            rid = short_hash(logical_name, 32)
            if "queueName" in inputs:
                out.setdefault("queueId", rid)
        out.setdefault("id", rid)
        return rid, out
