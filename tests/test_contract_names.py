"""The physical names layer: lengths with Pulumi's autoname counted, forms, and uniqueness per scope."""

from __future__ import annotations

from factories import registration
from pulumi.runtime.mocks import MockResourceArgs

from qcap.offline.contract_calls import ApiCall, translate
from qcap.offline.contract_names import check_names
from qcap.offline.mock_provider import QcapMocks

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def group(resource: str, group_id: str) -> ApiCall:
    return ApiCall(resource, GROUP, "elasticache", "CreateReplicationGroup",
                   {"ReplicationGroupId": group_id, "ReplicationGroupDescription": "d"})


def found(*calls: ApiCall, resources=()) -> list[tuple[str, str, str, str]]:
    return [(v.resource, v.field, v.limit, v.message) for v in check_names(list(calls), list(resources)).violations]


def test_two_replication_groups_with_one_id_collide_in_the_account_and_region():
    same = "qcap-edge-redisparts-gps-track-points-in"
    assert found(group("gps-0-cache-group", same), group("gps-1-cache-group", same)) == [
        ("gps-1-cache-group", "name", "unique per account and region",
         f"replication group name {same!r} is also used by gps-0-cache-group: the second create fails or shares it")]


def test_a_replication_group_id_over_40_characters_or_with_two_hyphens_is_named():
    assert [m for *_, m in found(group("g", "qcap-" + "x" * 36))] == [
        f"replication group name {'qcap-' + 'x' * 36!r} has 41 characters"]
    assert [m for *_, m in found(group("g", "qcap--dev"), group("h", "qcap-dev-"))] == [
        "replication group name 'qcap--dev' is not allowed", "replication group name 'qcap-dev-' is not allowed"]


def test_an_autonamed_role_counts_pulumis_eight_characters():
    name = "order-fulfillment-events-ingest-pipeline-0-execution-role-1a2b3c4"
    role = ApiCall("order-fulfillment-events-ingest-pipeline-0-execution-role", "aws:iam/role:Role", "iam", "CreateRole",
                   {"RoleName": name, "AssumeRolePolicyDocument": "{}"}, autonamed=("RoleName",))
    assert found(role) == [(role.resource, "RoleName", "64 characters",
                            f"IAM role name {name!r} has 65 characters (Pulumi's autoname: 8 characters added)")]


def test_role_names_collide_across_regions_because_iam_is_global():
    first = ApiCall("a", "aws:iam/role:Role", "iam", "CreateRole", {"RoleName": "qcap-dev-x-task"})
    second = ApiCall("b", "aws:iam/role:Role", "iam", "CreateRole", {"RoleName": "qcap-dev-x-task"})
    assert found(first, second)[0][2] == "unique per account (IAM is global)"


def test_services_with_one_name_in_different_clusters_do_not_collide():
    calls = [ApiCall(f"s{i}", "aws:ecs/service:Service", "ecs", "CreateService",
                     {"serviceName": "orders", "cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/c{i}"})
             for i in range(2)]
    checker = check_names(calls, [])
    assert checker.violations == [] and checker.checks == 4  # two lengths, two uniqueness checks


def test_a_queue_name_with_a_dot_other_than_fifo_is_named():
    call = ApiCall("q", "aws:sqs/queue:Queue", "sqs", "CreateQueue", {"QueueName": "qcap.dev.orders"})
    assert found(call)[0][3] == "SQS queue name 'qcap.dev.orders' is not allowed"


def test_cloudflare_queue_names_are_unique_per_account():
    queues = [registration("cloudflare:index/queue:Queue", f"q{i}", {"accountId": "a", "queueName": "sessions-0"})
              for i in range(2)]
    assert found(resources=queues) == [
        ("q1", "name", "unique per account a",
         "Cloudflare queue name 'sessions-0' is also used by q0: the second create fails or shares it")]



def prefixed(type_: str, logical: str, inputs: dict) -> list[str]:
    """Name violations of one resource with a name prefix, its outputs from the mock provider."""
    _, outputs = QcapMocks().new_resource(MockResourceArgs(typ=type_, name=logical, inputs=inputs))
    resource = registration(type_, logical, inputs, outputs)
    return [v.message for v in check_names(translate(resource), [resource]).violations]


def test_a_name_prefix_counts_with_the_providers_26_character_suffix():
    (too_long,) = prefixed("aws:iam/role:Role", "task", {"namePrefix": "p" * 39, "assumeRolePolicy": "{}"})
    assert too_long.startswith(f"IAM role name '{'p' * 39}") and " has 65 characters " in too_long
    assert too_long.endswith(f"(name_prefix '{'p' * 39}', 39 characters, plus the provider's 26-character suffix)")
    assert prefixed("aws:iam/role:Role", "task", {"namePrefix": "p" * 38, "assumeRolePolicy": "{}"}) == []


def test_a_fifo_queue_prefix_counts_the_suffix_and_fifo_against_80_characters():
    (too_long,) = prefixed("aws:sqs/queue:Queue", "jobs", {"namePrefix": "j" * 50, "fifoQueue": True})
    assert " has 81 characters " in too_long and too_long.startswith("SQS queue name")
    assert prefixed("aws:sqs/queue:Queue", "jobs", {"namePrefix": "j" * 49, "fifoQueue": True}) == []
