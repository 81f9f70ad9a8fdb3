"""Condition operators as the IAM User Guide documents them ("IAM JSON policy elements: Condition operators",
"Multivalued context keys"), including what a key missing from the request does to each."""

from __future__ import annotations

import pytest

from policies.iam_catalogue import action_exists, expand_action, key_status
from policies.iam_conditions import ABSENT, UNKNOWN, evaluate_condition

ACT = "kms:Decrypt"



CTX = {"aws:sourceaccount": "111122223333", "aws:securetransport": True, "aws:tagkeys": ["team", "cost"],
       "kms:encryptioncontext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:log-group:/qcap/dev/orders",
       "aws:principalaccount": "111122223333", "aws:sourceip": "10.0.1.5", "aws:epochtime": "1700000000"}


@pytest.mark.parametrize("block, expected", [
    ({"StringEquals": {"aws:SourceAccount": "111122223333"}}, True),
    ({"StringEquals": {"AWS:SOURCEACCOUNT": "111122223333"}}, True),  # keys are case-insensitive
    ({"StringEquals": {"aws:SourceAccount": ["444455556666", "111122223333"]}}, True),  # values: OR
    ({"StringNotEquals": {"aws:SourceAccount": ["444455556666", "111122223333"]}}, False),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalAccount": "111122223333"}}, True),
    ({"StringLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:111122223333:log-group:/qcap/*"}}, True),
    ({"StringLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:111122223333:log-group:/other/*"}},
     False),
    ({"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:log-group:*"}}, True),
    ({"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:444455556666:log-group:*"}}, False),
    ({"ArnNotLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:*:log-group:/other*"}}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, False),
    ({"Bool": {"aws:SecureTransport": "true"}}, True),
    ({"NumericLessThan": {"aws:EpochTime": "1800000000"}}, True),
    ({"DateGreaterThan": {"aws:EpochTime": "2024-01-01T00:00:00Z"}}, False),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}, True),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/16"}}, False),
    ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}, True),  # a policy variable
    ({"StringEquals": {"aws:SourceAccount": "111122223333"}, "Bool": {"aws:SecureTransport": "false"}}, False),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "owner"]}}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "owner"]}}, True),
    ({"Null": {"aws:TagKeys": "false"}}, True),
])
def test_operators_against_a_known_request(block, expected):
    assert evaluate_condition(block, CTX, ACT)[0] is expected


@pytest.mark.parametrize("block, expected", [
    ({"StringEquals": {"aws:SourceArn": "arn:aws:cloudwatch:*"}}, False),  # positive operator: false
    ({"StringNotEquals": {"aws:SourceArn": "arn:aws:cloudwatch:*"}}, True),  # negated: true
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudwatch:*"}}, True),
    ({"StringEqualsIfExists": {"aws:SourceArn": "arn:aws:cloudwatch:*"}}, True),  # IfExists: true
    ({"ForAllValues:StringEquals": {"aws:SourceArn": "x"}}, True),  # documented pitfall: vacuously true
    ({"ForAnyValue:StringEquals": {"aws:SourceArn": "x"}}, False),
    ({"Null": {"aws:SourceArn": "true"}}, True),
])
def test_a_key_missing_from_the_request(block, expected):
    assert evaluate_condition(block, {"aws:sourcearn": ABSENT}, ACT)[0] is expected


def test_a_key_the_action_never_carries_counts_as_missing():
    # kms:GrantOperations is a KMS key, but Decrypt requests do not carry it.
    assert evaluate_condition({"StringEquals": {"kms:GrantOperations": "Decrypt"}}, {}, ACT)[0] is False
    assert evaluate_condition({"StringNotEquals": {"kms:GrantOperations": "Decrypt"}}, {}, ACT)[0] is True


def test_an_undocumented_key_is_unknown_and_says_so():
    result, reasons = evaluate_condition({"StringEquals": {"aws:SourceAcount": "111122223333"}}, CTX, ACT)
    assert result is None and "not documented for any AWS service" in reasons[0]


def test_a_key_whose_value_is_not_known_offline_is_unknown():
    result, reasons = evaluate_condition({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:sourceip": UNKNOWN}, ACT)
    assert result is None and "not known offline" in reasons[0]
    result, _ = evaluate_condition({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, {}, ACT)
    assert result is None  # the request may or may not come through an endpoint


def test_an_unknown_key_beside_a_false_one_still_decides_false():
    block = {"StringEquals": {"aws:SourceAccount": "444455556666", "aws:SourceVpce": "vpce-1"}}
    assert evaluate_condition(block, CTX, ACT)[0] is False


def test_an_operator_iam_does_not_have_is_unknown():
    result, reasons = evaluate_condition({"StringEqualz": {"aws:SourceAccount": "1"}}, CTX, ACT)
    assert result is None and "not an IAM operator" in reasons[0]


def test_the_catalogue_knows_actions_and_which_keys_a_request_carries():
    assert action_exists("sqs:ChangeMessageVisibility") and not action_exists("sqs:ChangeMessageVisiblity")
    assert {"kms:generatedatakey", "kms:generatedatakeypair"} <= expand_action("kms:GenerateDataKey*")
    assert key_status("cloudwatch:namespace", "cloudwatch:PutMetricData") == "applies"
    assert key_status("iam:PassedToService", "iam:PassRole") == "applies"
    assert key_status("kms:ViaService", "kms:Decrypt") == "applies"
    assert key_status("aws:SourceArn", "sns:Publish") == "global"
    assert key_status("sqs:NoSuchKey", "sqs:ReceiveMessage") == "unknown-key"
