"""IAM rules over the pack's policy semantics: key policies, cross-account grants, attachments of every kind."""

from __future__ import annotations

import json

from policies.pack import all_rules, wrap_props
from policies.rules_base import ResourceView

RULE = {r.id: r for r in all_rules()}


def view(type_: str, name: str, props: dict) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=f"urn:{name}")


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_key_policy_letting_anyone_decrypt_is_blocked_on_the_key_and_on_a_key_policy_resource():
    public = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    for type_ in ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
        found = RULE["kms-key-policy-not-public"].run(view(type_, "k", {"policy": doc(public)}))
        assert [v.message.split(":")[0] for v in found] == ["KMS key policy `k`"]
    pinned = {**public, "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}}
    assert RULE["kms-key-policy-not-public"].run(view("aws:kms/key:Key", "k", {"policy": doc(pinned)})) == []


def test_a_public_key_policy_message_says_what_the_statement_lets_anyone_do_and_names_it_once():
    decrypt = {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    describe = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:DescribeKey", "Resource": "*"}
    (one,) = RULE["kms-key-policy-not-public"].run(view("aws:kms/key:Key", "k", {"policy": doc(decrypt)}))
    assert one.message.startswith("KMS key policy `k`: statement 'Open' lets any AWS principal call kms:decrypt")
    assert one.message.endswith("anyone can decrypt what the key protects.")
    (two,) = RULE["kms-key-policy-not-public"].run(view("aws:kms/key:Key", "k", {"policy": doc(describe)}))
    assert "`k`: statement 1 lets any AWS principal call kms:describekey" in two.message
    assert two.message.endswith("anyone can read or change the key, though not use it to decrypt.")


def test_another_account_named_without_a_condition_is_advised_and_the_stack_own_account_is_not():
    queue = view("aws:sqs/queue:Queue", "q", {"policy": doc(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:SendMessage",
         "Resource": "arn:aws:sqs:us-east-1:123456789012:q"},
        {"Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "sqs:SendMessage",
         "Resource": "arn:aws:sqs:us-east-1:123456789012:q"})})
    found = RULE["cross-account-principal-conditioned"].run_stack([queue])
    assert len(found) == 1 and "210987654321" in found[0].message and "123456789012" not in found[0].message


def test_broad_managed_policies_are_read_on_every_kind_of_attachment():
    arn = "arn:aws:iam::aws:policy/AmazonECS_FullAccess"
    cases = [("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"policyArn": arn}),
             ("aws:iam/policyAttachment:PolicyAttachment", {"policyArn": arn}),
             ("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", {"policyArns": [arn]}),
             ("aws:iam/role:Role", {"managedPolicyArns": [arn]})]
    for type_, props in cases:
        assert len(RULE["iam-no-admin-policy"].run(view(type_, "r", props))) == 1, type_


def test_not_action_is_read_on_user_and_group_policies():
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    for type_ in ("aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"):
        assert len(RULE["iam-no-allow-not-action"].run(view(type_, "p", {"policy": doc(statement)}))) == 1
