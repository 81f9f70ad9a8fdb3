"""ScheduledConsumer under the mocks: a schedule on the plan's interval running a task with its batch limits."""

from __future__ import annotations

import json

import pytest
from conftest import SCHEDULED_WORKLOAD, SQS_WORKLOAD, TEST_REGION, TEST_STACK, plan_workload

from components.scheduled_consumer import ScheduledConsumer, ScheduledConsumerArgs, rate_expression

QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:qcap-unit-questions"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/qcap-unit-questions"


def args_for(plan):
    return ScheduledConsumerArgs(plan=plan, stack=TEST_STACK, region=TEST_REGION, subnet_ids=["subnet-a"],
                                 security_group_ids=["sg-consumer"], queue_url=QUEUE_URL, queue_arn=QUEUE_ARN)


def build(run_components, plan):
    def program():
        consumer = ScheduledConsumer(plan.name, args_for(plan))
        return {"schedule": consumer.schedule_arn, "task": consumer.task_definition_arn,
                "cluster": consumer.cluster_arn}

    return run_components(program)


def test_schedule_runs_one_task_on_the_plans_interval_without_public_ip(run_components):
    plan = plan_workload(SCHEDULED_WORKLOAD)
    run = build(run_components, plan)
    schedule = run.named("questions-schedule").inputs
    assert schedule["scheduleExpression"] == "rate(5 minutes)" and plan.scheduled.interval_seconds == 300
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    target = schedule["target"]
    assert target["arn"] == run.outputs["cluster"]
    assert target["ecsParameters"]["taskDefinitionArn"] == run.outputs["task"]
    assert target["ecsParameters"]["taskCount"] == 1
    assert target["ecsParameters"]["networkConfiguration"] == {
        "assignPublicIp": False, "subnets": ["subnet-a"], "securityGroups": ["sg-consumer"]
    }
    assert target["retryPolicy"]["maximumEventAgeInSeconds"] == plan.scheduled.interval_seconds


def test_task_environment_carries_the_plans_batch_limit_and_concurrency(run_components):
    plan = plan_workload(SCHEDULED_WORKLOAD)
    run = build(run_components, plan)
    definition = json.loads(run.named("questions-task").inputs["containerDefinitions"])[0]
    env = {e["name"]: e["value"] for e in definition["environment"]}
    assert (env["BATCH_LIMIT"], env["CONCURRENCY"]) == (str(plan.scheduled.batch_limit), str(plan.scheduled.max_concurrency)) == ("30", "5")
    assert env["QUEUE_URL"] == QUEUE_URL


def test_scheduler_role_may_only_run_this_task_and_pass_its_two_roles(run_components):
    run = build(run_components, plan_workload(SCHEDULED_WORKLOAD))
    assume = json.loads(run.named("questions-schedule-role").inputs["assumeRolePolicy"])
    assert assume["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    (run_task,) = json.loads(run.named("questions-schedule-policy").inputs["policy"])["Statement"]
    family_arn = run.outputs["task"].rsplit(":", 1)[0]
    assert (run_task["Action"], run_task["Resource"]) == (["ecs:RunTask"], [f"{family_arn}:*"])
    assert run_task["Condition"] == {"ArnEquals": {"ecs:cluster": run.outputs["cluster"]}}
    (pass_role,) = json.loads(run.named("questions-schedule-pass-roles").inputs["policy"])["Statement"]
    assert pass_role["Action"] == ["iam:PassRole"]
    assert pass_role["Resource"] == [run.named("questions-execution-role").outputs["arn"],
                                     run.named("questions-task-role").outputs["arn"]]
    assert run.named("questions-schedule").inputs["target"]["roleArn"] == run.named("questions-schedule-role").outputs["arn"]


def test_task_role_of_a_scheduled_consumer_allows_only_its_queue_and_its_metric_namespace(run_components):
    run = build(run_components, plan_workload(SCHEDULED_WORKLOAD))
    statement = json.loads(run.named("questions-task-policy").inputs["policy"])["Statement"]
    assert [s["Resource"] for s in statement] == [[QUEUE_ARN], "*"]
    assert statement[1] == {"Sid": "PublishWorkerMetrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData"],
                            "Resource": "*", "Condition": {"StringEquals": {"cloudwatch:namespace": "qcap/Worker"}}}
    env = {e["name"]: e["value"] for e in json.loads(run.named("questions-task").inputs["containerDefinitions"])[0][
        "environment"]}
    assert env["METRIC_NAMESPACE"] == "qcap/Worker"


@pytest.mark.parametrize(("seconds", "expression"), [(60, "rate(1 minute)"), (300, "rate(5 minutes)"),
                                                     (3600, "rate(60 minutes)")])
def test_rate_expression_counts_whole_minutes(seconds, expression):
    assert rate_expression(seconds) == expression


def test_rate_expression_rejects_an_interval_when_it_is_not_whole_minutes():
    with pytest.raises(ValueError, match="interval_seconds 90 is not a whole number of minutes"):
        rate_expression(90)


def test_scheduled_args_reject_a_plan_when_its_mode_is_service():
    with pytest.raises(ValueError, match="use FargateConsumer for mode service"):
        args_for(plan_workload(SQS_WORKLOAD))


def test_schedule_name_fits_schedulers_64_characters_when_the_workload_has_40_characters(run_components):
    plan = plan_workload(SCHEDULED_WORKLOAD, name="daily-customer-satisfaction-survey-sends")
    assert len(plan.name) == 40

    def program():
        ScheduledConsumer(plan.name, ScheduledConsumerArgs(
            plan=plan, stack="scheduled-questions", region=TEST_REGION, subnet_ids=["subnet-a"],
            security_group_ids=["sg-consumer"], queue_url=QUEUE_URL, queue_arn=QUEUE_ARN))

    run = run_components(program)
    (schedule,) = run.of_type("aws:scheduler/schedule:Schedule")
    name = schedule.inputs["name"]
    assert len(f"qcap-scheduled-questions-{plan.name}") == 65
    assert len(name) == 64
    assert name.startswith("qcap-scheduled-questions-daily-customer-satisfaction-")
