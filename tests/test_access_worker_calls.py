"""The calls the access model expects of the task role are the ones the reference worker makes, the ones the
components grant, and actions AWS documents."""

from __future__ import annotations

import re
from pathlib import Path

from access_planting import recorded

from capacity import contract
from components.consumer_iam import CONSUMER_SQS_ACTIONS, TASK_PROTECTION_ACTIONS
from policies import contract as pack_contract
from policies.access_check import check_access
from policies.access_tasks import WORKER_METRIC_ACTION, WORKER_PROTECTION_ACTIONS, WORKER_SQS_ACTIONS
from policies.iam_catalogue import action_exists

WORKER = Path(__file__).resolve().parent.parent / "worker"
# SQS authorises a batch call as the single call.
BATCH_AS = {"DeleteMessageBatch": "DeleteMessage", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def boto_calls(source: str, client: str) -> set[str]:
    direct = re.findall(rf"self\.{client}\.([a-z_]+)\(", source)
    batched = re.findall(r'self\._batch\("([a-z_]+)"', source)
    return {BATCH_AS.get(camel(op), camel(op)) for op in direct + batched}


def test_the_sqs_actions_expected_are_the_reference_workers_and_the_component_grants_them():
    made = {f"sqs:{op}" for op in boto_calls((WORKER / "sqs.py").read_text(), "sqs")}
    assert made == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}
    assert made <= set(WORKER_SQS_ACTIONS) <= set(CONSUMER_SQS_ACTIONS)


def test_metrics_and_protection_are_what_the_worker_calls_and_the_components_grant():
    assert {f"cloudwatch:{op}" for op in boto_calls((WORKER / "metrics.py").read_text(), "cloudwatch")} == {
        WORKER_METRIC_ACTION}
    assert "/task-protection/v1/state" in (WORKER / "protection.py").read_text()
    assert set(WORKER_PROTECTION_ACTIONS) <= set(TASK_PROTECTION_ACTIONS)


def test_the_environment_the_model_reads_is_the_contracts():
    assert pack_contract.QUEUE_URL_VARIABLE == contract.QUEUE_URL.name
    assert pack_contract.METRIC_NAMESPACE_VARIABLE == contract.METRIC_NAMESPACE.name


def test_every_call_the_model_derives_on_the_shipped_stacks_is_a_documented_action():
    actions = {f.call.action for stack in ("dev", "track-points", "scheduled-questions", "job-queues")
               for f in check_access(recorded(stack)).findings}
    assert {"kms:Decrypt", "iam:PassRole", "ecs:RunTask", "sns:Publish", "sts:AssumeRole"} <= actions
    assert sorted(a for a in actions if not action_exists(a)) == []
