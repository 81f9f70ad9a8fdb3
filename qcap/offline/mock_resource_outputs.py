"""The outputs the AWS provider computes for any resource type: its id, ARN, physical name and the rest.

Which outputs a type has comes from the SDK (qcap.offline.provider_sdk): every declared output
that is not an input is filled with a value of its declared type, so a program that reads
`aws.iam.Policy(...).arn` or `aws.lambda_.Function(...).invoke_arn` gets a value, not nothing.
The ARN follows the service's own format (ARN_FORMATS, from each service's "resource types"
table in the IAM Service Authorization Reference); a type not listed gets
`arn:aws:<module>:<region>:<account>:<type>/<name>`. A physical name is the given one, or the
given prefix plus the 26 characters Terraform's provider appends (a timestamp and a counter), or
Pulumi's autoname (logical name, a hyphen and 7 characters).
"""

from __future__ import annotations

import collections.abc
import hashlib
import re
import typing
from dataclasses import dataclass
from typing import Any

from qcap.offline import provider_sdk

# Terraform's id.PrefixedUniqueId: the prefix, an 18-digit UTC timestamp (to 1/10,000 s) and an 8-digit hex counter.
TERRAFORM_PREFIX_SUFFIX_CHARS = 26
# Pulumi's autoname: the logical name, "-" and 7 random hex characters.
PULUMI_AUTONAME_RANDOM_CHARS = 7


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class ArnFormat:
    """An ARN's service, its resource part (str.format with name, id, region, account and the inputs) and
    whether the ARN carries the region and account; `id_kind` is what the provider uses as the resource id."""

    service: str
    resource: str
    regional: bool = True
    id_kind: str = "name"  # "name" | "arn" | a prefix such as "vpc-" for EC2 ids | "uuid" | "random10"
    with_account: bool = True


ARN_FORMATS: dict[str, ArnFormat] = {
    "aws:lambda/function:Function": ArnFormat("lambda", "function:{name}"),
    "aws:lambda/alias:Alias": ArnFormat("lambda", "function:{functionName}:{name}", id_kind="arn"),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ArnFormat("lambda", "event-source-mapping:{id}",
                                                                  id_kind="uuid"),
    "aws:lambda/layerVersion:LayerVersion": ArnFormat("lambda", "layer:{layerName}:1", id_kind="arn"),
    "aws:s3/bucket:Bucket": ArnFormat("s3", "{name}", regional=False, with_account=False),
    "aws:s3/bucketV2:BucketV2": ArnFormat("s3", "{name}", regional=False, with_account=False),
    "aws:dynamodb/table:Table": ArnFormat("dynamodb", "table/{name}"),
    "aws:sns/topic:Topic": ArnFormat("sns", "{name}", id_kind="arn"),
    "aws:sqs/queue:Queue": ArnFormat("sqs", "{name}"),
    "aws:iam/role:Role": ArnFormat("iam", "role{path}{name}", regional=False),
    "aws:iam/policy:Policy": ArnFormat("iam", "policy{path}{name}", regional=False, id_kind="arn"),
    "aws:iam/user:User": ArnFormat("iam", "user{path}{name}", regional=False),
    "aws:iam/group:Group": ArnFormat("iam", "group{path}{name}", regional=False),
    "aws:iam/instanceProfile:InstanceProfile": ArnFormat("iam", "instance-profile{path}{name}", regional=False),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ArnFormat("iam", "oidc-provider/{url}", regional=False,
                                                                     id_kind="arn"),
    "aws:kms/key:Key": ArnFormat("kms", "key/{id}", id_kind="uuid"),
    "aws:kms/alias:Alias": ArnFormat("kms", "{name}"),
    "aws:ecs/cluster:Cluster": ArnFormat("ecs", "cluster/{name}", id_kind="arn"),
    "aws:ecs/service:Service": ArnFormat("ecs", "service/{cluster_name}/{name}", id_kind="arn"),
    "aws:ecs/taskSet:TaskSet": ArnFormat("ecs", "task-set/{cluster_name}/{service_name}/{id}",
                                         id_kind="ecs-svc/"),
    "aws:ecs/capacityProvider:CapacityProvider": ArnFormat("ecs", "capacity-provider/{name}", id_kind="arn"),
    "aws:cloudwatch/eventRule:EventRule": ArnFormat("events", "rule/{name}"),
    "aws:cloudwatch/eventBus:EventBus": ArnFormat("events", "event-bus/{name}"),
    "aws:cloudwatch/eventConnection:EventConnection": ArnFormat("events", "connection/{name}/{id}"),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": ArnFormat("events", "api-destination/{name}/{id}"),
    "aws:cloudwatch/eventArchive:EventArchive": ArnFormat("events", "archive/{name}"),
    "aws:pipes/pipe:Pipe": ArnFormat("pipes", "pipe/{name}"),
    "aws:scheduler/scheduleGroup:ScheduleGroup": ArnFormat("scheduler", "schedule-group/{name}"),
    "aws:apigateway/restApi:RestApi": ArnFormat("apigateway", "/restapis/{id}", id_kind="random10"),
    "aws:apigatewayv2/api:Api": ArnFormat("apigateway", "/apis/{id}", id_kind="random10"),
    "aws:apigateway/stage:Stage": ArnFormat("apigateway", "/restapis/{restApi}/stages/{stageName}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ArnFormat("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": ArnFormat("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/dashboard:Dashboard": ArnFormat("cloudwatch", "dashboard/{name}", regional=False),
    "aws:cloudwatch/logGroup:LogGroup": ArnFormat("logs", "log-group:{name}"),
    "aws:cloudwatch/logStream:LogStream": ArnFormat("logs", "log-group:{logGroupName}:log-stream:{name}"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ArnFormat("elasticache", "replicationgroup:{name}"),
    "aws:elasticache/cluster:Cluster": ArnFormat("elasticache", "cluster:{name}"),
    "aws:elasticache/parameterGroup:ParameterGroup": ArnFormat("elasticache", "parametergroup:{name}"),
    "aws:elasticache/subnetGroup:SubnetGroup": ArnFormat("elasticache", "subnetgroup:{name}"),
    "aws:elasticache/user:User": ArnFormat("elasticache", "user:{name}"),
    "aws:elasticache/serverlessCache:ServerlessCache": ArnFormat("elasticache", "serverlesscache:{name}"),
    "aws:memorydb/cluster:Cluster": ArnFormat("memorydb", "cluster/{name}"),
    "aws:memorydb/subnetGroup:SubnetGroup": ArnFormat("memorydb", "subnetgroup/{name}"),
    "aws:memorydb/parameterGroup:ParameterGroup": ArnFormat("memorydb", "parametergroup/{name}"),
    "aws:memorydb/acl:Acl": ArnFormat("memorydb", "acl/{name}"),
    "aws:memorydb/user:User": ArnFormat("memorydb", "user/{name}"),
    "aws:rds/instance:Instance": ArnFormat("rds", "db:{name}", id_kind="db-"),
    "aws:rds/cluster:Cluster": ArnFormat("rds", "cluster:{name}"),
    "aws:rds/subnetGroup:SubnetGroup": ArnFormat("rds", "subgrp:{name}"),
    "aws:rds/parameterGroup:ParameterGroup": ArnFormat("rds", "pg:{name}"),
    "aws:ec2/vpc:Vpc": ArnFormat("ec2", "vpc/{id}", id_kind="vpc-"),
    "aws:ec2/subnet:Subnet": ArnFormat("ec2", "subnet/{id}", id_kind="subnet-"),
    "aws:ec2/securityGroup:SecurityGroup": ArnFormat("ec2", "security-group/{id}", id_kind="sg-"),
    "aws:ec2/internetGateway:InternetGateway": ArnFormat("ec2", "internet-gateway/{id}", id_kind="igw-"),
    "aws:ec2/natGateway:NatGateway": ArnFormat("ec2", "natgateway/{id}", id_kind="nat-"),
    "aws:ec2/routeTable:RouteTable": ArnFormat("ec2", "route-table/{id}", id_kind="rtb-"),
    "aws:ec2/eip:Eip": ArnFormat("ec2", "elastic-ip/{id}", id_kind="eipalloc-"),
    "aws:ec2/instance:Instance": ArnFormat("ec2", "instance/{id}", id_kind="i-"),
    "aws:ec2/launchTemplate:LaunchTemplate": ArnFormat("ec2", "launch-template/{id}", id_kind="lt-"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ArnFormat("ec2", "vpc-endpoint/{id}", id_kind="vpce-"),
    "aws:ec2/networkAcl:NetworkAcl": ArnFormat("ec2", "network-acl/{id}", id_kind="acl-"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": ArnFormat("ec2", "security-group-rule/{id}", id_kind="sgrule-"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ArnFormat("ec2", "security-group-rule/{id}",
                                                                           id_kind="sgr-"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ArnFormat("ec2", "security-group-rule/{id}",
                                                                         id_kind="sgr-"),
    "aws:secretsmanager/secret:Secret": ArnFormat("secretsmanager", "secret:{name}-{suffix6}", id_kind="arn"),
    "aws:ssm/parameter:Parameter": ArnFormat("ssm", "parameter/{bare_name}"),
    "aws:sfn/stateMachine:StateMachine": ArnFormat("states", "stateMachine:{name}", id_kind="arn"),
    "aws:sfn/activity:Activity": ArnFormat("states", "activity:{name}", id_kind="arn"),
    "aws:kinesis/stream:Stream": ArnFormat("kinesis", "stream/{name}", id_kind="arn"),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ArnFormat("firehose", "deliverystream/{name}",
                                                                           id_kind="arn"),
    "aws:ecr/repository:Repository": ArnFormat("ecr", "repository/{name}"),
    "aws:lb/loadBalancer:LoadBalancer": ArnFormat("elasticloadbalancing", "loadbalancer/app/{name}/{suffix16}",
                                                  id_kind="arn"),
    "aws:lb/targetGroup:TargetGroup": ArnFormat("elasticloadbalancing", "targetgroup/{name}/{suffix16}",
                                                id_kind="arn"),
    "aws:efs/fileSystem:FileSystem": ArnFormat("elasticfilesystem", "file-system/{id}", id_kind="fs-"),
    "aws:acm/certificate:Certificate": ArnFormat("acm", "certificate/{id}", id_kind="uuid"),
    "aws:cognito/userPool:UserPool": ArnFormat("cognito-idp", "userpool/{id}", id_kind="pool"),
    "aws:eks/cluster:Cluster": ArnFormat("eks", "cluster/{name}"),
    "aws:athena/workgroup:Workgroup": ArnFormat("athena", "workgroup/{name}"),
    "aws:glue/job:Job": ArnFormat("glue", "job/{name}"),
    "aws:batch/jobQueue:JobQueue": ArnFormat("batch", "job-queue/{name}", id_kind="arn"),
    "aws:codebuild/project:Project": ArnFormat("codebuild", "project/{name}"),
    "aws:route53/zone:Zone": ArnFormat("route53", "hostedzone/{id}", regional=False, id_kind="Z"),
    "aws:backup/vault:Vault": ArnFormat("backup", "backup-vault:{name}"),
    "aws:cloudtrail/trail:Trail": ArnFormat("cloudtrail", "trail/{name}"),
    "aws:wafv2/webAcl:WebAcl": ArnFormat("wafv2", "regional/webacl/{name}/{id}", id_kind="uuid"),
    "aws:ses/emailIdentity:EmailIdentity": ArnFormat("ses", "identity/{name}"),
    "aws:appsync/graphQLApi:GraphQLApi": ArnFormat("appsync", "apis/{id}", id_kind="random10"),
}

# Where a type's physical name is not `name`: the name field, and the prefix field that replaces it.
NAME_FIELDS: dict[str, tuple[str, str]] = {
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix"),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName", ""),
    "aws:rds/instance:Instance": ("identifier", "identifierPrefix"),
    "aws:rds/cluster:Cluster": ("clusterIdentifier", "clusterIdentifierPrefix"),
    "aws:elasticache/cluster:Cluster": ("clusterId", ""),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("replicationGroupId", ""),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", ""),
    "aws:lambda/function:Function": ("name", ""),
    "aws:memorydb/user:User": ("userName", ""),
    "aws:elasticache/user:User": ("userId", ""),
}
# Types whose autoname pulumi-aws lowercases (their ids allow no capitals).
LOWERCASE_AUTONAMES = frozenset({"aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster",
                                 "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:rds/instance:Instance",
                                 "aws:rds/cluster:Cluster"})
# The ARN service for a module whose name is not the service's (a module holds several services).
MODULE_SERVICES = {"cloudwatch": "cloudwatch", "sfn": "states", "lb": "elasticloadbalancing", "alb":
                   "elasticloadbalancing", "efs": "elasticfilesystem", "cognito": "cognito-idp", "vpc": "ec2"}
# Per-module overrides of MODULE_SERVICES by the type's own name (CloudWatch's module holds Events and Logs).
TYPE_PREFIX_SERVICES = {("cloudwatch", "event"): "events", ("cloudwatch", "log"): "logs"}


def physical_name(type_token: str, logical_name: str, inputs: dict[str, Any]) -> str | None:
    """The name the resource gets in AWS: given, prefix + Terraform's suffix, or Pulumi's autoname.

    None when the type has no name input at all."""
    field, prefix_field = NAME_FIELDS.get(type_token, ("name", "namePrefix"))
    args = provider_sdk.args_class(type_token)
    fields = provider_sdk.input_wire_types(args) if args else {}
    if inputs.get(field):
        return str(inputs[field])
    if field not in fields:
        return None
    if prefix_field and inputs.get(prefix_field):
        # An 18-digit timestamp and an 8-digit counter, here from the logical name so runs repeat.
        digits = str(int(short_hash(type_token + logical_name, 12), 16)).rjust(18, "0")[:18]
        suffix = digits + short_hash(logical_name, 8)
        name = f"{inputs[prefix_field]}{suffix}"
        if type_token == "aws:sqs/queue:Queue" and inputs.get("fifoQueue"):
            name += ".fifo"
        return name
    autoname = f"{logical_name}-{short_hash(type_token + logical_name, PULUMI_AUTONAME_RANDOM_CHARS)}"
    return autoname.lower() if type_token in LOWERCASE_AUTONAMES else autoname


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _service(type_token: str) -> str:
    module = type_token.partition(":")[2].split("/")[0]
    member = type_token.rpartition(":")[2]
    for (mod, prefix), service in TYPE_PREFIX_SERVICES.items():
        if module == mod and (member[:1].lower() + member[1:]).startswith(prefix):
            return service
    return MODULE_SERVICES.get(module, module)


def resource_id(fmt: ArnFormat | None, type_token: str, logical_name: str, name: str | None, region: str) -> str:
    """The id the provider would report, before the ARN is known (id_kind "arn" is resolved by the caller)."""
    seed = type_token + logical_name
    kind = fmt.id_kind if fmt else "name"
    if kind == "uuid":
        h = short_hash(seed, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
    if kind == "random10":
        return short_hash(seed, 10)
    if kind in ("name", "arn"):
        return name or f"{logical_name}-{short_hash(seed, PULUMI_AUTONAME_RANDOM_CHARS)}"
    if kind == "db-":
        return f"db-{short_hash(seed, 26).upper()}"
    if kind in ("pool", "Z"):
        return f"Z{short_hash(seed, 20).upper()}" if kind == "Z" else f"{region}_{short_hash(seed, 9)}"
    return f"{kind}{short_hash(seed, 17)}"


def resource_arn(type_token: str, fmt: ArnFormat | None, *, name: str | None, rid: str, inputs: dict[str, Any],
                 region: str, account: str) -> str:
    """The ARN in its service's format (ARN_FORMATS), or the generic `<service>:<type>/<name>`."""
    last = lambda value: str(value or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]  # noqa: E731 - a name from an ARN
    values = {k: v for k, v in inputs.items() if isinstance(v, (str, int, float))}
    values.update(name=name or rid, id=rid, region=region, account=account,
                  path=str(inputs.get("path") or "/"), bare_name=str(name or rid).lstrip("/"),
                  cluster_name=last(inputs.get("cluster")) or "default", service_name=last(inputs.get("service")),
                  suffix6=short_hash(str(name), 6), suffix16=short_hash(str(name), 16))
    if fmt is None:
        fmt = ArnFormat(_service(type_token), _kebab(type_token.rpartition(":")[2]) + "/{name}")
    try:
        resource = fmt.resource.format(**values)
    except (KeyError, IndexError, ValueError):
        resource = fmt.resource.split("{", 1)[0] + str(name or rid)
    if fmt.service == "apigateway":
        return f"arn:aws:apigateway:{region}::{resource}"
    return f"arn:aws:{fmt.service}:{region if fmt.regional else ''}:{account if fmt.with_account else ''}:{resource}"


def placeholder(field: str, hint: Any, context: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value of the declared type for an output only the provider knows; None to leave it out."""
    hint = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Union else hint
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Sequence, list, typing.Sequence):
        return []
    if origin in (collections.abc.Mapping, dict, typing.Mapping):
        return dict(context.get("tags") or {}) if field == "tagsAll" else {}
    if hint is bool:
        return False
    if hint is int:
        return 1
    if hint is float:
        return 1.0
    if provider_sdk.is_output_object(hint):
        if depth >= 2:
            return None
        fields = provider_sdk.output_object_types(hint)
        built = {k: placeholder(k, v, context, depth + 1) for k, v in fields.items()}
        return {k: v for k, v in built.items() if v is not None}
    if hint is not str:
        return None
    return _string_placeholder(field, context)


def _string_placeholder(field: str, context: dict[str, Any]) -> str:
    """A string output by what its name says it holds: an ARN, an account, a URL, a host, an id, a policy, a time."""
    lower = field.lower()
    name, region, account = context["name"], context["region"], context["account"]
    host = f"{name}.{short_hash(name, 6)}.{region}.{context['service']}.amazonaws.com"
    if field == "arn" or field.endswith(("Arn", "ARN")):
        return context["arn"]
    if lower in ("ownerid", "accountid", "owneraccountid"):
        return account
    if field == "url" or field.endswith("Url"):
        return f"https://{host}"
    if lower.endswith(("endpoint", "address", "dnsname", "domainname", "hostname")):
        return host
    if field.endswith("Id"):
        return short_hash(f"{name}:{field}", 17)
    if lower.endswith(("policy", "json")):
        return '{"Version":"2012-10-17","Statement":[]}'
    if re.search(r"(date|time|timestamp|modified|createdat|updatedat)$", lower):
        return "2026-01-01T00:00:00Z"
    if lower == "region":
        return region
    return f"{name}-{_kebab(field)}"


def computed(type_token: str, logical_name: str, inputs: dict[str, Any], region: str,
             account: str) -> tuple[str, dict[str, Any]]:
    """(id, outputs) for any AWS resource: the inputs, then the name, ARN and every other computed output."""
    fmt = ARN_FORMATS.get(type_token)
    name = physical_name(type_token, logical_name, inputs)
    rid = resource_id(fmt, type_token, logical_name, name, region)
    arn = resource_arn(type_token, fmt, name=name, rid=rid, inputs=inputs, region=region, account=account)
    if fmt is not None and fmt.id_kind == "arn":
        rid = arn
    out: dict[str, Any] = dict(inputs)
    field = NAME_FIELDS.get(type_token, ("name", ""))[0]
    if name is not None:
        out[field] = name
    context = {"name": name or rid, "arn": arn, "region": region, "account": account, "service": _service(type_token),
               "tags": inputs.get("tags")}
    for key, hint in provider_sdk.computed_outputs(type_token).items():
        if key in out or key == "id":
            continue
        value = placeholder(key, hint, context)
        if value is not None:
            out[key] = value
    declared = provider_sdk.resource_output_types(type_token)
    if "arn" in declared and "arn" not in inputs:
        out["arn"] = arn
    return rid, out
