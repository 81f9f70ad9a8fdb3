"""The mock provider: realistic outputs for what qcap creates, and stable names for what Pulumi autonames."""

from __future__ import annotations

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
