"""Planted mistakes fire with the exact principal and call; the same permission written another way stays quiet.

Each mistake is one a reviewer could make in the components or a hand-written stack: a grant
dropped, a Deny or a condition that excludes the caller, a secret named the way ECS does not
read it, a key whose policy forgets a service.
"""

from __future__ import annotations

import json

import pytest
from access_planting import (
    ACCOUNT, add_statement, denied, drop_statement, edit, edit_document, named, recorded, report, role, statement,
    without,
)

SQS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")
CLOUDWATCH = "cloudwatch.amazonaws.com"
TP_EXECUTION = role("track-points", "track-points", "execution")
DEV_TASK = role("dev", "orders", "task")
SQ_SCHEDULE = role("scheduled-questions", "questions", "schedule")


@pytest.fixture(scope="module")
def dev():
    return recorded("dev")


@pytest.fixture(scope="module")
def points():
    return recorded("track-points")


@pytest.fixture(scope="module")
def questions():
    return recorded("scheduled-questions")


def test_the_shipped_stacks_planted_on_are_clean(dev, points, questions):
    assert denied(dev) == denied(points) == denied(questions) == set()


# --- mistakes ---------------------------------------------------------------------------


def test_an_execution_role_without_kms_decrypt_on_its_secrets_key(points):
    planted = edit_document(points, "track-points-execution-secrets", "policy", drop_statement("DecryptTaskSecrets"))
    assert denied(planted) == {(TP_EXECUTION, "kms:Decrypt")}


def test_a_key_policy_without_root_delegation_blocks_the_roles_own_grant(points):
    planted = edit_document(points, "stack-key", "policy", drop_statement("AccountAdministers"))
    (finding,) = report(planted).violations
    assert (finding.call.principal.arn, finding.call.action) == (TP_EXECUTION, "kms:Decrypt")
    assert "enables IAM policies" in finding.missing and "root" in finding.fix


def test_a_key_policy_without_cloudwatchs_grant(dev):
    planted = edit_document(dev, "stack-key", "policy", drop_statement("CloudWatchAlarmsPublishToEncryptedTopics"))
    assert denied(planted) == {(CLOUDWATCH, "kms:GenerateDataKey"), (CLOUDWATCH, "kms:Decrypt")}


def test_a_log_group_key_without_the_logs_service_principal(dev):
    planted = edit_document(dev, "stack-key", "policy", drop_statement("CloudWatchLogsEncrypt"))
    logs = "logs.us-east-1.amazonaws.com"
    assert denied(planted) == {(logs, "kms:Encrypt"), (logs, "kms:Decrypt"), (logs, "kms:GenerateDataKey")}


def test_a_scheduler_role_without_pass_role(questions):
    assert denied(without(questions, "questions-schedule-pass-roles")) == {(SQ_SCHEDULE, "iam:PassRole")}


def test_a_scheduler_role_without_kms_decrypt_on_the_schedules_key(questions):
    planted = edit_document(questions, "questions-schedule-policy", "policy", drop_statement("DecryptSchedule"))
    assert denied(planted) == {(SQ_SCHEDULE, "kms:Decrypt")}


def test_a_condition_that_excludes_the_scheduler_from_the_cluster(questions):
    other = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/someone-else"
    planted = edit_document(questions, "questions-schedule-policy", "policy", statement(
        "RunConsumerTask", lambda s: s.update(Condition={"ArnEquals": {"ecs:cluster": other}})))
    assert denied(planted) == {(SQ_SCHEDULE, "ecs:RunTask")}


def test_an_explicit_deny_on_the_queue(dev):
    deny = {"Sid": "NoDeletes", "Effect": "Deny", "Principal": {"AWS": DEV_TASK}, "Action": "sqs:DeleteMessage",
            "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:qcap-dev-orders"}
    planted = edit_document(dev, "orders-queue-policy", "policy", add_statement(deny))
    (finding,) = report(planted).violations
    assert (finding.call.principal.arn, finding.call.action) == (DEV_TASK, "sqs:DeleteMessage")
    assert finding.decision.missing == "deny" and "'NoDeletes'" in finding.missing


def test_a_not_principal_deny_naming_the_role_but_not_its_session(dev):
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": [ACCOUNT, DEV_TASK]}, "Action": "sqs:*",
            "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:qcap-dev-orders"}
    planted = edit_document(dev, "orders-queue-policy", "policy", add_statement(deny))
    assert denied(planted) == {(DEV_TASK, a) for a in SQS}


def test_a_task_role_missing_change_message_visibility(dev):
    planted = edit_document(dev, "orders-task-policy", "policy", statement(
        "ConsumeOwnQueue", lambda s: s["Action"].remove("sqs:ChangeMessageVisibility")))
    assert denied(planted) == {(DEV_TASK, "sqs:ChangeMessageVisibility")}


def test_a_misspelt_action_grants_nothing(dev):
    planted = edit_document(dev, "orders-task-policy", "policy", statement(
        "ConsumeOwnQueue", lambda s: s.update(Action=[a.replace("Visibility", "Visiblity") for a in s["Action"]])))
    assert denied(planted) == {(DEV_TASK, "sqs:ChangeMessageVisibility")}


def test_a_wildcard_deny_through_not_action(dev):
    deny = {"Effect": "Deny", "NotAction": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": "*"}
    planted = edit_document(dev, "orders-task-policy", "policy", add_statement(deny))
    assert denied(planted) == {(DEV_TASK, "sqs:ChangeMessageVisibility"), (DEV_TASK, "sqs:GetQueueAttributes"),
                               (DEV_TASK, "ecs:UpdateTaskProtection"), (DEV_TASK, "cloudwatch:PutMetricData")}


def test_protection_granted_on_another_clusters_tasks(dev):
    other = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/someone-else/*"
    planted = edit_document(dev, "orders-task-policy", "policy", statement(
        "ProtectOwnTasksWhileBusy", lambda s: s.update(Resource=[other])))
    assert denied(planted) == {(DEV_TASK, "ecs:UpdateTaskProtection")}


def test_metrics_granted_in_another_namespace(points):
    planted = edit_document(points, "track-points-task-policy", "policy", statement(
        "PublishQueueMetrics", lambda s: s.update(Condition={"StringEquals": {"cloudwatch:namespace": "qcap/Other"}})))
    assert denied(planted) == {(role("track-points", "track-points", "task"), "cloudwatch:PutMetricData")}


def test_an_sqs_consumers_metrics_granted_in_the_redis_namespace(dev):
    planted = edit_document(dev, "orders-task-policy", "policy", statement(
        "PublishWorkerMetrics", lambda s: s.update(Condition={"StringEquals": {"cloudwatch:namespace": "qcap/Redis"}})))
    assert denied(planted) == {(DEV_TASK, "cloudwatch:PutMetricData")}


def test_a_scheduled_consumer_without_its_metrics_grant(questions):
    planted = edit_document(questions, "questions-task-policy", "policy", drop_statement("PublishWorkerMetrics"))
    assert denied(planted) == {(role("scheduled-questions", "questions", "task"), "cloudwatch:PutMetricData")}


def test_a_secret_named_by_its_name(points):
    def by_name(props):
        containers = json.loads(props["containerDefinitions"])
        for secret in containers[0]["secrets"]:
            if secret["name"] == "REDIS_AUTH_TOKEN":
                secret["valueFrom"] = "qcap/track-points/track-points/redis-auth"
        props["containerDefinitions"] = json.dumps(containers)
    (finding,) = report(edit(points, "track-points-task", by_name)).violations
    assert (finding.call.principal.arn, finding.call.action) == (TP_EXECUTION, "ssm:GetParameters")
    assert "full ARN" in finding.fix


def test_a_topic_policy_without_cloudwatchs_publish(dev):
    planted = edit_document(dev, "orders-topic", "policy", drop_statement("CloudWatchAlarmsPublish"))
    assert denied(planted) == {(CLOUDWATCH, "sns:Publish")}


def test_a_topic_under_the_aws_managed_sns_key(dev):
    planted = edit(dev, "orders-topic", lambda p: p.update(kmsMasterKeyId="alias/aws/sns"))
    found = report(planted).violations
    assert denied(planted) == {(CLOUDWATCH, "kms:GenerateDataKey")}
    alarms = [r for r in dev if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert len(found) == len(alarms) > 0 and all("alias/aws/sns" in f.missing for f in found)  # one per alarm


def test_an_execution_role_trusting_the_wrong_service(dev):
    planted = edit_document(dev, "orders-execution-role", "assumeRolePolicy", lambda d: d["Statement"][0].update(
        Principal={"Service": "ec2.amazonaws.com"}))
    assert denied(planted) == {("ecs-tasks.amazonaws.com", "sts:AssumeRole")}


def test_a_dlq_under_a_customer_key_the_consumer_cannot_use(dev):
    planted = edit(dev, "orders-dlq", lambda p: p.update(kmsMasterKeyId="alias/qcap-dev", sqsManagedSseEnabled=False))
    planted = edit_document(planted, "stack-key", "policy", statement(
        "AccountAdministers", lambda s: s.update(Action=["kms:Describe*", "kms:Put*", "kms:Create*"])))
    assert (DEV_TASK, "kms:GenerateDataKey") in denied(planted)


def test_an_undocumented_condition_key_is_undecided_not_allowed(dev):
    planted = edit_document(dev, "orders-task-policy", "policy", statement(
        "ConsumeOwnQueue", lambda s: s.update(Condition={"StringEquals": {"aws:SourceAcount": ACCOUNT}})))
    found = report(planted)
    assert found.violations == [] and {f.call.action for f in found.undecided} >= set(SQS)
    assert any("not documented" in r for f in found.undecided for r in f.decision.reasons)


def test_every_violation_names_principal_call_resource_missing_and_fix(points):
    planted = edit_document(points, "track-points-execution-secrets", "policy", drop_statement("DecryptTaskSecrets"))
    (finding,) = report(planted).violations
    entry = finding.as_dict()
    assert entry["principal"].startswith("execution role qcap-track-points-track-points-execution")
    assert entry["resource"] == named(points, "stack-key").props["arn"]
    assert entry["why"].startswith("ECS injects REDIS_AUTH_TOKEN") and entry["missing"] and entry["fix"]
