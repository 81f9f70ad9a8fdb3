"""Tags: the shared contract's keys, with the plan's numbers as plain text."""

from __future__ import annotations

from conftest import REDIS_WORKLOAD, SQS_WORKLOAD, plan_workload

from components.tags import stack_tags, tag_number, tag_text, workload_tags


def test_tag_number_writes_plain_text_when_numbers_are_large_small_or_fractional():
    assert tag_number(1_234_567.0) == "1234567"
    assert tag_number(300.0) == "300"
    assert tag_number(0.5) == "0.5"
    assert tag_number(6.944444444444445) == "6.94444"
    assert tag_number(0.0000012) == "0.000001"
    assert tag_number(None) == "0"


def test_workload_tags_carry_the_plan_inputs_when_built_from_a_plan():
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=300)
    tags = workload_tags(plan, "orders-prod", "queue")
    assert tags == {
        "qcap:stack": "orders-prod",
        "qcap:role": "queue",
        "qcap:environment": "dev",
        "qcap:workload": "events",
        "qcap:group": "events",
        "qcap:max-age-seconds": "300",
        "qcap:processing-p99-seconds": "3",
        "qcap:per-task-messages-per-second": "2",
        "qcap:concurrency-per-task": "2",
        "qcap:drain-seconds": "0",
        "qcap:peak-messages-per-second": "20",
        "qcap:receive-batch": "10",
    }


def test_workload_tags_add_the_connection_budget_when_the_broker_is_redis():
    plan = plan_workload(REDIS_WORKLOAD)
    tags = workload_tags(plan, "s", "cache")
    assert tags["qcap:cache-connections-budget"] == str(plan.cache.connections_budget)
    assert all(isinstance(v, str) for v in tags.values())


def test_workload_tags_name_the_sink_so_the_pack_can_add_up_everyone_sharing_its_connections():
    plan = plan_workload(SQS_WORKLOAD, sink={"name": "Postgres (track points)", "max_connections": 60})
    tags = workload_tags(plan, "s", "scaling")
    assert tags["qcap:sink-name"] == "Postgres -track points-"  # AWS tag values allow no parentheses
    assert tags["qcap:sink-max-connections"] == "60"


def test_tag_text_keeps_what_aws_allows_and_replaces_the_rest():
    assert tag_text("db_1 :/=+-@.") == "db_1 :/=+-@."
    assert tag_text("a(b)!") == "a-b--"


def test_workload_tags_write_drain_zero_when_the_plan_has_no_drain_time():
    plan = plan_workload(SQS_WORKLOAD).model_copy(update={"drain_seconds": None})
    assert workload_tags(plan, "s", "queue")["qcap:drain-seconds"] == "0"


def test_stack_tags_name_no_workload_when_a_resource_is_shared():
    assert stack_tags("dev", "dev", "cluster") == {"qcap:stack": "dev", "qcap:role": "cluster", "qcap:environment": "dev"}
