"""QueueAlarms under the mocks: thresholds, windows and actions come from the plan."""

from __future__ import annotations

import pytest
from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, SQS_WORKLOAD, TEST_STACK, plan_workload

from capacity import limits
from components.queue_alarms import QueueAlarms, QueueAlarmsArgs

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:qcap-unit-events-alarms"


def build(run_components, plan, **overrides):
    settings = dict(queue_name="qcap-unit-events", dlq_name="qcap-unit-events-dlq", cluster_name="qcap-unit",
                    service_name=plan.name, alert_emails=("a@example.com", "b@example.com"))
    settings.update(overrides)

    def program():
        alarms = QueueAlarms(plan.name, QueueAlarmsArgs(plan=plan, stack=TEST_STACK, **settings))
        return {"topic": alarms.topic_arn, "alarms": alarms.alarm_arns}

    return run_components(program)


def alarm(run, plan, kind):
    return run.named(f"{plan.name}-alarm-{kind}").inputs


def test_age_alarm_fires_over_the_objective_for_3_of_3_minutes_when_built(run_components):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=240)
    run = build(run_components, plan)
    age = alarm(run, plan, "age")
    assert (age["namespace"], age["metricName"], age["dimensions"]) == (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": "qcap-unit-events"}
    )
    assert age["threshold"] == plan.alarms.age_seconds == 240
    assert age["comparisonOperator"] == "GreaterThanThreshold"
    assert (age["evaluationPeriods"], age["datapointsToAlarm"], age["period"]) == (3, 3, 60)
    assert age["alarmActions"] == [TOPIC_ARN] and age["okActions"] == [TOPIC_ARN]


def test_dlq_alarm_fires_on_one_message_in_the_dlq_when_built(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    dlq = alarm(build(run_components, plan), plan, "dlq")
    assert dlq["dimensions"] == {"QueueName": "qcap-unit-events-dlq"}
    assert dlq["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert (dlq["threshold"], dlq["comparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_saturation_alarm_tracks_visible_plus_in_flight_against_the_plan_when_built(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    saturation = alarm(build(run_components, plan), plan, "saturation")
    assert saturation["threshold"] == plan.alarms.saturation_messages
    assert saturation["evaluationPeriods"] == limits.SATURATION_ALARM_MINUTES
    returned = [q for q in saturation["metricQueries"] if q["returnData"]]
    assert returned == [{"id": "depth", "expression": "visible + inflight", "label": "visible + in flight",
                         "returnData": True}]


def test_max_tasks_alarm_pages_at_max_capacity_only_while_the_oldest_message_is_past_half_the_objective(
    run_components,
):
    plan = plan_workload(SQS_WORKLOAD)
    at_max = alarm(build(run_components, plan), plan, "max-tasks")
    queries = {q["id"]: q for q in at_max["metricQueries"]}
    assert queries["tasks"]["metric"]["namespace"] == "ECS/ContainerInsights"
    assert queries["tasks"]["metric"]["dimensions"] == {"ClusterName": "qcap-unit", "ServiceName": "events"}
    assert queries["age"]["metric"]["metricName"] == "ApproximateAgeOfOldestMessage"
    assert plan.alarms.max_tasks == plan.max_capacity
    assert plan.alarms.max_tasks_age_seconds == 150  # half the 300 s objective
    assert queries["behind"]["expression"] == f"IF(tasks >= {plan.max_capacity} AND age > 150, 1, 0)"
    assert [q["id"] for q in at_max["metricQueries"] if q["returnData"]] == ["behind"]
    assert (at_max["threshold"], at_max["evaluationPeriods"]) == (1, limits.MAX_TASKS_ALARM_MINUTES)


def test_a_redis_fleets_max_tasks_alarm_reads_the_age_its_workers_publish(run_components):
    plan = plan_workload(REDIS_WORKLOAD)
    at_max = alarm(build(run_components, plan), plan, "max-tasks")
    age = next(q for q in at_max["metricQueries"] if q["id"] == "age")
    assert age["metric"]["namespace"] == "qcap/Redis"
    assert age["metric"]["metricName"] == "OldestMessageAgeSeconds"


def test_a_fleet_with_min_equal_to_max_gets_no_max_tasks_alarm_since_it_always_runs_at_its_ceiling(run_components):
    pinned = {**SQS_WORKLOAD, "overrides": {"min_capacity": 3, "max_capacity": 3}}
    plan = plan_workload(pinned)
    assert plan.alarms.max_tasks is None
    run = build(run_components, plan)
    assert "max-tasks" not in run.outputs["alarms"]
    assert {"age", "saturation", "stalled"} <= set(run.outputs["alarms"])


def test_stalled_alarm_fires_when_messages_are_visible_but_none_received(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    stalled = alarm(build(run_components, plan), plan, "stalled")
    expression = [q["expression"] for q in stalled["metricQueries"] if q["returnData"]]
    assert expression == ["IF(visible > 0 AND received == 0, 1, 0)"]
    assert stalled["evaluationPeriods"] == plan.alarms.stalled_minutes == 15


def test_every_alarm_has_actions_and_a_valid_missing_data_treatment_when_built(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    run = build(run_components, plan)
    alarms = run.of_type(ALARM)
    assert sorted(a.name for a in alarms) == sorted(f"events-alarm-{k}" for k in
                                                    ("age", "dlq", "saturation", "max-tasks", "stalled"))
    for a in alarms:
        assert a.inputs["alarmActions"] == [TOPIC_ARN]
        assert a.inputs["okActions"] == [TOPIC_ARN]
        assert a.inputs["treatMissingData"] in limits.CLOUDWATCH_TREAT_MISSING_DATA
    assert set(run.outputs["alarms"]) == {"age", "dlq", "saturation", "max-tasks", "stalled"}


def test_topic_gets_one_email_subscription_per_alert_address(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    run = build(run_components, plan)
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in subscriptions) == [
        ("email", "a@example.com", TOPIC_ARN), ("email", "b@example.com", TOPIC_ARN)
    ]


def test_no_topic_is_created_when_an_existing_topic_is_given(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    existing = "arn:aws:sns:eu-west-1:123456789012:shared"
    run = build(run_components, plan, topic_arn=existing)
    assert run.of_type("aws:sns/topic:Topic") == []
    assert all(a.inputs["alarmActions"] == [existing] for a in run.of_type(ALARM))


def test_scheduled_plans_get_only_age_and_dlq_alarms_when_there_is_no_fleet(run_components):
    plan = plan_workload(SCHEDULED_WORKLOAD)
    run = build(run_components, plan, cluster_name=None, service_name=None)
    assert sorted(a.name for a in run.of_type(ALARM)) == ["questions-alarm-age", "questions-alarm-dlq"]


def test_redis_alarms_use_the_workers_metrics_when_the_broker_is_redis(run_components):
    plan = plan_workload(REDIS_WORKLOAD)
    run = build(run_components, plan, queue_name=None, dlq_name=None)
    kinds = sorted(a.name.rsplit("-alarm-", 1)[1] for a in run.of_type(ALARM))
    assert kinds == ["age", "dlq", "max-tasks", "saturation"]
    saturation = alarm(run, plan, "saturation")
    assert (saturation["namespace"], saturation["metricName"], saturation["dimensions"]) == (
        "qcap/Redis", "QueueDepth", {"Stack": TEST_STACK, "Workload": "points"}
    )
    assert alarm(run, plan, "age")["treatMissingData"] == "breaching"  # min_capacity 1: silence means no workers


def test_alarm_args_reject_an_sqs_plan_when_queue_names_are_missing():
    with pytest.raises(ValueError, match="set `queue_name` and `dlq_name`"):
        QueueAlarmsArgs(plan=plan_workload(SQS_WORKLOAD), stack="s")
