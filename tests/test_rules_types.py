"""The rules for types beyond qcap's components, one resource or one small stack at a time."""

from __future__ import annotations

from policies.pack import all_rules, wrap_props
from policies.rules_base import ResourceView

RULE = {r.id: r for r in all_rules()}


def view(type_: str, name: str, props: dict, urn: str = "", **options) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=urn or f"urn:{name}", **options)


def fired(rule_id: str, *views: ResourceView) -> list[str]:
    rule = RULE[rule_id]
    if rule.stack:
        return [v.message for v in rule.run_stack(list(views))]
    return [v.message for item in views for v in rule.run(item)]


def task(**container) -> ResourceView:
    return view("aws:ecs/taskDefinition:TaskDefinition", "t", {"containerDefinitions": [{"name": "c", **container}]})


def test_a_pipe_with_public_ips_is_blocked_and_one_without_passes():
    def pipe(value):
        return view("aws:pipes/pipe:Pipe", "p", {"targetParameters": {"ecsTaskParameters": {"networkConfiguration": {
            "awsVpcConfiguration": {"assignPublicIp": value}}}}})
    assert fired("task-set-pipe-no-public-ip", pipe("ENABLED")) == [
        "`p` (pipes/pipe) starts ECS tasks with a public IP (assignPublicIp)."]
    assert fired("task-set-pipe-no-public-ip", pipe("DISABLED")) == []


def test_added_capabilities_are_blocked_with_or_without_the_cap_prefix():
    assert len(fired("ecs-no-added-capabilities", task(linuxParameters={"capabilities": {"add": ["CAP_SYS_ADMIN"]}}))) == 1
    assert fired("ecs-no-added-capabilities", task(linuxParameters={"capabilities": {"add": ["NET_BIND_SERVICE"]}})) == []


def test_root_is_advised_only_when_the_container_says_so():
    assert len(fired("ecs-container-not-root", task(user="root"))) == 1
    assert fired("ecs-container-not-root", task(user="1000:1000"), task()) == []


def test_memorydb_open_access_and_tls_off_are_each_blocked():
    both = view("aws:memorydb/cluster:Cluster", "m", {"aclName": "open-access", "tlsEnabled": False})
    assert len(fired("memorydb-access-controlled", both)) == 2
    assert fired("memorydb-access-controlled", view("aws:memorydb/cluster:Cluster", "m", {"aclName": "workers"})) == []


def test_transit_mode_preferred_is_blocked_and_required_passes():
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    assert len(fired("cache-transit-required", view(group, "g", {"transitEncryptionMode": "preferred"}))) == 1
    assert fired("cache-transit-required", view(group, "g", {"transitEncryptionMode": "required"})) == []


def test_an_evicting_policy_is_blocked_only_on_a_queue_cache():
    params = view("aws:elasticache/parameterGroup:ParameterGroup", "pg", {
        "name": "pg", "parameters": [{"name": "maxmemory-policy", "value": "allkeys-lru"}]})
    queue_cache = view("aws:elasticache/replicationGroup:ReplicationGroup", "g", {
        "parameterGroupName": "pg", "tags": {"qcap:workload": "tracks"}})
    other_cache = view("aws:elasticache/replicationGroup:ReplicationGroup", "g", {"parameterGroupName": "pg"})
    assert len(fired("cache-no-eviction", params, queue_cache)) == 1
    assert fired("cache-no-eviction", params, other_cache) == []


def test_a_cloudflare_consumer_dead_lettering_into_its_own_queue_is_blocked():
    queue = view("cloudflare:index/queue:Queue", "q", {"queueName": "events", "queueId": "id-1"}, urn="urn:q")
    dlq = view("cloudflare:index/queue:Queue", "d", {"queueName": "events-dlq", "queueId": "id-2"}, urn="urn:d")
    to_self = view("cloudflare:index/queueConsumer:QueueConsumer", "c", {"queueId": "id-1", "deadLetterQueue": "events"})
    apart = view("cloudflare:index/queueConsumer:QueueConsumer", "c", {"queueId": "id-1", "deadLetterQueue": "events-dlq"})
    assert len(fired("cloudflare-dlq-not-self", queue, dlq, to_self)) == 1
    assert fired("cloudflare-dlq-not-self", queue, dlq, apart) == []


def test_a_redrive_to_a_queue_outside_the_stack_is_blocked_even_with_a_same_workload_dlq():
    tags = {"qcap:workload": "billing"}
    dlq = view("aws:sqs/queue:Queue", "billing-dlq", {"name": "billing-dlq", "tags": {**tags, "qcap:role": "dlq"},
                                                      "arn": "arn:aws:sqs:us-east-1:123456789012:billing-dlq"})

    def source(target):
        return view("aws:sqs/queue:Queue", "billing", {"name": "billing", "tags": tags, "redrivePolicy": {
            "deadLetterTargetArn": target, "maxReceiveCount": 5}})
    assert len(fired("sqs-dlq-in-stack", dlq, source("arn:aws:sqs:us-east-1:123456789012:biling-dlq"))) == 1
    assert fired("sqs-dlq-in-stack", dlq, source("arn:aws:sqs:us-east-1:123456789012:billing-dlq")) == []
    assert len(fired("sqs-queue-has-dlq", dlq, source("arn:aws:sqs:us-east-1:123456789012:biling-dlq"))) == 1
