"""The pack's policy semantics: documents read however they are written, patterns for what they allow."""

from __future__ import annotations

import json

import pytest

from policies.iam_policy import (
    allowed_actions,
    denies_without_tls,
    every_action_services,
    is_every_resource,
    open_to_anyone,
    parse,
    pinned,
)
from policies.rules_iam import broad_managed_policy

SEND = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}


def doc(*statements, as_list=True):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements) if as_list else statements[0]})


def test_a_statement_given_as_one_object_in_a_json_string_is_read_like_a_list():
    assert [s.actions for s in parse(doc(SEND, as_list=False))] == [("sqs:SendMessage",)]
    assert [s.actions for s in parse({"Statement": [SEND]})] == [("sqs:SendMessage",)]


def test_action_patterns_expand_to_the_catalogue_actions_they_name():
    purge = parse(doc({**SEND, "Action": "sqs:Purge*"}))[0]
    assert allowed_actions(purge) == {"sqs:purgequeue"}
    every = parse(doc({**SEND, "Action": ["sqs:*"]}))[0]
    assert every_action_services(every) == ["sqs"]
    assert every_action_services(parse(doc({**SEND, "Action": "*"}))[0]) == ["*"]


def test_not_action_allows_everything_but_what_it_lists():
    statement = parse(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))[0]
    actions = allowed_actions(statement)
    assert "sqs:deletequeue" in actions and "iam:passrole" not in actions


@pytest.mark.parametrize("pattern,every", [("*", True), ("arn:aws:sqs:*:*:*", True), ("arn:aws:sqs:*:*:*/*", True),
                                           ("arn:aws:sqs:us-east-1:123456789012:*", False),
                                           ("arn:aws:sqs:*:*:orders", False)])
def test_a_resource_of_wildcards_in_region_account_and_name_is_every_resource(pattern, every):
    assert is_every_resource(pattern) is every


@pytest.mark.parametrize("condition,pins", [
    ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, True),
    ({"StringNotEquals": {"aws:SourceAccount": "123456789012"}}, False),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, False),
    ({"ArnLike": {"aws:sourcearn": "arn:aws:sns:us-east-1:123456789012:*"}}, True),
    ({"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}, False),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, True),
    ({"StringLike": {"aws:PrincipalOrgID": "*"}}, False),
    ({"Null": {"aws:SourceArn": "false"}}, False),
    ({"StringEquals": {"aws:UserAgent": "me"}}, False),
])
def test_a_condition_restricts_only_when_operator_and_value_pin_the_caller(condition, pins):
    statement = parse(doc({**SEND, "Condition": condition}))[0]
    assert pinned(statement) is pins
    assert bool(open_to_anyone(doc({**SEND, "Condition": condition}))) is not pins


def test_not_principal_on_an_allow_is_open_to_everyone_else():
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
                 "Action": "sqs:SendMessage", "Resource": "*"}
    assert [s.name for s in open_to_anyone(doc(statement))] == ["statement 1"]


def deny(**overrides):
    return {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}, **overrides}


@pytest.mark.parametrize("statement", [
    deny(),
    deny(Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}),
    deny(Condition={"Bool": {"aws:SecureTransport": ["false"]}}),
    deny(Condition={"Bool": {"aws:securetransport": "false"}}),
    deny(Principal={"AWS": "*"}, Action="*"),
])
def test_valid_forms_of_a_tls_only_deny_satisfy_it(statement):
    assert denies_without_tls(doc(statement), "sqs") is not None


@pytest.mark.parametrize("statement", [
    deny(Action="sqs:SendMessage"),
    deny(Principal={"AWS": "arn:aws:iam::123456789012:role/one"}),
    deny(Condition={"Bool": {"aws:SecureTransport": "true"}}),
    deny(Condition={"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:SourceAccount": "1"}}),
    deny(NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}),
    {**deny(), "Effect": "Allow"},
])
def test_a_narrow_deny_does_not_satisfy_tls_only(statement):
    if "NotPrincipal" in statement:
        statement.pop("Principal")
    assert denies_without_tls(doc(statement), "sqs") is None


@pytest.mark.parametrize("arn,broad", [
    ("arn:aws:iam::aws:policy/AmazonECS_FullAccess", True),
    ("arn:aws:iam::aws:policy/AdministratorAccess", True),
    ("arn:aws:iam::aws:policy/PowerUserAccess", True),
    ("arn:aws:iam::aws:policy/AmazonSQSFullAccess", True),
    ("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", False),
    ("arn:aws:iam::123456789012:policy/AdministratorAccess", False),
])
def test_admin_and_full_access_policies_come_from_aws_list_not_a_name_pattern(arn, broad):
    assert bool(broad_managed_policy(arn)) is broad


def test_grants_say_who_can_do_what_on_which_resource_and_whether_strangers_reach_it():
    from policies.iam_policy import grants

    document = doc(
        {"Sid": "Own", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/worker"},
         "Action": "sqs:Receive*", "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "sqs:SendMessage",
         "Resource": "arn:aws:sqs:*:*:*"},
        {"Sid": "Anyone", **SEND, "Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"})
    found = {g.statement: g for g in grants(document, {"123456789012"})}
    assert sorted(found) == ["'Anyone'", "'Own'", "'Partner'"]
    assert found["'Own'"].actions == {"sqs:receivemessage"} and not found["'Own'"].open_to_anyone
    assert found["'Partner'"].every_resource and found["'Partner'"].foreign_accounts == {"210987654321"}
    assert found["'Anyone'"].open_to_anyone
