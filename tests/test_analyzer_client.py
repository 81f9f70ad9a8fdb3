"""The Analyzer driver against a real policy pack process on 127.0.0.1, started as the CLI starts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcap.offline.analysis import AnalyzerResource
from qcap.offline.analyzer_client import analyze
from qcap.offline.policy_config import read_policy_config

pytestmark = pytest.mark.slow

STACK = "urn:pulumi:dev::qcap::"
BAD_QUEUE_TAGS = {"qcap:role": "queue", "qcap:workload": "orders", "qcap:environment": "prod",
                  "qcap:max-age-seconds": "900", "qcap:processing-p99-seconds": "60", "qcap:drain-seconds": "86400",
                  "qcap:receive-batch": "1"}


def resource(type_: str, name: str, inputs: dict, **extra) -> AnalyzerResource:
    return AnalyzerResource(urn=f"{STACK}{type_}::{name}", type=type_, name=name, inputs=inputs, **extra)


def known_bad() -> list[AnalyzerResource]:
    """A queue with no DLQ, short retention and visibility, unencrypted, unprotected in prod; a public service."""
    return [
        resource("pulumi:pulumi:Stack", "qcap-dev", {}),
        resource("aws:sqs/queue:Queue", "orders-queue", {"name": "qcap-dev-orders", "messageRetentionSeconds": 3600,
                                                         "visibilityTimeoutSeconds": 30, "maxMessageSize": 1048576,
                                                         "tags": BAD_QUEUE_TAGS}),
        resource("aws:ecs/service:Service", "orders-service", {"name": "orders",
                                                               "networkConfiguration": {"assignPublicIp": True}},
                 ignore_changes=("desiredCount",)),
    ]


@pytest.fixture(scope="module")
def bad_analysis():
    return analyze(known_bad(), stack="dev")


def test_known_bad_resources_give_the_expected_mandatory_violations(bad_analysis):
    mandatory = {(d.policy, d.urn.rsplit("::", 1)[-1]) for d in bad_analysis.mandatory}
    assert mandatory == {
        ("sqs-retention-covers-objective", "orders-queue"),
        ("sqs-visibility-covers-processing", "orders-queue"),
        ("sqs-encrypted", "orders-queue"),
        ("prod-queue-protected", "orders-queue"),
        ("ecs-no-public-ip", "orders-service"),
        ("sqs-queue-has-dlq", "orders-queue"),
        ("sqs-tls-only", "orders-queue"),
        ("queue-has-age-alarm", "orders-queue"),
    }


def test_diagnostics_carry_the_rule_message_and_remediation(bad_analysis):
    public = next(d for d in bad_analysis.diagnostics if d.policy == "ecs-no-public-ip")
    assert public.message == ("ECS service `orders-service` assigns public IPs to its tasks "
                              "(networkConfiguration.assignPublicIp).")
    assert public.remediation.startswith("Set `networkConfiguration.assignPublicIp: false`")
    assert public.description == "ECS services do not give their tasks public IP addresses."


def test_analyzer_info_describes_every_policy(bad_analysis):
    assert bad_analysis.pack_name == "qcap"
    names = {p.name: p for p in bad_analysis.policies}
    assert names["sqs-queue-has-dlq"].stack is True
    assert names["sqs-queue-has-dlq"].level == "mandatory"
    assert names["sqs-visibility-covers-processing"].defaults() == {"processingFactor": 2.0}


def test_policy_config_can_disable_a_policy_and_tune_a_threshold(tmp_path: Path):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"ecs-no-public-ip": "disabled",
                                  "sqs-visibility-covers-processing": {"processingFactor": 3}}))
    analysis = analyze(known_bad(), read_policy_config(config), stack="dev")
    fired = {d.policy: d.message for d in analysis.diagnostics}
    assert "ecs-no-public-ip" not in fired
    assert "under 3 x ceil(receive batch 1 / concurrency 1) x processing p99 60 s = 180 s" in fired["sqs-visibility-covers-processing"]
    assert "sqs-encrypted" in fired


def test_policy_config_can_downgrade_a_policy_to_advisory():
    analysis = analyze(known_bad(), {"sqs-encrypted": {"enforcementLevel": "advisory"}}, stack="dev")
    levels = {d.policy: d.level for d in analysis.diagnostics}
    assert levels["sqs-encrypted"] == "advisory"
    assert levels["ecs-no-public-ip"] == "mandatory"
