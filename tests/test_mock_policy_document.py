"""get_policy_document offline: the JSON the provider writes, from statements, source and override documents."""

from __future__ import annotations

import json

from qcap.offline.mock_policy_document import policy_document, statement_from_args


def test_a_document_has_the_default_version_and_a_statement_with_single_items_collapsed():
    out = policy_document({"statements": [{"actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:*:1:q"]}]})
    assert json.loads(out["json"]) == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:1:q"}]}
    assert out["minifiedJson"] == ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage",'
                                   '"Resource":"arn:aws:sqs:*:1:q"}]}')
    assert out["json"].startswith('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect"')


def test_actions_and_resources_are_a_set_written_in_reverse_sorted_order():
    statement = statement_from_args({"actions": ["sqs:A", "sqs:C", "sqs:B", "sqs:A"], "notResources": ["b", "a"]})
    assert statement == {"Effect": "Allow", "Action": ["sqs:C", "sqs:B", "sqs:A"], "NotResource": ["b", "a"]}


def test_statement_keys_come_in_the_providers_order_and_empty_ones_are_left_out():
    statement = statement_from_args({"sid": "S", "effect": "Deny", "notActions": ["iam:*"], "resources": ["*"],
                                     "notPrincipals": [{"type": "AWS", "identifiers": ["arn:aws:iam::1:root"]}],
                                     "conditions": []})
    assert list(statement) == ["Sid", "Effect", "NotAction", "Resource", "NotPrincipal"]
    assert statement_from_args({"sid": ""}) == {"Effect": "Allow"}


def test_a_lone_star_principal_is_a_string_but_an_aws_star_principal_stays_a_map():
    assert statement_from_args({"principals": [{"type": "*", "identifiers": ["*"]}]})["Principal"] == "*"
    assert statement_from_args({"principals": [{"type": "AWS", "identifiers": ["*"]}]})["Principal"] == {"AWS": "*"}


def test_principals_of_one_type_are_grouped_and_types_sorted():
    statement = statement_from_args({"principals": [
        {"type": "Service", "identifiers": ["sns.amazonaws.com"]},
        {"type": "AWS", "identifiers": ["arn:aws:iam::1:root", "arn:aws:iam::2:root"]},
        {"type": "AWS", "identifiers": ["arn:aws:iam::3:root"]}]})
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::2:root", "arn:aws:iam::1:root", "arn:aws:iam::3:root"],
                                      "Service": "sns.amazonaws.com"}
    assert list(statement["Principal"]) == ["AWS", "Service"]


def test_conditions_group_by_operator_and_key_keeping_the_order_of_values():
    statement = statement_from_args({"conditions": [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["2", "1"]},
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]},
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["3"]}]})
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"},
                                      "StringEquals": {"aws:SourceAccount": ["2", "1", "3"]}}


def test_ampersand_variables_become_policy_variables_and_go_escapes_html_characters():
    out = policy_document({"statements": [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/&{aws:username}/*"],
                                           "conditions": [{"test": "StringLike", "variable": "s3:prefix",
                                                           "values": ["<home>"]}]}]})
    assert "arn:aws:s3:::b/${aws:username}/*" in out["minifiedJson"]
    assert "\\u003chome\\u003e" in out["minifiedJson"] and json.loads(out["json"])["Statement"][0]["Condition"] == {
        "StringLike": {"s3:prefix": "<home>"}}


def test_source_documents_come_first_and_statements_with_the_same_sid_replace_them():
    source = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Keep", "Effect": "Allow", "Action": "sqs:A", "Resource": "*"},
        {"Sid": "Mine", "Effect": "Allow", "Action": "sqs:B", "Resource": "*"}]})
    override = json.dumps({"Statement": {"Sid": "Keep", "Effect": "Deny", "Action": ["sqs:C"], "Resource": "*",
                                         "Principal": {"AWS": ["b", "a", "c"]}, "Condition": {"Bool": {"k": True}}}})
    out = policy_document({"sourcePolicyDocuments": [source], "overridePolicyDocuments": [override],
                           "statements": [{"sid": "Mine", "actions": ["sqs:D"], "resources": ["*"]},
                                          {"actions": ["sqs:E"], "resources": ["*"]}]})
    statements = json.loads(out["json"])["Statement"]
    assert [(s.get("Sid"), s["Effect"], s["Action"]) for s in statements] == [
        ("Keep", "Deny", ["sqs:C"]), ("Mine", "Allow", "sqs:D"), (None, "Allow", "sqs:E")]
    assert statements[0]["Principal"] == {"AWS": ["c", "b", "a"]} and statements[0]["Condition"] == {"Bool": {"k": "true"}}


def test_a_document_without_statements_has_only_its_version_and_id():
    out = policy_document({"policyId": "P1"})
    assert out["minifiedJson"] == '{"Version":"2012-10-17","Id":"P1"}'
    assert out["id"] == policy_document({"policyId": "P1"})["id"] != policy_document({})["id"]
