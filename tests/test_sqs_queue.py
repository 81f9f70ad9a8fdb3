"""QueueWithDlq under the mocks: the queues' actual inputs equal the plan's numbers."""

from __future__ import annotations

import json

import pytest
from conftest import REDIS_WORKLOAD, SQS_WORKLOAD, TEST_REGION, TEST_STACK, plan_workload

from components.sqs_queue import QueueWithDlq, QueueWithDlqArgs, queue_name
from qcap.offline.mock_provider import MOCK_ACCOUNT_ID

QUEUE = "aws:sqs/queue:Queue"


def build(run_components, plan):
    def program():
        q = QueueWithDlq(plan.name, QueueWithDlqArgs(plan=plan, stack=TEST_STACK))
        return {"url": q.queue_url, "arn": q.queue_arn, "dlq_url": q.dlq_url, "dlq_arn": q.dlq_arn}

    return run_components(program)


def test_queue_redrive_policy_names_the_dlq_and_max_receive_count_when_built(run_components):
    plan = plan_workload(SQS_WORKLOAD, retries__max_receives=7)
    run = build(run_components, plan)
    redrive = json.loads(run.named("events-queue").inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": run.outputs["dlq_arn"], "maxReceiveCount": 7}
    assert run.outputs["dlq_arn"] == f"arn:aws:sqs:{TEST_REGION}:{MOCK_ACCOUNT_ID}:qcap-{TEST_STACK}-events-dlq"


def test_queue_settings_equal_the_plan_when_built(run_components):
    plan = plan_workload(SQS_WORKLOAD, traffic__backlog_messages=5_000_000, objective__drain_backlog_within_hours=120)
    run = build(run_components, plan)
    queue, dlq = run.named("events-queue").inputs, run.named("events-dlq").inputs
    assert queue["name"] == f"qcap-{TEST_STACK}-events"
    assert queue["messageRetentionSeconds"] == plan.retention_seconds
    assert queue["visibilityTimeoutSeconds"] == plan.visibility_timeout_seconds
    assert queue["maxMessageSize"] == plan.max_message_bytes == 1_048_576
    assert queue["receiveWaitTimeSeconds"] == 20
    assert dlq["name"] == f"qcap-{TEST_STACK}-events-dlq"
    assert dlq["messageRetentionSeconds"] == plan.dlq_retention_seconds
    assert dlq["messageRetentionSeconds"] > queue["messageRetentionSeconds"]
    assert dlq["maxMessageSize"] == plan.max_message_bytes
    assert queue["sqsManagedSseEnabled"] is True and dlq["sqsManagedSseEnabled"] is True


def test_both_queues_deny_non_tls_access_when_built(run_components):
    run = build(run_components, plan_workload(SQS_WORKLOAD))
    for policy_name, arn_key in (("events-queue-policy", "arn"), ("events-dlq-policy", "dlq_arn")):
        policy = json.loads(run.named(policy_name).inputs["policy"])
        assert policy["Statement"] == [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": run.outputs[arn_key],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]


def test_dlq_allows_redrive_only_from_its_source_queue_when_built(run_components):
    run = build(run_components, plan_workload(SQS_WORKLOAD))
    allow = run.of_type("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
    assert len(allow) == 1
    assert allow[0].inputs["queueUrl"] == run.outputs["dlq_url"]
    assert json.loads(allow[0].inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [run.outputs["arn"]],
    }


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("staging", False), ("dev", False)])
def test_queues_are_protected_exactly_when_the_stack_is_prod(run_components, environment, protected):
    run = build(run_components, plan_workload(SQS_WORKLOAD, environment=environment))
    assert [q.protect for q in run.of_type(QUEUE)] == [protected, protected]


def test_queue_urls_are_realistic_when_run_under_the_mocks(run_components):
    run = build(run_components, plan_workload(SQS_WORKLOAD))
    assert run.outputs["url"] == f"https://sqs.{TEST_REGION}.amazonaws.com/{MOCK_ACCOUNT_ID}/qcap-{TEST_STACK}-events"


def test_fifo_queues_end_in_fifo_when_the_broker_is_sqs_fifo(run_components):
    run = build(run_components, plan_workload(SQS_WORKLOAD, broker="sqs-fifo"))
    names = sorted(q.inputs["name"] for q in run.of_type(QUEUE))
    assert names == [f"qcap-{TEST_STACK}-events-dlq.fifo", f"qcap-{TEST_STACK}-events.fifo"]
    assert all(q.inputs["fifoQueue"] is True for q in run.of_type(QUEUE))


def test_children_are_parented_to_the_component_when_built(run_components):
    run = build(run_components, plan_workload(SQS_WORKLOAD))
    component = run.of_type("qcap:aws:QueueWithDlq")[0]
    assert {r.name for r in run.children(component.urn)} == {
        "events-queue", "events-dlq", "events-dlq-redrive-allow", "events-queue-policy", "events-dlq-policy"
    }


def test_queue_args_reject_a_plan_when_its_broker_is_not_sqs():
    with pytest.raises(ValueError, match=r"broker 'redis'; allowed: sqs, sqs-fifo"):
        QueueWithDlqArgs(plan=plan_workload(REDIS_WORKLOAD), stack="s")


def test_queue_names_fit_sqs_80_characters_and_keep_their_suffixes_when_the_stack_name_is_long():
    plan = plan_workload(SQS_WORKLOAD, broker="sqs-fifo")
    stack = "x" * 70
    names = [queue_name(stack, plan), queue_name(stack, plan, dlq=True)]
    assert [len(n) for n in names] == [80, 80]
    assert names[0].endswith(".fifo") and names[1].endswith("-dlq.fifo")
    assert names[0].startswith("qcap-xxx") and names[0] != names[1][: len(names[0])]


def test_queue_names_are_the_shared_contract_when_they_fit():
    plan = plan_workload(SQS_WORKLOAD)
    assert (queue_name("dev", plan), queue_name("dev", plan, dlq=True)) == ("qcap-dev-events", "qcap-dev-events-dlq")
