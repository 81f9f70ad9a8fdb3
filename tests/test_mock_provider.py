"""The mock provider: realistic outputs for what qcap creates, and stable names for what Pulumi autonames."""

from __future__ import annotations

import json

from pulumi.runtime.mocks import MockResourceArgs

from qcap.offline.mock_provider import MOCK_ACCOUNT_ID, QcapMocks


def test_mocks_answer_a_queue_with_its_region_account_arn_and_url():
    resource_id, state = QcapMocks(region="ap-south-1").new_resource(
        MockResourceArgs(typ="aws:sqs/queue:Queue", name="q", inputs={"name": "qcap-s-events"})
    )
    assert resource_id == state["url"] == f"https://sqs.ap-south-1.amazonaws.com/{MOCK_ACCOUNT_ID}/qcap-s-events"
    assert state["arn"] == f"arn:aws:sqs:ap-south-1:{MOCK_ACCOUNT_ID}:qcap-s-events"


def test_mocks_give_an_auto_named_resource_a_stable_name_from_its_logical_name():
    mocks = QcapMocks()
    first = mocks.new_resource(MockResourceArgs(typ="aws:iam/role:Role", name="events-task-role", inputs={}))
    again = mocks.new_resource(MockResourceArgs(typ="aws:iam/role:Role", name="events-task-role", inputs={}))
    assert first == again
    assert first[1]["arn"] == f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/{first[1]['name']}"
    assert first[1]["name"].startswith("events-task-role-")


def test_a_key_created_without_a_policy_reads_back_kms_default_key_policy():
    _, state = QcapMocks().new_resource(MockResourceArgs(typ="aws:kms/key:Key", name="k", inputs={}))
    assert json.loads(state["policy"])["Statement"] == [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:root"},
         "Action": "kms:*", "Resource": "*"}]
    _, given = QcapMocks().new_resource(MockResourceArgs(typ="aws:kms/key:Key", name="k", inputs={"policy": "{}"}))
    assert given["policy"] == "{}"


def test_any_aws_type_gets_its_computed_outputs_and_qcaps_own_types_keep_their_exact_values():
    _, fn = QcapMocks(region="eu-west-1").new_resource(
        MockResourceArgs(typ="aws:lambda/function:Function", name="fn", inputs={"name": "worker"}))
    assert fn["arn"] == f"arn:aws:lambda:eu-west-1:{MOCK_ACCOUNT_ID}:function:worker"
    assert fn["qualifiedArn"] == f"{fn['arn']}:$LATEST" and fn["version"] == "$LATEST"
    assert fn["invokeArn"] == (f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{fn['arn']}"
                               "/invocations")
    rid, topic = QcapMocks().new_resource(MockResourceArgs(typ="aws:sns/topic:Topic", name="t", inputs={"name": "a"}))
    assert rid == topic["arn"] == f"arn:aws:sns:us-east-1:{MOCK_ACCOUNT_ID}:a"
