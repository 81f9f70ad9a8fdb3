"""The components give every role what its run-time calls need: tested through the access check of a mock run.

Each test here failed before its fix: the Redis consumer named its AUTH secret by name (ECS reads a
bare name as an SSM parameter) and its execution role could not decrypt the secret's key; the
schedule role could not decrypt its schedule's key.
"""

from __future__ import annotations

import json

from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, SQS_WORKLOAD

from components.workload import build_stack, read_settings
from qcap.offline.access import check_run
from qcap.offline.mock_engine import run_function
from test_workload import NETWORK, REDIS_CONFIG, TEST_STACK, stack_plan

REGION = "eu-west-1"


def run_stack(workload, config, new_stack=False):
    the_plan = stack_plan(workload)
    run = run_function(lambda: build_stack(the_plan, read_settings(the_plan)), stack=TEST_STACK,
                       config={"aws:region": REGION, **config}, new_stack=new_stack)
    assert run.ok, run.error
    return run


def violations(run):
    report, _ = check_run(run)
    return [f.describe() for f in report.violations]


def test_the_redis_consumer_names_its_auth_secret_by_the_secrets_full_arn():
    run = run_stack(REDIS_WORKLOAD, REDIS_CONFIG)
    definition = json.loads(run.named("points-task").inputs["containerDefinitions"])[0]
    secrets = {s["name"]: s["valueFrom"] for s in definition["secrets"]}
    assert secrets["REDIS_AUTH_TOKEN"] == run.named("points-cache-auth").outputs["arn"]
    assert secrets["REDIS_HOST"] == "/qcap/unit/points/redis-host"  # an SSM parameter: a name is what ECS reads


def test_the_redis_execution_role_can_read_and_decrypt_its_secret():
    run = run_stack(REDIS_WORKLOAD, REDIS_CONFIG)
    report, _ = check_run(run)
    decrypt = [f for f in report.findings if f.call.action == "kms:Decrypt" and "execution" in f.principal]
    assert decrypt and all(f.decision.allowed for f in decrypt)
    assert violations(run) == []


def test_the_execution_roles_key_statement_is_known_at_a_new_stacks_first_preview():
    run = run_stack(REDIS_WORKLOAD, REDIS_CONFIG, new_stack=True)
    policy = json.loads(run.named("points-execution-secrets").inputs["policy"])
    decrypt = next(s for s in policy["Statement"] if s["Action"] == ["kms:Decrypt"])
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    assert violations(run) == []


def test_the_schedule_role_can_decrypt_the_schedules_key():
    run = run_stack(SCHEDULED_WORKLOAD, NETWORK)
    assert run.named("questions-schedule").inputs["kmsKeyArn"]
    assert violations(run) == []


def test_the_schedule_roles_key_statement_is_known_at_a_new_stacks_first_preview():
    run = run_stack(SCHEDULED_WORKLOAD, NETWORK, new_stack=True)
    policy = json.loads(run.named("questions-schedule-policy").inputs["policy"])
    assert any(s["Action"] == ["kms:Decrypt"] for s in policy["Statement"])
    assert violations(run) == []


def test_an_sqs_service_stack_has_no_access_violation():
    assert violations(run_stack(SQS_WORKLOAD, NETWORK)) == []


def test_a_configured_key_outside_the_stack_leaves_its_calls_undecided_naming_the_key():
    key = "arn:aws:kms:eu-west-1:123456789012:key/0b9c3f8e-1111-4222-8333-444455556666"
    run = run_stack(SCHEDULED_WORKLOAD, {**NETWORK, "qcap:kmsKeyArn": key})
    policy = json.loads(run.named("questions-schedule-policy").inputs["policy"])
    assert next(s for s in policy["Statement"] if s.get("Sid") == "DecryptSchedule")["Resource"] == [key]
    report, _ = check_run(run)
    assert report.violations == []
    on_key = [f for f in report.undecided if f.call.resource == key]
    assert {f.call.action for f in on_key} >= {"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}
    assert all("not in the stack" in " ".join(f.decision.reasons) for f in on_key)
