"""Outputs the provider computes for any AWS type: ids, ARNs in each service's format, names and typed values."""

from __future__ import annotations

import re

import pytest

from qcap.offline.mock_resource_outputs import (
    TERRAFORM_PREFIX_SUFFIX_CHARS,
    computed,
    physical_name,
)

ACCOUNT = "123456789012"


def outputs(token: str, inputs: dict | None = None, name: str = "thing", region: str = "eu-west-1"):
    return computed(token, name, inputs or {}, region, ACCOUNT)


@pytest.mark.parametrize(("token", "inputs", "arn"), [
    ("aws:iam/policy:Policy", {"name": "p"}, "arn:aws:iam::123456789012:policy/p"),
    ("aws:iam/policy:Policy", {"name": "p", "path": "/team/"}, "arn:aws:iam::123456789012:policy/team/p"),
    ("aws:iam/user:User", {"name": "u"}, "arn:aws:iam::123456789012:user/u"),
    ("aws:lambda/function:Function", {"name": "f"}, "arn:aws:lambda:eu-west-1:123456789012:function:f"),
    ("aws:s3/bucket:Bucket", {"bucket": "b"}, "arn:aws:s3:::b"),
    ("aws:dynamodb/table:Table", {"name": "t"}, "arn:aws:dynamodb:eu-west-1:123456789012:table/t"),
    ("aws:cloudwatch/eventRule:EventRule", {"name": "r"}, "arn:aws:events:eu-west-1:123456789012:rule/r"),
    ("aws:ssm/parameter:Parameter", {"name": "/app/x"}, "arn:aws:ssm:eu-west-1:123456789012:parameter/app/x"),
    ("aws:sfn/stateMachine:StateMachine", {"name": "m"}, "arn:aws:states:eu-west-1:123456789012:stateMachine:m"),
    ("aws:memorydb/cluster:Cluster", {"name": "c"}, "arn:aws:memorydb:eu-west-1:123456789012:cluster/c"),
    ("aws:rds/instance:Instance", {"identifier": "db1"}, "arn:aws:rds:eu-west-1:123456789012:db:db1"),
    ("aws:cloudwatch/dashboard:Dashboard", {"dashboardName": "d"}, "arn:aws:cloudwatch::123456789012:dashboard/d"),
])
def test_the_arn_follows_the_services_own_format(token, inputs, arn):
    _, out = outputs(token, inputs)
    assert (out.get("arn") or out.get("dashboardArn")) == arn


def test_an_id_takes_the_form_the_provider_reports():
    vpc_id, vpc = outputs("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"})
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", vpc_id) and vpc["arn"].endswith(f":vpc/{vpc_id}")
    policy_id, policy = outputs("aws:iam/policy:Policy", {"name": "p"})
    assert policy_id == policy["arn"]
    key_id, key = outputs("aws:kms/key:Key")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}", key_id)
    assert key["arn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key_id}"
    api_id, api = outputs("aws:apigateway/restApi:RestApi", {"name": "api"})
    assert api["arn"] == f"arn:aws:apigateway:eu-west-1::/restapis/{api_id}" and len(api_id) == 10


def test_a_type_without_a_listed_format_gets_the_generic_arn_of_its_module():
    _, out = outputs("aws:sagemaker/domain:Domain", {"domainName": "d"}, name="dom")
    assert re.fullmatch(r"arn:aws:sagemaker:eu-west-1:123456789012:domain/dom-[0-9a-f]{7}", out["arn"])


def test_a_name_prefix_gets_terraforms_26_character_suffix_and_no_name_gets_pulumis_autoname():
    prefixed = physical_name("aws:iam/role:Role", "task-role", {"namePrefix": "qcap-"})
    assert prefixed.startswith("qcap-") and len(prefixed) == len("qcap-") + TERRAFORM_PREFIX_SUFFIX_CHARS == 31
    fifo = physical_name("aws:sqs/queue:Queue", "q", {"namePrefix": "jobs-", "fifoQueue": True})
    assert fifo.endswith(".fifo") and len(fifo) == len("jobs-") + TERRAFORM_PREFIX_SUFFIX_CHARS + len(".fifo")
    assert re.fullmatch(r"task-role-[0-9a-f]{7}", physical_name("aws:iam/role:Role", "task-role", {}))
    assert physical_name("aws:iam/role:Role", "r", {"name": "given"}) == "given"
    assert physical_name("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {}) is None


def test_every_computed_output_gets_a_value_of_its_declared_type():
    _, fn = outputs("aws:lambda/function:Function", {"name": "f", "tags": {"team": "a"}})
    assert isinstance(fn["sourceCodeSize"], int) and isinstance(fn["lastModified"], str)
    assert fn["tagsAll"] == {"team": "a"}
    _, table = outputs("aws:dynamodb/table:Table", {"name": "t"})
    assert table["streamArn"].startswith("arn:aws:dynamodb:") and table["tagsAll"] == {}
    _, attachment = outputs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "a"})
    assert attachment == {"role": "r", "policyArn": "a"}
