"""docs/policies.md carries the rule table and the peer-check table generated from the rules."""

from pathlib import Path

from policies.pack import all_rules
from policies.reference import PEER_CHECKS, peers_markdown, rules_markdown

ROOT = Path(__file__).resolve().parent.parent
NAMED_BY_THE_ISSUE = {f"checkov CKV_AWS_{n}" for n in (27, 72, 168, 333, 334, 336, 249, 65, 29, 30, 31, 191, 134,
                                                       26, 60, 274, 66)} | {
    f"cdk-nag AwsSolutions-{n}" for n in ("SQS2", "SQS3", "SQS4", "ECS2", "ECS4", "ECS7", "AEC3", "AEC4", "AEC5",
                                          "AEC6", "SNS2", "SNS3", "IAM4", "IAM5")}


def test_the_policies_page_carries_the_generated_rule_table():
    assert rules_markdown() in (ROOT / "docs" / "policies.md").read_text(), "regenerate with: python -m policies.reference"


def test_policies_doc_carries_the_generated_peer_table():
    assert peers_markdown() in (ROOT / "docs" / "policies.md").read_text(), \
        "regenerate with: python -m policies.reference"


def test_every_named_peer_check_is_mapped_to_a_rule_or_a_reason():
    assert {peer for peer, _, _ in PEER_CHECKS} == NAMED_BY_THE_ISSUE
    ids = {r.id for r in all_rules()}
    for peer, _, covered in PEER_CHECKS:
        named = [w.strip(" ,;:()") for w in covered.split() if "-" in w and w.strip(" ,;:()") in ids]
        assert named or covered.startswith("not covered"), peer


def test_every_rule_has_id_description_level_and_remediation():
    for rule in all_rules():
        assert rule.id and rule.description and rule.level in ("mandatory", "advisory") and rule.remediation
