"""Data sources offline: the stack's identity, region, partition and zones, and every declared output of any other."""

from __future__ import annotations

import json

from qcap.offline.mock_invokes import InvokeAnswers, zone_id_prefix
from qcap.offline.mock_provider import QcapMocks

ACCOUNT = "123456789012"


def answers(region: str = "ap-southeast-2") -> InvokeAnswers:
    return QcapMocks(region=region).invokes


def test_caller_identity_region_and_partition_are_the_stacks():
    a = answers()
    assert a.answer("aws:index/getCallerIdentity:getCallerIdentity", {}) == {
        "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/mock", "id": ACCOUNT, "userId": "AIDAMOCK"}
    region = a.answer("aws:index/getRegion:getRegion", {})
    assert region["name"] == region["id"] == region["region"] == "ap-southeast-2"
    partition = a.answer("aws:index/getPartition:getPartition", {})
    assert (partition["partition"], partition["dnsSuffix"]) == ("aws", "amazonaws.com")


def test_availability_zones_are_three_of_the_region_with_their_zone_ids():
    zones = answers("us-east-1").answer("aws:index/getAvailabilityZones:getAvailabilityZones", {"state": "available"})
    assert zones["names"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert zones["zoneIds"] == ["use1-az1", "use1-az2", "use1-az3"]
    assert zone_id_prefix("ap-southeast-2") == "apse2" and zone_id_prefix("eu-central-1") == "euc1"


def test_the_policy_document_is_computed_from_its_statements():
    doc = answers().answer("aws:iam/getPolicyDocument:getPolicyDocument",
                           {"statements": [{"actions": ["sqs:*"], "resources": ["*"]}]})
    assert json.loads(doc["json"])["Statement"] == [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]


def test_a_get_of_a_resource_type_answers_with_that_resources_id_name_and_arn():
    queue = answers().answer("aws:sqs/getQueue:getQueue", {"name": "jobs"})
    assert queue["url"] == f"https://sqs.ap-southeast-2.amazonaws.com/{ACCOUNT}/jobs"
    assert queue["arn"] == f"arn:aws:sqs:ap-southeast-2:{ACCOUNT}:jobs"
    role = answers().answer("aws:iam/getRole:getRole", {"name": "ops"})
    assert role["arn"] == f"arn:aws:iam::{ACCOUNT}:role/ops" and role["name"] == "ops"


def test_a_managed_policy_by_name_sits_in_the_aws_account_and_a_customer_one_in_the_stacks():
    a = answers()
    admin = a.answer("aws:iam/getPolicy:getPolicy", {"name": "AdministratorAccess"})
    assert admin["arn"] == "arn:aws:iam::aws:policy/AdministratorAccess"
    own = a.answer("aws:iam/getPolicy:getPolicy", {"name": "team-read"})
    assert own["arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team-read"


def test_any_other_data_source_returns_every_declared_output_with_its_type():
    vpc = answers().answer("aws:ec2/getVpc:getVpc", {"default": True})
    assert vpc["default"] is True and vpc["id"].startswith("vpc-")
    assert isinstance(vpc["cidrBlock"], str) and vpc["cidrBlockAssociations"] == []
    assert vpc["arn"] == f"arn:aws:ec2:ap-southeast-2:{ACCOUNT}:vpc/{vpc['id']}"


def test_a_key_alias_read_by_name_names_a_key_of_its_own_region_and_account():
    alias = answers().answer("aws:kms/getAlias:getAlias", {"name": "alias/aws/sns"})
    assert alias["arn"] == f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:alias/aws/sns"
    assert alias["targetKeyArn"] == f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/{alias['targetKeyId']}"
    assert alias["targetKeyId"] != answers().answer("aws:kms/getAlias:getAlias", {"name": "alias/other"})["targetKeyId"]

