"""IAM and KMS translation: an autonamed role says so, a key with rotation is two calls and its alias one."""

from __future__ import annotations

from factories import registration

from qcap.offline.contract_calls import translate


def test_an_autonamed_role_takes_the_mock_engines_autoname_and_says_so():
    role = registration("aws:iam/role:Role", "orders-task-role", {"assumeRolePolicy": "{}"},
                        {"name": "orders-task-role-1a2b3c4", "id": "orders-task-role-1a2b3c4"})
    (call,) = translate(role)
    assert call.params == {"RoleName": "orders-task-role-1a2b3c4", "AssumeRolePolicyDocument": "{}"}
    assert call.autonamed == ("RoleName",)


def test_a_kms_key_with_rotation_and_its_alias_become_create_key_enable_key_rotation_and_create_alias():
    key = registration("aws:kms/key:Key", "k", {"description": "qcap dev queues", "enableKeyRotation": True,
                                                "deletionWindowInDays": 30.0, "tags": {"qcap:role": "queue"}},
                       {"id": "1234abcd-12ab-34cd-56ef-1234567890ab"})
    assert [(c.operation, c.params) for c in translate(key)] == [
        ("CreateKey", {"Description": "qcap dev queues", "Tags": [{"TagKey": "qcap:role", "TagValue": "queue"}]}),
        ("EnableKeyRotation", {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})]
    alias = registration("aws:kms/alias:Alias", "a", {"name": "alias/qcap-dev", "targetKeyId": "1234"})
    assert [(c.operation, c.params) for c in translate(alias)] == [
        ("CreateAlias", {"AliasName": "alias/qcap-dev", "TargetKeyId": "1234"})]
