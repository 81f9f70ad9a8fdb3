"""The same permissions written differently stay quiet: grants in another policy or on the resource side,
wildcards, conditions that include the caller, denies that spare it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from access_planting import (
    ACCOUNT, add_statement, denied, drop_statement, edit, edit_document, named, recorded, report, role, statement,
    without,
)

from policies.access_resources import AccessResource

DEV_TASK = role("dev", "orders", "task")
TP_EXECUTION = role("track-points", "track-points", "execution")
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:qcap-dev-orders"


@pytest.fixture(scope="module")
def dev():
    return recorded("dev")


@pytest.fixture(scope="module")
def points():
    return recorded("track-points")


@pytest.fixture(scope="module")
def questions():
    return recorded("scheduled-questions")


def extra(template: AccessResource, name: str, type_: str, props: dict, deps: dict | None = None) -> AccessResource:
    return replace(template, urn=f"urn:pulumi:test::qcap::{type_}::{name}", type=type_, name=name, props=props,
                   property_dependencies=deps or {})


def test_the_execution_roles_decrypt_granted_by_the_key_policy_naming_the_role(points):
    planted = edit_document(points, "track-points-execution-secrets", "policy", drop_statement("DecryptTaskSecrets"))
    grant = {"Sid": "ExecutionRoleReadsSecrets", "Effect": "Allow", "Principal": {"AWS": TP_EXECUTION},
             "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}}
    assert denied(edit_document(planted, "stack-key", "policy", add_statement(grant))) == set()


def test_cloudwatchs_key_grant_as_explicit_actions_with_a_source_arn_condition(dev):
    def rewrite(s):
        s.update(Action=["kms:Decrypt", "kms:GenerateDataKey"], Principal={"Service": ["cloudwatch.amazonaws.com"]},
                 Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:qcap-dev-*"}})
    planted = edit_document(dev, "stack-key", "policy", statement("CloudWatchAlarmsPublishToEncryptedTopics", rewrite))
    assert denied(planted) == set()


def test_the_logs_grant_as_string_like_on_the_log_groups_arn(dev):
    def rewrite(s):
        s.update(Action=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                 Condition={"StringLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:*:log-group:/qcap/*"}})
    assert denied(edit_document(dev, "stack-key", "policy", statement("CloudWatchLogsEncrypt", rewrite))) == set()


def test_pass_role_through_a_customer_managed_policy_attachment(questions):
    planted = without(questions, "questions-schedule-pass-roles")
    template = named(questions, "questions-schedule-pass-roles")
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/qcap-scheduled-*",
         "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.*"}}}]}
    policy = extra(template, "pass-roles", "aws:iam/policy:Policy",
                   {"name": "pass-roles", "arn": f"arn:aws:iam::{ACCOUNT}:policy/pass-roles",
                    "policy": json.dumps(document)})
    attachment = extra(template, "pass-roles-attach", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                       {"role": "qcap-scheduled-questions-questions-schedule", "policyArn": policy.props["arn"]})
    assert denied([*planted, policy, attachment]) == set()


def test_the_task_roles_queue_access_granted_by_the_queue_policy_instead(dev):
    planted = edit_document(dev, "orders-task-policy", "policy", drop_statement("ConsumeOwnQueue"))
    grant = {"Effect": "Allow", "Principal": {"AWS": [DEV_TASK]}, "Action": "sqs:*Message*", "Resource": QUEUE}
    planted = edit_document(planted, "orders-queue-policy", "policy", add_statement(grant))
    planted = edit_document(planted, "orders-queue-policy", "policy", add_statement(
        {"Effect": "Allow", "Principal": {"AWS": DEV_TASK}, "Action": "sqs:GetQueueAttributes", "Resource": QUEUE}))
    assert denied(planted) == set()


def test_wildcard_actions_and_an_inline_policy_on_the_role(dev):
    planted = without(dev, "orders-task-policy")
    document = {"Statement": [{"Effect": "Allow", "Action": ["sqs:*Message*", "sqs:Get*"], "Resource": QUEUE},
                              {"Effect": "Allow", "Action": "ecs:*TaskProtection",
                               "Resource": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/qcap-dev/*"},
                              {"Effect": "Allow", "Action": "cloudwatch:Put*", "Resource": "*",
                               "Condition": {"StringLike": {"cloudwatch:namespace": "qcap/*"}}}]}
    planted = edit(planted, "orders-task-role", lambda p: p.update(
        inlinePolicies=[{"name": "consume", "policy": json.dumps(document)}]))
    assert denied(planted) == set()


def test_a_deny_without_tls_written_with_a_boolean_spares_the_worker(dev):
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE,
            "Condition": {"Bool": {"aws:SecureTransport": False}}}
    assert denied(edit_document(dev, "orders-queue-policy", "policy", add_statement(deny))) == set()


def test_a_not_action_deny_that_lists_every_call_the_worker_makes(dev):
    deny = {"Effect": "Deny", "NotAction": ["sqs:*", "ecs:UpdateTaskProtection", "cloudwatch:PutMetricData"],
            "Resource": "*"}
    assert denied(edit_document(dev, "orders-task-policy", "policy", add_statement(deny))) == set()


def test_a_not_principal_deny_of_other_accounts_spares_the_role_by_its_condition(dev):
    # NotPrincipal cannot spare a task's session (its name is the task id), but the condition can.
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "sqs:*", "Resource": QUEUE,
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}}
    assert denied(edit_document(dev, "orders-queue-policy", "policy", add_statement(deny))) == set()


def test_a_condition_on_the_roles_own_tag_includes_it(dev):
    planted = edit_document(dev, "orders-task-policy", "policy", statement(
        "ConsumeOwnQueue", lambda s: s.update(Condition={"StringEquals": {"aws:PrincipalTag/qcap:stack": "dev"},
                                                         "Bool": {"aws:SecureTransport": "true"}})))
    assert denied(planted) == set() and report(planted).undecided == []


def test_a_secret_by_full_arn_with_a_json_key(points):
    arn = named(points, "track-points-cache-auth").props["arn"]

    def json_key(props):
        containers = json.loads(props["containerDefinitions"])
        for secret in containers[0]["secrets"]:
            if secret["name"] == "REDIS_AUTH_TOKEN":
                secret["valueFrom"] = f"{arn}:token::"
        props["containerDefinitions"] = json.dumps(containers)
    planted = edit(points, "track-points-task", json_key)
    found = report(planted)
    assert found.violations == []
    assert {f.call.action for f in found.findings if f.call.principal.arn == TP_EXECUTION} >= {
        "secretsmanager:GetSecretValue", "kms:Decrypt"}


def test_the_managed_execution_policy_named_in_the_role_instead_of_attached(dev):
    planted = without(dev, "orders-execution-role-policy")
    planted = edit(planted, "orders-execution-role", lambda p: p.update(
        managedPolicyArns=["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]))
    assert denied(planted) == set()


def test_a_redis_worker_without_metric_namespace_publishes_in_the_contracts_default(points):
    def drop_namespace(props):
        containers = json.loads(props["containerDefinitions"])
        containers[0]["environment"] = [e for e in containers[0]["environment"] if e["name"] != "METRIC_NAMESPACE"]
        props["containerDefinitions"] = json.dumps(containers)
    found = report(edit(points, "track-points-task", drop_namespace))
    metrics = [f for f in found.findings if f.call.action == "cloudwatch:PutMetricData"]
    assert [f.call.context["cloudwatch:namespace"] for f in metrics] == ["qcap/Redis"]
    assert found.violations == []
