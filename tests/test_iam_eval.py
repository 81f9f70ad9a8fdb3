"""The evaluator against AWS's documented policy evaluation examples, each with the decision AWS gives.

Sources: IAM User Guide, "Policy evaluation logic" (same account, cross-account, explicit deny),
"NotPrincipal" and "NotAction" examples; KMS Developer Guide, "Key policies" (the default key
policy's root statement enables IAM policies).
"""

from __future__ import annotations

from policies.iam_eval import Policy, Principal, Request, evaluate
from policies.iam_match import HOLE

A, B = "111122223333", "444455556666"
ROLE = Principal("role", f"arn:aws:iam::{A}:role/app", A, "role app")
OTHER = Principal("role", f"arn:aws:iam::{A}:role/other", A, "role other")
QUEUE = f"arn:aws:sqs:us-east-1:{A}:orders"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def identity(*statements):
    return [Policy("inline policy", doc(*statements))]


def test_an_identity_allow_is_enough_in_one_account():
    d = evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), identity(allow("sqs:ReceiveMessage", QUEUE)))
    assert d.allowed is True


def test_nothing_allows_means_an_implicit_deny_naming_the_identity_side():
    d = evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), identity(allow("sqs:SendMessage", QUEUE)))
    assert d.allowed is False and d.missing == "identity"
    assert "no identity policy of role app allows sqs:ReceiveMessage" in d.summary


def test_an_explicit_deny_in_the_resource_policy_beats_an_identity_allow():
    queue_policy = Policy("queue policy", doc({**deny("sqs:*", QUEUE), "Sid": "NoOne", "Principal": "*"}))
    d = evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), identity(allow("sqs:*", QUEUE)), queue_policy)
    assert d.allowed is False and d.missing == "deny" and "'NoOne' of queue policy" in d.summary


def test_an_explicit_deny_in_another_identity_policy_beats_an_allow():
    policies = identity(allow("sqs:*")) + [Policy("managed policy", doc(deny("sqs:DeleteMessage")))]
    assert evaluate(Request(ROLE, "sqs:DeleteMessage", QUEUE), policies).allowed is False
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), policies).allowed is True


def test_a_resource_policy_naming_the_role_is_enough_in_one_account():
    queue_policy = Policy("queue policy", doc(allow("sqs:ReceiveMessage", QUEUE, Principal={"AWS": ROLE.arn})))
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), [], queue_policy).allowed is True


def test_a_resource_policy_naming_only_the_account_needs_the_identity_side_too():
    queue_policy = Policy("queue policy", doc(allow("sqs:ReceiveMessage", QUEUE, Principal={"AWS": A})))
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), [], queue_policy).allowed is False


def test_cross_account_needs_both_the_identity_and_the_resource_side():
    queue = f"arn:aws:sqs:us-east-1:{B}:shared"
    request = Request(ROLE, "sqs:SendMessage", queue, resource_account=B)
    trusting = Policy("queue policy", doc(allow("sqs:SendMessage", queue, Principal={"AWS": f"arn:aws:iam::{A}:root"})))
    assert evaluate(request, identity(allow("sqs:SendMessage", queue)), trusting).allowed is True
    only_identity = evaluate(request, identity(allow("sqs:SendMessage", queue)), Policy("queue policy", doc()))
    assert only_identity.allowed is False and only_identity.missing == "resource"
    only_resource = evaluate(request, [], trusting)
    assert only_resource.allowed is False and only_resource.missing == "identity"


def test_kms_key_policy_without_root_delegation_blocks_an_iam_allow():
    key_policy = Policy("key policy", doc(allow("kms:*", Principal={"AWS": OTHER.arn})))
    d = evaluate(Request(ROLE, "kms:Decrypt", KEY), identity(allow("kms:Decrypt", KEY)), key_policy, kind="kms")
    assert d.allowed is False and d.missing == "key-policy"
    assert "enables IAM policies" in d.summary


def test_kms_root_delegation_lets_the_iam_allow_count():
    key_policy = Policy("key policy", doc(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{A}:root"})))
    request = Request(ROLE, "kms:Decrypt", KEY)
    assert evaluate(request, identity(allow("kms:Decrypt", KEY)), key_policy, kind="kms").allowed is True
    without_iam = evaluate(request, [], key_policy, kind="kms")
    assert without_iam.allowed is False and without_iam.missing == "identity"


def test_a_key_policy_naming_the_role_allows_without_any_iam_policy():
    key_policy = Policy("key policy", doc(allow(["kms:Decrypt", "kms:GenerateDataKey*"], Principal={"AWS": ROLE.arn})))
    assert evaluate(Request(ROLE, "kms:GenerateDataKey", KEY), [], key_policy, kind="kms").allowed is True


def test_a_service_principal_is_allowed_only_by_the_resource_policy():
    logs = Principal("service", "logs.us-east-1.amazonaws.com", label="CloudWatch Logs")
    allowed = Policy("key policy", doc(allow("kms:Encrypt*", Principal={"Service": "logs.us-east-1.amazonaws.com"})))
    assert evaluate(Request(logs, "kms:Encrypt", KEY), [], allowed, kind="kms").allowed is True
    root_only = Policy("key policy", doc(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{A}:root"})))
    d = evaluate(Request(logs, "kms:Encrypt", KEY), [], root_only, kind="kms")
    assert d.allowed is False and "no statement of key policy allows CloudWatch Logs" in d.summary


def test_not_principal_deny_spares_only_a_session_listed_with_its_account():
    # IAM User Guide, NotPrincipal with Deny: list the account, the role and the assumed-role session.
    session = Principal("role", ROLE.arn, A, "role app", session="audit")
    spared = {"AWS": [f"arn:aws:iam::{A}:root", ROLE.arn, f"arn:aws:sts::{A}:assumed-role/app/audit"]}
    bucket = Policy("bucket policy", doc({"Effect": "Deny", "NotPrincipal": spared, "Action": "s3:*",
                                          "Resource": "arn:aws:s3:::b/*"}))
    request = Request(session, "s3:GetObject", "arn:aws:s3:::b/x")
    assert evaluate(request, identity(allow("s3:GetObject")), bucket).allowed is True
    other = Request(Principal("role", OTHER.arn, A, "role other", session="x"), "s3:GetObject", "arn:aws:s3:::b/x")
    assert evaluate(other, identity(allow("s3:GetObject")), bucket).allowed is False


def test_not_principal_naming_the_role_without_its_session_still_denies_it():
    only_role = {"AWS": [f"arn:aws:iam::{A}:root", ROLE.arn]}
    queue_policy = Policy("queue policy", doc({"Effect": "Deny", "NotPrincipal": only_role, "Action": "sqs:*",
                                               "Resource": QUEUE}))
    d = evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), identity(allow("sqs:*")), queue_policy)
    assert d.allowed is False and d.missing == "deny"


def test_a_task_session_listed_by_name_cannot_be_decided():
    listed = {"AWS": [A, f"arn:aws:sts::{A}:assumed-role/app/some-task-id"]}
    queue_policy = Policy("queue policy", doc({"Effect": "Deny", "NotPrincipal": listed, "Action": "sqs:*",
                                               "Resource": QUEUE}))
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), identity(allow("sqs:*")), queue_policy).allowed is None


def test_allow_with_not_action_allows_everything_else():
    policies = identity({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate(Request(ROLE, "sqs:SendMessage", QUEUE), policies).allowed is True
    assert evaluate(Request(ROLE, "iam:CreateUser", "*"), policies).allowed is False


def test_deny_with_not_action_denies_every_action_not_listed():
    policies = identity(allow("*"), {"Effect": "Deny", "NotAction": ["sqs:SendMessage"], "Resource": "*"})
    assert evaluate(Request(ROLE, "sqs:SendMessage", QUEUE), policies).allowed is True
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), policies).allowed is False


def test_not_resource_matches_every_other_resource():
    policies = identity({"Effect": "Allow", "Action": "sqs:*", "NotResource": f"arn:aws:sqs:*:{A}:secret-*"})
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), policies).allowed is True
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{A}:secret-q"), policies).allowed is False


def test_action_and_resource_wildcards_case_insensitive_actions():
    policies = identity(allow(["SQS:Receive*", "kms:GenerateDataKey*"], [f"arn:aws:sqs:*:{A}:ord?rs", KEY]))
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), policies).allowed is True
    assert evaluate(Request(ROLE, "kms:GenerateDataKey", KEY), policies).allowed is True
    assert evaluate(Request(ROLE, "sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{A}:Orders"), policies).allowed is False


def test_unknown_parts_of_a_resource_decide_when_every_filling_agrees():
    task = f"arn:aws:ecs:us-east-1:{A}:task/qcap-dev/{HOLE}"
    wide = identity(allow("ecs:UpdateTaskProtection", f"arn:aws:ecs:us-east-1:{A}:task/qcap-dev/*"))
    assert evaluate(Request(ROLE, "ecs:UpdateTaskProtection", task), wide).allowed is True
    other = identity(allow("ecs:UpdateTaskProtection", f"arn:aws:ecs:us-east-1:{A}:task/other/*"))
    assert evaluate(Request(ROLE, "ecs:UpdateTaskProtection", task), other).allowed is False
    one = identity(allow("ecs:UpdateTaskProtection", f"arn:aws:ecs:us-east-1:{A}:task/qcap-dev/abc"))
    assert evaluate(Request(ROLE, "ecs:UpdateTaskProtection", task), one).allowed is None


def test_an_unknown_policy_document_makes_the_call_undecided_with_the_reason():
    d = evaluate(Request(ROLE, "sqs:ReceiveMessage", QUEUE), [Policy("inline policy p", None, "p is not known yet")])
    assert d.allowed is None and d.reasons == ("p is not known yet",)
