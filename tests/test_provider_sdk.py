"""What the provider SDKs declare about a token: classes, inputs, computed outputs and data source results."""

from __future__ import annotations

import pulumi_aws as aws

from qcap.offline.provider_sdk import (
    args_class,
    computed_outputs,
    invoke_result_types,
    resource_class,
    resource_output_types,
    sdk_module,
)


def test_a_module_named_after_a_python_keyword_is_found_under_its_trailing_underscore():
    assert sdk_module("pulumi_aws", "lambda") is aws.lambda_
    assert resource_class("aws:lambda/function:Function") is aws.lambda_.Function
    assert args_class("aws:lambda/function:Function") is aws.lambda_.FunctionArgs


def test_unknown_modules_types_and_providers_resolve_to_none():
    assert sdk_module("pulumi_aws", "nosuchmodule") is None
    assert resource_class("aws:nosuchmodule/thing:Thing") is None
    assert resource_class("qcap:aws:QueueWithDlq") is None
    assert resource_output_types("aws:sqs/noSuchThing:NoSuchThing") == {}


def test_computed_outputs_are_the_declared_outputs_that_are_not_inputs():
    computed = computed_outputs("aws:iam/policy:Policy")
    assert {"arn", "policyId", "attachmentCount", "tagsAll"} <= set(computed)
    assert not {"name", "policy", "path"} & set(computed)
    assert {"invokeArn", "qualifiedArn", "version"} <= set(computed_outputs("aws:lambda/function:Function"))


def test_a_data_source_declares_the_outputs_of_its_result_type():
    outputs = invoke_result_types("aws:iam/getPolicyDocument:getPolicyDocument")
    assert {"json", "minifiedJson", "statements", "id"} <= set(outputs) and outputs["json"] is str
    assert {"names", "zoneIds"} <= set(invoke_result_types("aws:index/getAvailabilityZones:getAvailabilityZones"))
    assert invoke_result_types("aws:iam/getNoSuchThing:getNoSuchThing") == {}
