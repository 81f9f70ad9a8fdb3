"""The queue-side building blocks over gRPC: QueueWithDlq, QueueAlarms, RedisCache, CloudflareQueue and
Dashboard, each given what the Python program wires into it, register the very subtree the Python
program registers for that component; a block given the wrong kind of queue says which it takes."""

from __future__ import annotations

import pytest
from provider_harness import ProviderProcess, output_of, subtree, tree

from capacity.profile import resolve_stack
from components.stack_key import key_alias_name
from qcap.offline.mock_engine import run_program
from qcap.offline.pulumi_project import OFFLINE_SECRET_VALUE, stack_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider():
    with ProviderProcess() as process:
        yield process


@pytest.fixture(scope="module")
def runs():
    return {stack: run_program(stack) for stack in ("dev", "job-queues", "track-points", "session-events")}


def profile(stack: str) -> dict:
    return {"profileYaml": resolve_stack(stack).read_text(), "stack": stack}


def built(provider, type_name: str, name: str, inputs: dict, stack: str, **options):
    construction = provider.construct(type_name, name, inputs, stack=stack, **options)
    assert construction.ok, f"{construction.error.details()}\n{provider.stderr()}"
    return construction


def below(construction) -> dict:
    return tree(construction.registrations, {construction.urn})


@pytest.mark.parametrize(("stack", "queue"), [("dev", None), ("job-queues", "notify-high"), ("job-queues", "jobs-3")])
def test_queue_with_dlq_registers_the_python_programs_queues(provider, runs, stack, queue):
    inputs = {**profile(stack), **({"queue": queue} if queue else {})}
    construction = built(provider, "QueueWithDlq", "queue", inputs, stack)
    name = queue or "orders"
    assert below(construction) == subtree(runs[stack].registrations, "qcap:aws:QueueWithDlq", name)
    exported = runs[stack].outputs["workloads"][name]
    assert {k: construction.state[k] for k in ("queueUrl", "queueArn", "dlqName")} == {
        k: exported[k] for k in ("queueUrl", "queueArn", "dlqName")}


def test_queue_alarms_register_the_python_programs_alarms_and_topic(provider, runs):
    exported = runs["dev"].outputs["workloads"]["orders"]
    inputs = {**profile("dev"), "queueName": exported["queueName"], "dlqName": exported["dlqName"],
              "clusterName": exported["clusterName"], "serviceName": exported["serviceName"],
              "kmsKeyId": key_alias_name("dev")}
    construction = built(provider, "QueueAlarms", "alarms", inputs, "dev")
    assert below(construction) == subtree(runs["dev"].registrations, "qcap:aws:QueueAlarms", "orders")
    assert construction.state["alarmArns"] == exported["alarmArns"]
    assert construction.state["topicArn"] == exported["alarmTopicArn"]


def test_redis_cache_registers_the_python_programs_cache(provider, runs):
    registrations = runs["track-points"].registrations
    config = stack_config("track-points")[0]
    inputs = {**profile("track-points"), "vpcId": config["qcap:vpcId"], "subnetIds": config["qcap:subnetIds"],
              "consumerSecurityGroupIds": config["qcap:securityGroupIds"], "authToken": OFFLINE_SECRET_VALUE,
              "alarmTopicArn": output_of(registrations, "aws:sns/topic:Topic")["arn"],
              "kmsKeyArn": output_of(registrations, "aws:kms/key:Key")["arn"]}
    construction = built(provider, "RedisCache", "cache", inputs, "track-points", secret_inputs=["authToken"])
    assert below(construction) == subtree(registrations, "qcap:aws:RedisCache", "track-points-cache")
    assert construction.state["primaryEndpoint"] == runs["track-points"].outputs["workloads"]["track-points"][
        "cacheEndpoint"]


def test_cloudflare_queue_registers_the_python_programs_shards_and_consumers(provider, runs):
    inputs = {**profile("session-events"), "accountId": stack_config("session-events")[0]["qcap:cloudflareAccountId"]}
    construction = built(provider, "CloudflareQueue", "queue", inputs, "session-events")
    assert below(construction) == subtree(runs["session-events"].registrations, "qcap:cloudflare:CloudflareQueue",
                                          "sessions")
    exported = runs["session-events"].outputs["workloads"]["sessions"]
    assert construction.state["queueNames"] == exported["queueNames"]
    assert construction.state["routingRule"] == exported["routingRule"]


def test_dashboard_registers_the_python_programs_dashboard(provider, runs):
    exported = runs["dev"].outputs["workloads"]["orders"]
    panel = {"queue": "orders", "queueName": exported["queueName"], "dlqName": exported["dlqName"],
             "clusterName": exported["clusterName"], "serviceName": exported["serviceName"]}
    construction = built(provider, "Dashboard", "dashboard", {**profile("dev"), "panels": [panel]}, "dev")
    assert below(construction) == subtree(runs["dev"].registrations, "qcap:monitoring:Dashboard", "dashboard")
    assert construction.state["url"] == runs["dev"].outputs["dashboardUrl"]


def test_a_block_given_the_wrong_kind_of_queue_says_which_it_takes(provider):
    construction = provider.construct("QueueWithDlq", "queue", profile("session-events"), stack="session-events")
    assert construction.error.details() == ("QueueWithDlq 'queue': QueueWithDlq: workload 'sessions' has broker "
                                            "'cloudflare'; allowed: sqs, sqs-fifo")
    assert construction.registrations == []
    panel = {"queue": "orders"}
    dashboard = provider.construct("Dashboard", "d", {**profile("dev"), "panels": [panel]}, stack="dev")
    assert dashboard.error.details() == ("Dashboard 'd': Dashboard: workload 'orders' uses sqs; set `queue_name` "
                                         "and `dlq_name`")
