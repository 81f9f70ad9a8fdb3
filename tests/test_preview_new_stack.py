"""The gate decides before anything exists: `qcap preview --new-stack` (and the mock engine's new-stack mode)
marks every output a provider computes on create as unknown, as `pulumi preview` of a new stack does, and
every mandatory rule still decides on every shipped stack."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from capacity.profile import stack_names
from qcap.cli import app
from qcap.offline.mock_engine import run_function
from qcap.offline.preview import program_config, run_stack_program
from qcap.commands.stack_loading import load_stack

pytestmark = pytest.mark.slow
runner = CliRunner()
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
def test_new_stack_mode_leaves_computed_outputs_unknown_and_inputs_known():
    import pulumi_aws as aws

    def program():
        queue = aws.sqs.Queue("q", name="orders")
        aws.sqs.QueuePolicy("p", queue_url=queue.url, policy="{}")

    run = run_function(program, new_stack=True)
    queue, policy = run.named("q"), run.named("p")
    assert queue.outputs["name"] == "orders" and "arn" not in queue.outputs and queue.id == ""
    assert policy.inputs["queueUrl"] == UNKNOWN and policy.inputs["policy"] == "{}"


def test_components_build_redrive_and_queue_policies_known_on_a_new_stack():
    loaded = load_stack("dev")
    overrides, _ = program_config(loaded)
    run = run_stack_program("dev", overrides, None, new_stack=True)
    assert run.ok, run.error
    queue = run.named("orders-queue")
    assert json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"].endswith(":qcap-dev-orders-dlq")
    assert "arn" not in queue.outputs  # SQS assigns it on create: unknown here
    assert "aws:SecureTransport" in run.named("orders-queue-policy").inputs["policy"]


# A Redis consumer's containers carry its AUTH secret's full ARN, whose suffix Secrets Manager picks on create
# (ECS takes a secret by full ARN only), so its container definitions are unknown at the first preview. These
# rules read them: they decide at every later preview, and in `pulumi up` before the task definition is created.
CONTAINER_RULES = ("ecs-not-privileged", "ecs-no-plaintext-secrets", "ecs-read-only-root", "ecs-no-added-capabilities")


def container_rules_blind_before_the_secret_exists(stack: str) -> set[tuple[str, str, str]]:
    plan = load_stack(stack).plan
    return {(stack, rule, f"{w.name}-task") for w in plan.workloads if w.broker == "redis" for rule in CONTAINER_RULES}


@pytest.mark.parametrize("stack", stack_names())
def test_every_mandatory_rule_decides_on_the_first_preview_of_every_shipped_stack(stack):
    result = runner.invoke(app, ["preview", stack, "--new-stack", "--json"])
    report = json.loads(result.stdout)
    assert report["mode"] == "new-stack"
    blind = {(stack, u["policy"], u["resource"]) for u in report["new_stack"]["undecided"]
             if u["level"] == "mandatory"}
    # The roles are named explicitly, so even the scheduler's PassRole policy is known; only the containers
    # that name a secret by its ARN wait for the secret.
    assert blind == container_rules_blind_before_the_secret_exists(stack)
    assert [v for v in report["violations"] if v["level"] == "mandatory"] == []
    assert result.exit_code == 0


def test_default_preview_reports_the_update_and_the_first_preview(tmp_path):
    result = runner.invoke(app, ["preview", "event-backlog"])
    assert result.exit_code == 0, result.stdout
    assert "first preview of a new stack" in result.stdout
    assert "0 mandatory rule(s) cannot decide" in result.stdout
