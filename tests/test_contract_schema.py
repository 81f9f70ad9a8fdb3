"""The provider schema layer: recorded inputs against pulumi-aws / pulumi-cloudflare's typed Args."""

from __future__ import annotations

import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
from factories import registration

from qcap.offline.contract_schema import args_class, check_schema, required_wire_names, wire_types

QUEUE = "aws:sqs/queue:Queue"


def messages(*resources) -> list[str]:
    return [v.message for v in check_schema(list(resources)).violations]


def test_args_class_comes_from_the_resources_own_module():
    assert args_class(QUEUE) is aws.sqs.QueueArgs
    assert args_class("aws:ecs/service:Service") is aws.ecs.ServiceArgs


def test_args_class_is_the_init_args_when_a_nested_block_took_the_name():
    consumer = args_class("cloudflare:index/queueConsumer:QueueConsumer")
    assert consumer.__name__ == "QueueConsumerInitArgs"
    assert consumer is not cloudflare.QueueConsumerArgs  # the Queue's `consumers` block
    assert {"accountId", "queueId", "settings"} <= set(wire_types(consumer))


def test_args_class_is_none_for_component_and_unknown_types():
    assert args_class("qcap:aws:QueueWithDlq") is None
    assert args_class("aws:sqs/noSuchThing:NoSuchThing") is None


def test_required_wire_names_are_camel_case():
    assert required_wire_names(aws.iam.RolePolicyArgs) == {"policy", "role"}
    assert "assumeRolePolicy" in required_wire_names(aws.iam.RoleArgs)


def test_schema_accepts_a_queue_with_numbers_sent_as_floats():
    queue = registration(QUEUE, "q", {"name": "qcap-dev-q", "visibilityTimeoutSeconds": 60.0,
                                      "sqsManagedSseEnabled": True, "tags": {"qcap:role": "queue"}})
    checker = check_schema([queue])
    # the type has Args (1), four known keys (4), four typed values (4), one tag value (1)
    assert checker.violations == [] and checker.checks == 10


def test_schema_names_an_unknown_top_level_key_with_the_known_ones():
    queue = registration(QUEUE, "q", {"visibilityTimeout": 60.0})
    (violation,) = check_schema([queue]).violations
    assert (violation.resource, violation.field, violation.limit) == ("q", "visibilityTimeout", "the keys of QueueArgs")
    assert violation.message.startswith("unknown key 'visibilityTimeout' (known: contentBasedDeduplication, ")
    assert violation.source.startswith("pulumi_aws 7.") and violation.source.endswith("typed Args (QueueArgs)")


def test_schema_names_an_unknown_key_inside_a_list_of_nested_blocks():
    alarm = registration("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {
        "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1.0,
        "metricQueries": [{"id": "m1", "returnData": True, "metric": {"metricName": "X", "namespace": "N",
                                                                       "period": 60.0, "stat": "Sum", "dims": {}}}]})
    (violation,) = check_schema([alarm]).violations
    assert violation.field == "metricQueries[0].metric.dims"
    assert violation.limit == "the keys of MetricAlarmMetricQueryMetricArgs"


def test_schema_names_a_missing_required_key():
    policy = registration("aws:iam/rolePolicy:RolePolicy", "p", {"role": "r"})
    assert messages(policy) == ["missing required key"]
    assert check_schema([policy]).violations[0].field == "policy"


def test_schema_names_a_wrong_scalar_type():
    queue = registration(QUEUE, "q", {"visibilityTimeoutSeconds": "60s", "fifoQueue": "true",
                                      "delaySeconds": 1.5})
    assert messages(queue) == ["expected int, got str '60s'", "expected bool, got str 'true'",
                               "expected int, got float 1.5"]


def test_schema_skips_component_resources():
    component = registration("qcap:aws:QueueWithDlq", "events", {"anything": 1}, custom=False)
    assert check_schema([component]).checks == 0


def test_a_lambda_function_is_checked_against_the_lambda_modules_args():
    assert args_class("aws:lambda/function:Function") is aws.lambda_.FunctionArgs
    fn = registration("aws:lambda/function:Function", "fn", {"role": "arn:aws:iam::123456789012:role/r",
                                                             "runtime": "python3.12", "handler": "app.handler"})
    assert messages(fn) == []
    assert messages(registration("aws:lambda/function:Function", "fn", {"timeout": 3.0})) == [
        "missing required key"]
