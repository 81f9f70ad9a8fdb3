"""The consumer building blocks over gRPC: FargateConsumer (on SQS, and on Redis composed with a
RedisCache's outputs) and ScheduledConsumer register the very subtree the Python program registers;
one given the other mode, or no region, says so by input name."""

from __future__ import annotations

import pytest
from provider_harness import ProviderProcess, output_of, subtree, tree

from capacity import contract
from capacity.profile import resolve_stack
from components.redis_cache import REDIS_PORT
from qcap.offline.mock_engine import run_program
from qcap.offline.pulumi_project import OFFLINE_SECRET_VALUE, stack_config

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def key_policy_apart(registrations: dict, name: str) -> tuple[dict, str]:
    """The registrations without role policy `name`'s document, and that document.

    Given a key ARN as a plain input, a block names that key in the role's KMS statement; the
    program, whose key is created in the same run, names it by alias or pattern. Both grant the
    same key, so the document is compared apart: the block's must name the key it was given.
    """
    (found,) = [k for k in registrations if k[0] == ROLE_POLICY and k[1] == name]
    inputs, protected = registrations[found]
    document = inputs["policy"]
    rest = {**registrations, found: ({k: v for k, v in inputs.items() if k != "policy"}, protected)}
    return rest, document

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider():
    with ProviderProcess() as process:
        yield process


@pytest.fixture(scope="module")
def runs():
    return {stack: run_program(stack) for stack in ("dev", "scheduled-questions", "track-points")}


def stack_inputs(stack: str, run) -> dict:
    """Profile, network and the stack's cluster and key, as the Python program hands them to a consumer."""
    config = stack_config(stack)[0]
    return {"profileYaml": resolve_stack(stack).read_text(), "stack": stack,
            "subnetIds": config["qcap:subnetIds"], "securityGroupIds": config["qcap:securityGroupIds"],
            "clusterArn": output_of(run.registrations, "aws:ecs/cluster:Cluster")["arn"],
            "kmsKeyArn": output_of(run.registrations, "aws:kms/key:Key")["arn"]}


def built(provider, type_name: str, inputs: dict, stack: str, **options):
    construction = provider.construct(type_name, "consumer", inputs, stack=stack, **options)
    assert construction.ok, f"{construction.error.details()}\n{provider.stderr()}"
    return construction


def test_fargate_consumer_on_sqs_registers_the_python_programs_service(provider, runs):
    exported = runs["dev"].outputs["workloads"]["orders"]
    queue = {key: exported[key] for key in ("queueUrl", "queueArn", "queueName")}
    construction = built(provider, "FargateConsumer", {**stack_inputs("dev", runs["dev"]), **queue}, "dev")
    assert tree(construction.registrations, {construction.urn}) == subtree(
        runs["dev"].registrations, "qcap:aws:FargateConsumer", "orders")
    assert construction.state["serviceName"] == exported["serviceName"]
    assert construction.state["clusterName"] == exported["clusterName"]


def test_fargate_consumer_on_redis_composed_with_a_redis_cache_registers_the_python_programs(provider, runs):
    run = runs["track-points"]
    config = stack_config("track-points")[0]
    inputs = stack_inputs("track-points", run)
    cache = built(provider, "RedisCache", {
        "profileYaml": inputs["profileYaml"], "stack": "track-points", "vpcId": config["qcap:vpcId"],
        "subnetIds": inputs["subnetIds"], "consumerSecurityGroupIds": inputs["securityGroupIds"],
        "authToken": OFFLINE_SECRET_VALUE, "alarmTopicArn": output_of(run.registrations, "aws:sns/topic:Topic")["arn"],
        "kmsKeyArn": inputs["kmsKeyArn"]}, "track-points", secret_inputs=["authToken"]).state
    consumer = built(provider, "FargateConsumer", {
        **inputs, "environment": {contract.REDIS_PORT.name: str(REDIS_PORT), contract.REDIS_TLS.name: "true"},
        "secrets": {contract.REDIS_AUTH_TOKEN.name: cache["authSecretArn"],
                    contract.REDIS_HOST.name: cache["hostParameterName"]},
        "secretArns": cache["secretArns"], "parameterArns": cache["parameterArns"],
        "secretsKmsKeyArn": inputs["kmsKeyArn"]}, "track-points")
    block, block_policy = key_policy_apart(tree(consumer.registrations, {consumer.urn}), "track-points-execution-secrets")
    program, _ = key_policy_apart(subtree(run.registrations, "qcap:aws:FargateConsumer", "track-points"), "track-points-execution-secrets")
    assert block == program
    assert inputs["kmsKeyArn"] in block_policy and "redis-auth-??????" in block_policy


def test_scheduled_consumer_registers_the_python_programs_schedule(provider, runs):
    run = runs["scheduled-questions"]
    exported = run.outputs["workloads"]["questions"]
    inputs = {**stack_inputs("scheduled-questions", run), "queueUrl": exported["queueUrl"],
              "queueArn": exported["queueArn"], "kmsKeyAlias": "alias/qcap-scheduled-questions"}
    construction = built(provider, "ScheduledConsumer", inputs, "scheduled-questions")
    block, block_policy = key_policy_apart(tree(construction.registrations, {construction.urn}), "questions-schedule-policy")
    program, _ = key_policy_apart(subtree(run.registrations, "qcap:aws:ScheduledConsumer", "questions"), "questions-schedule-policy")
    assert block == program
    assert inputs["kmsKeyArn"] in block_policy and "kms:Decrypt" in block_policy
    assert construction.state["scheduleName"] == exported["scheduleName"]


def test_a_consumer_of_the_other_mode_or_without_a_region_says_so_by_name(provider, runs):
    run = runs["scheduled-questions"]
    exported = run.outputs["workloads"]["questions"]
    inputs = {**stack_inputs("scheduled-questions", run), "queueUrl": exported["queueUrl"],
              "queueArn": exported["queueArn"], "queueName": exported["queueName"]}
    wrong = provider.construct("FargateConsumer", "consumer", inputs, stack="scheduled-questions")
    assert wrong.error.details() == ("FargateConsumer 'consumer': FargateConsumer 'questions': consumer mode is "
                                     "'scheduled'; use ScheduledConsumer for mode scheduled")
    nowhere = provider.construct("ScheduledConsumer", "consumer", inputs, stack="scheduled-questions", config={})
    assert nowhere.error.details().startswith("ScheduledConsumer 'consumer': input region is not set (")
    assert nowhere.property_errors()[0][0] == "region"
    assert wrong.registrations == [] and nowhere.registrations == []
