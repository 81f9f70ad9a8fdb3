"""Rules added in one round of the gate's review, each on a minimal resource: one that fires, one that stays quiet.

(The same rules also run end to end on raw programs in tests/test_unsafe_programs.py.)
"""

from __future__ import annotations

import json

from policies.pack import all_rules, wrap_props
from policies.rules_base import UNKNOWN_SENTINEL, ResourceView, environment_of_stack
from policies.rules_autoscaling import divides_depth_by_tasks

RULE = {r.id: r for r in all_rules()}


def view(type_: str, props: dict, name: str = "r", **options) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=f"urn:{name}", **options)


def fired(rule_id: str, resource: ResourceView) -> list[str]:
    return [v.message for v in RULE[rule_id].run(resource)]


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_public_queue_policy_fires_and_a_source_condition_quiets_it():
    public = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
    pinned = {**public, "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"}}}
    assert fired("resource-policy-not-public", view("aws:sqs/queuePolicy:QueuePolicy", {"policy": doc(public)}))
    assert fired("resource-policy-not-public", view("aws:sqs/queuePolicy:QueuePolicy", {"policy": doc(pinned)})) == []


def test_trust_policy_open_to_any_aws_principal_fires():
    trust = {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sts:AssumeRole"}
    service = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert fired("iam-trust-not-public", view("aws:iam/role:Role", {"assumeRolePolicy": doc(trust)}))
    assert fired("iam-trust-not-public", view("aws:iam/role:Role", {"assumeRolePolicy": doc(service)})) == []


def test_not_action_and_admin_attachment_fire():
    policy = view("aws:iam/rolePolicy:RolePolicy", {"policy": doc({"Effect": "Allow", "NotAction": "iam:*",
                                                                   "Resource": "*"})})
    assert fired("iam-no-allow-not-action", policy)
    admin = view("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                 {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    narrow = view("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                  {"policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"})
    assert fired("iam-no-admin-policy", admin) and fired("iam-no-admin-policy", narrow) == []


def test_sns_topic_needs_a_key_cloudwatch_can_use():
    assert fired("sns-encrypted", view("aws:sns/topic:Topic", {}))
    aws_key = view("aws:sns/topic:Topic", {"kmsMasterKeyId": "alias/aws/sns", "tags": {"qcap:role": "topic"}})
    assert "CloudWatch cannot use" in fired("sns-encrypted", aws_key)[0]
    assert fired("sns-encrypted", view("aws:sns/topic:Topic", {"kmsMasterKeyId": "alias/qcap-dev"})) == []


def test_container_insights_and_read_only_root():
    assert fired("ecs-cluster-container-insights", view("aws:ecs/cluster:Cluster", {}))
    on = view("aws:ecs/cluster:Cluster", {"settings": [{"name": "containerInsights", "value": "enhanced"}]})
    assert fired("ecs-cluster-container-insights", on) == []
    writable = view("aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps([{"name": "c"}])})
    assert fired("ecs-read-only-root", writable)


def test_capacity_bounds_and_min_zero_against_the_cold_start():
    target = "aws:appautoscaling/target:Target"
    assert fired("scaling-capacity-bounds", view(target, {"minCapacity": 3, "maxCapacity": 2}))
    assert fired("scaling-capacity-bounds", view(target, {"serviceNamespace": "ecs", "minCapacity": 1,
                                                          "maxCapacity": 6000}))
    assert fired("scaling-capacity-bounds", view(target, {"minCapacity": 1, "maxCapacity": 5000})) == []
    short = view(target, {"minCapacity": 0, "maxCapacity": 5, "tags": {"qcap:max-age-seconds": "60"}})
    long = view(target, {"minCapacity": 0, "maxCapacity": 5, "tags": {"qcap:max-age-seconds": "900"}})
    assert fired("scaling-min-zero-fits-objective", short) and fired("scaling-min-zero-fits-objective", long) == []


def test_backlog_expression_must_divide_the_whole_sum():
    assert divides_depth_by_tasks("(visible + inflight) / tasks", ["visible", "inflight"], ["tasks"])
    assert not divides_depth_by_tasks("visible + inflight / tasks", ["visible", "inflight"], ["tasks"])
    assert not divides_depth_by_tasks("(visible + inflight) * tasks", ["visible", "inflight"], ["tasks"])


def test_cloudflare_retries_zero_fires_in_a_prod_stack_even_untagged():
    consumer = "cloudflare:index/queueConsumer:QueueConsumer"
    props = {"settings": {"maxRetries": 0}}
    assert fired("cloudflare-retries-in-prod", view(consumer, props, stack_environment="prod"))
    assert fired("cloudflare-retries-in-prod", view(consumer, props)) == []


def test_stack_environment_from_config_or_name():
    assert environment_of_stack("payments-prod", None) == "prod"
    assert environment_of_stack("dev", "prod") == "prod"
    assert environment_of_stack("product-dev", "staging") == "staging"  # `product` is not `prod`
    assert environment_of_stack("dev", None) is None


def test_linking_properties_that_are_unknown_read_as_none():
    queue = view("aws:sqs/queue:Queue", {"url": UNKNOWN_SENTINEL, "name": "q"})
    assert queue.known("url") is None and queue.known("name") == "q"
