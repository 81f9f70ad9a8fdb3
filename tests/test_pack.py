"""The pack: every rule becomes a pulumi_policy policy with its level, remediation and schema, and
the policies report what the pure rules find when called the way the Analyzer server calls them."""

from __future__ import annotations

from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.pack import all_rules, build_policies, default_config, to_policy, wrap_props

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
RULE = {r.id: r for r in all_rules()}


def options(protect: bool = False, ignore_changes: list[str] | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, ignore_changes or [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def test_pack_has_one_policy_per_rule_with_unique_names():
    policies = build_policies()
    assert [p.name for p in policies] == [r.id for r in all_rules()]
    assert len({p.name for p in policies}) == len(policies) >= 30


def test_policies_carry_level_remediation_and_family_tag():
    policy = to_policy(RULE["sqs-queue-has-dlq"])
    assert isinstance(policy, StackValidationPolicy)
    assert policy.enforcement_level is EnforcementLevel.MANDATORY
    assert policy.remediation_steps == RULE["sqs-queue-has-dlq"].remediation
    assert policy.tags == ["capacity"]
    advisory = to_policy(RULE["log-group-retention"])
    assert isinstance(advisory, ResourceValidationPolicy)
    assert advisory.enforcement_level is EnforcementLevel.ADVISORY
    assert advisory.tags == ["security"]


def test_config_schema_defaults_come_from_capacity_limits():
    config = default_config()
    assert config["sqs-visibility-covers-processing"] == {"processingFactor": 2.0}
    assert config["sqs-retention-covers-objective"] == {"retentionMargin": 1.0}
    assert "sqs-encrypted" not in config  # nothing to tune there
    schema = to_policy(RULE["sqs-visibility-covers-processing"]).config_schema
    assert schema.properties["processingFactor"]["default"] == 2.0


def test_resource_policy_reports_each_violation_of_its_rule():
    policy = to_policy(RULE["ecs-no-public-ip"])
    props = wrap_props({"networkConfiguration": {"assignPublicIp": True}})
    args = ResourceValidationArgs("aws:ecs/service:Service", props, "urn:svc", "orders-service", options(), None)
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ["ECS service `orders-service` assigns public IPs to its tasks "
                        "(networkConfiguration.assignPublicIp)."]


def test_resource_policy_ignores_other_types_and_reads_options():
    policy = to_policy(RULE["prod-queue-protected"])
    props = wrap_props({"tags": {"qcap:environment": "prod"}})
    reported: list[str] = []
    protected = ResourceValidationArgs("aws:sqs/queue:Queue", props, "urn:q", "q", options(protect=True), None)
    other = ResourceValidationArgs("aws:sns/topic:Topic", props, "urn:t", "t", options(), None)
    policy.validate(protected, lambda message, urn=None: reported.append(message))
    policy.validate(other, lambda message, urn=None: reported.append(message))
    assert reported == []


def test_resource_policy_uses_configured_thresholds():
    policy = to_policy(RULE["sqs-visibility-covers-processing"])
    props = wrap_props({"visibilityTimeoutSeconds": 30, "tags": {"qcap:processing-p99-seconds": "10",
                                                                   "qcap:receive-batch": "1"}})
    reported: list[str] = []
    default = ResourceValidationArgs("aws:sqs/queue:Queue", props, "urn:q", "q", options(), None)
    strict = ResourceValidationArgs("aws:sqs/queue:Queue", props, "urn:q", "q", options(), None,
                                    config={"processingFactor": 4})
    policy.validate(default, lambda message, urn=None: reported.append(message))
    assert reported == []
    policy.validate(strict, lambda message, urn=None: reported.append(message))
    assert len(reported) == 1 and "under 4 x ceil(receive batch 1 / concurrency 1) x processing p99 10 s = 40 s" in reported[0]


def test_stack_policy_reports_the_urn_of_the_resource_at_fault():
    policy = to_policy(RULE["ecs-desired-count-ignored"])
    service = PolicyResource("aws:ecs/service:Service", wrap_props({"name": "orders"}), "urn:svc", "orders-service",
                             options(), None, None, [], {})
    target = PolicyResource("aws:appautoscaling/target:Target", wrap_props({"resourceId": "service/c/orders"}),
                            "urn:target", "orders-scaling-target", options(), None, None, [service], {})
    reported: list[tuple[str, str | None]] = []
    policy.validate(StackValidationArgs([service, target]), lambda message, urn=None: reported.append((message, urn)))
    assert [urn for _, urn in reported] == ["urn:svc"]


def test_pack_package_is_the_pack_directory_only():
    assert (POLICIES_DIR / "__init__.py").read_text() == ""
    assert (POLICIES_DIR / "requirements.txt").exists()
