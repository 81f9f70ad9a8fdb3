"""FargateConsumer under the mocks: least privilege, no public IP, backlog-per-task scaling from the plan."""

from __future__ import annotations

import json

import pytest
from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, SQS_WORKLOAD, TEST_REGION, TEST_STACK, plan_workload

from components.fargate_consumer import ClusterRef, FargateConsumer, FargateConsumerArgs

QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:qcap-unit-events"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/qcap-unit-events"
POLICY = "aws:appautoscaling/policy:Policy"
EXISTING_CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/shared"


def sqs_args(plan, **overrides):
    settings = dict(plan=plan, stack=TEST_STACK, region=TEST_REGION, subnet_ids=["subnet-a", "subnet-b"],
                    security_group_ids=["sg-consumer"], queue_url=QUEUE_URL, queue_arn=QUEUE_ARN,
                    queue_name="qcap-unit-events")
    settings.update(overrides)
    return FargateConsumerArgs(**settings)


def build(run_components, args):
    def program():
        consumer = FargateConsumer(args.plan.name, args)
        return {"service": consumer.service_name, "cluster": consumer.cluster_name,
                "policies": consumer.scaling_policy_arns}

    return run_components(program)


def container(run, name="events"):
    return json.loads(run.named(f"{name}-task").inputs["containerDefinitions"])[0]


def test_service_has_no_public_ip_and_uses_the_configured_network(run_components):
    run = build(run_components, sqs_args(plan_workload(SQS_WORKLOAD)))
    network = run.named("events-service").inputs["networkConfiguration"]
    assert network == {"assignPublicIp": False, "subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-consumer"]}


def test_task_role_allows_only_the_four_consumer_actions_on_its_own_queue_its_metrics_and_protecting_its_tasks(
        run_components):
    args = sqs_args(plan_workload(SQS_WORKLOAD), cluster=ClusterRef.from_arn(EXISTING_CLUSTER))
    run = build(run_components, args)
    policy = json.loads(run.named("events-task-policy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "ConsumeOwnQueue",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                       "sqs:GetQueueAttributes"],
            "Resource": [QUEUE_ARN],
        },
        {
            "Sid": "PublishWorkerMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "qcap/Worker"}},
        },
        {
            "Sid": "ProtectOwnTasksWhileBusy",
            "Effect": "Allow",
            "Action": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"],
            "Resource": ["arn:aws:ecs:eu-west-1:123456789012:task/shared/*"],
        },
    ]
    task_role = run.named("events-task-role")
    assert run.named("events-task-policy").inputs["role"] == task_role.id


def test_target_tracking_uses_backlog_per_task_metric_math_with_the_plans_target(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    run = build(run_components, sqs_args(plan))
    config = run.named("events-scaling-backlog").inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["targetValue"] == plan.scaling.target_backlog_per_task
    assert (config["scaleOutCooldown"], config["scaleInCooldown"]) == (
        plan.scaling.scale_out_cooldown_seconds, plan.scaling.scale_in_cooldown_seconds)
    metrics = {m["id"]: m for m in config["customizedMetricSpecification"]["metrics"]}
    assert metrics["backlogpertask"]["expression"] == "(visible + inflight) / tasks"
    assert [m["id"] for m in metrics.values() if m["returnData"]] == ["backlogpertask"]
    visible = metrics["visible"]["metricStat"]["metric"]
    inflight = metrics["inflight"]["metricStat"]["metric"]
    tasks = metrics["tasks"]["metricStat"]["metric"]
    assert (visible["namespace"], visible["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert inflight["metricName"] == "ApproximateNumberOfMessagesNotVisible"
    assert visible["dimensions"] == [{"name": "QueueName", "value": "qcap-unit-events"}]
    assert (tasks["namespace"], tasks["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert {d["name"]: d["value"] for d in tasks["dimensions"]} == {"ClusterName": f"qcap-{TEST_STACK}",
                                                                   "ServiceName": "events"}


def test_scalable_target_has_the_plans_min_and_max_capacity(run_components):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=300)
    target = build(run_components, sqs_args(plan)).named("events-scaling-target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (plan.min_capacity, plan.max_capacity) == (3, 14)  # max: room above the resting fleet at the peak
    assert target["resourceId"] == f"service/qcap-{TEST_STACK}/events"
    assert target["scalableDimension"] == "ecs:service:DesiredCount"


@pytest.mark.parametrize("max_age_seconds", [60, 900])
def test_step_policy_from_zero_exists_exactly_when_min_capacity_is_zero(run_components, max_age_seconds):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=max_age_seconds)
    run = build(run_components, sqs_args(plan))
    from_zero = [p for p in run.of_type(POLICY) if p.name == "events-scaling-from-zero"]
    alarms = [a for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name == "events-alarm-from-zero"]
    assert len(from_zero) == len(alarms) == (1 if plan.min_capacity == 0 else 0)
    steps = [p for p in run.of_type(POLICY) if p.inputs["policyType"] == "StepScaling"]
    assert len(run.outputs["policies"]) == 1 + len(steps)


def test_a_scale_in_band_disables_target_trackings_scale_in_and_steps_in_below_its_threshold(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    threshold = plan.scaling.scale_in_backlog_per_task
    assert threshold is not None and threshold < 0.9 * plan.scaling.target_backlog_per_task
    run = build(run_components, sqs_args(plan))
    tracking = run.named("events-scaling-backlog").inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["disableScaleIn"] is True
    step = run.named("events-scaling-scale-in")
    config = step.inputs["stepScalingPolicyConfiguration"]
    assert (config["adjustmentType"], config["minAdjustmentMagnitude"]) == ("PercentChangeInCapacity", 1)
    adjustments = config["stepAdjustments"]
    assert adjustments[0]["metricIntervalUpperBound"] == "0" and "metricIntervalLowerBound" not in adjustments[-1]
    assert all(a["scalingAdjustment"] < 0 for a in adjustments)
    alarm = run.named("events-alarm-scale-in").inputs
    assert alarm["alarmActions"] == [step.outputs["arn"]]
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (threshold, "LessThanThreshold")
    assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == 15
    returned = [q["expression"] for q in alarm["metricQueries"] if q["returnData"]]
    assert returned == ["(visible + inflight) / tasks"]


def test_without_a_band_target_tracking_scales_in_on_its_own(run_components):
    plan = plan_workload(SQS_WORKLOAD, overrides__target_backlog_per_task=1.2)
    assert plan.scaling.scale_in_backlog_per_task is None
    run = build(run_components, sqs_args(plan))
    tracking = run.named("events-scaling-backlog").inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["disableScaleIn"] is False
    assert not [p for p in run.of_type(POLICY) if p.name == "events-scaling-scale-in"]


def test_step_policy_starts_one_task_when_messages_wait_and_no_task_runs(run_components):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=900, traffic__messages_per_day=86_400)
    assert plan.min_capacity == 0
    run = build(run_components, sqs_args(plan))
    step = run.named("events-scaling-from-zero")
    config = step.inputs["stepScalingPolicyConfiguration"]
    assert config["adjustmentType"] == "ChangeInCapacity"
    assert config["stepAdjustments"] == [{"metricIntervalLowerBound": "0", "scalingAdjustment": 1}]
    alarm = run.named("events-alarm-from-zero").inputs
    assert alarm["alarmActions"] == [step.outputs["arn"]]
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    returned = [q["expression"] for q in alarm["metricQueries"] if q["returnData"]]
    assert returned == ["IF(FILL(tasks, 0) == 0, visible, 0)"]


def test_service_ignores_desired_count_and_rolls_back_failed_deployments(run_components):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=60)
    service = build(run_components, sqs_args(plan)).named("events-service")
    assert service.ignore_changes == ("desiredCount",)
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service.inputs["desiredCount"] == plan.min_capacity
    assert (service.inputs["name"], service.inputs["launchType"]) == ("events", "FARGATE")


def test_container_gets_the_plans_stop_timeout_size_and_environment(run_components):
    plan = plan_workload(SQS_WORKLOAD, consumer__task_cpu=512, consumer__task_memory_mib=2048)
    run = build(run_components, sqs_args(plan))
    task = run.named("events-task").inputs
    assert (task["cpu"], task["memory"], task["family"]) == ("512", "2048", f"qcap-{TEST_STACK}-events")
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    definition = container(run)
    assert definition["stopTimeout"] == plan.service.stop_timeout_seconds
    env = {e["name"]: e["value"] for e in definition["environment"]}
    assert env["QUEUE_URL"] == QUEUE_URL
    assert env["RECEIVE_BATCH"] == str(plan.receive_batch)
    assert env["RECEIVE_WAIT_SECONDS"] == "20"
    assert env["CONCURRENCY"] == str(plan.concurrency_per_task)
    assert env["MAX_RECEIVE_COUNT"] == str(plan.max_receive_count) == "5"
    assert env["STOP_TIMEOUT_SECONDS"] == str(plan.service.stop_timeout_seconds)
    assert (env["QCAP_STACK"], env["QCAP_WORKLOAD"]) == (TEST_STACK, "events")
    assert definition["logConfiguration"]["options"]["awslogs-group"] == f"/qcap/{TEST_STACK}/events"
    log = run.named("events-log").inputs
    assert (log["name"], log["retentionInDays"]) == (f"/qcap/{TEST_STACK}/events", 30)


def test_consumer_creates_a_container_insights_cluster_when_none_is_given(run_components):
    run = build(run_components, sqs_args(plan_workload(SQS_WORKLOAD)))
    cluster = run.named("events-cluster").inputs
    assert cluster["name"] == f"qcap-{TEST_STACK}"
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]


def test_consumer_runs_in_the_existing_cluster_when_one_is_given(run_components):
    args = sqs_args(plan_workload(SQS_WORKLOAD), cluster=ClusterRef.from_arn(EXISTING_CLUSTER))
    run = build(run_components, args)
    assert run.of_type("aws:ecs/cluster:Cluster") == []
    assert run.named("events-service").inputs["cluster"] == EXISTING_CLUSTER
    assert run.outputs["cluster"] == "shared"


def test_redis_consumer_scales_on_the_workers_queue_depth_metric(run_components):
    plan = plan_workload(REDIS_WORKLOAD)
    args = FargateConsumerArgs(plan=plan, stack=TEST_STACK, region=TEST_REGION, subnet_ids=["subnet-a"],
                               security_group_ids=["sg-consumer"],
                               secrets={"REDIS_AUTH_TOKEN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t"})
    run = build(run_components, args)
    metrics = {m["id"]: m for m in run.named("points-scaling-backlog").inputs[
        "targetTrackingScalingPolicyConfiguration"]["customizedMetricSpecification"]["metrics"]}
    assert metrics["backlogpertask"]["expression"] == "depth / tasks"
    depth = metrics["depth"]["metricStat"]["metric"]
    assert (depth["namespace"], depth["metricName"]) == ("qcap/Redis", "QueueDepth")
    assert depth["dimensions"] == [{"name": "Stack", "value": TEST_STACK}, {"name": "Workload", "value": "points"}]
    statements = json.loads(run.named("points-task-policy").inputs["policy"])["Statement"]
    assert [s["Action"] for s in statements] == [["cloudwatch:PutMetricData"],
                                                 ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"]]
    env = {e["name"]: e["value"] for e in container(run, "points")["environment"]}
    assert env["REDIS_POOL_SIZE"] == str(plan.cache.pool_size_per_task) == "10"
    assert env["MAX_RECEIVE_COUNT"] == str(plan.max_receive_count)
    assert statements[0]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "qcap/Redis"}}
    assert container(run, "points")["secrets"] == [
        {"name": "REDIS_AUTH_TOKEN", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t"}
    ]
    secrets_policy = json.loads(run.named("points-execution-secrets").inputs["policy"])
    assert secrets_policy["Statement"][0]["Resource"] == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:t"]


def test_consumer_args_reject_a_size_when_fargate_has_no_such_combination():
    plan = plan_workload(SQS_WORKLOAD).model_copy(update={"task_memory_mib": 3000})
    with pytest.raises(ValueError, match=r"task_memory_mib 3000 does not exist with task_cpu 256; allowed: 512, 1024, 2048 MiB"):
        sqs_args(plan)


def test_consumer_args_reject_a_plan_when_its_mode_is_scheduled():
    with pytest.raises(ValueError, match="use ScheduledConsumer for mode scheduled"):
        sqs_args(plan_workload(SCHEDULED_WORKLOAD))


def test_consumer_args_reject_an_sqs_plan_when_the_queue_is_not_named():
    with pytest.raises(ValueError, match="set `queue_url`, `queue_arn` and `queue_name`"):
        sqs_args(plan_workload(SQS_WORKLOAD), queue_arn=None)


LONG_WORKLOAD_NAME = "order-fulfillment-events-ingest-pipeline"  # 40 characters, the profile's maximum


def physical_name(registration):
    """The name AWS sees: the explicit `name`, else Pulumi's autoname (the mock adds the same 8 characters)."""
    return registration.inputs.get("name") or registration.outputs["name"]


def test_role_names_fit_iams_64_characters_when_a_partitioned_lane_has_a_40_character_name(run_components):
    plan = plan_workload(SQS_WORKLOAD, name=LONG_WORKLOAD_NAME, partitions=4)
    assert plan.name == f"{LONG_WORKLOAD_NAME}-0"
    run = build(run_components, sqs_args(plan))
    names = [physical_name(r) for r in run.of_type("aws:iam/role:Role")]
    assert len(names) == 2 and len(set(names)) == 2
    assert [len(n) for n in names if len(n) > 64] == []
SHAPE = {"time_zone": "Europe/London",
         "hourly_multipliers": [0.2] * 7 + [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0] + [0.2] * 6}


def test_scheduled_actions_raise_min_capacity_ahead_of_the_busy_hours_in_the_profiles_time_zone(run_components):
    # Given a tight objective (60 s, under the autoscaler's ~5 min reaction) and a known daily shape
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=60, traffic__peak_to_average=2.2,
                         traffic__daily_shape=SHAPE)
    # When the consumer is built
    run = build(run_components, sqs_args(plan))
    # Then one scheduled action per change of the hourly floor sets min capacity, cron in London time
    actions = run.of_type("aws:appautoscaling/scheduledAction:ScheduledAction")
    got = sorted((a.inputs["schedule"], a.inputs["timezone"], a.inputs["scalableTargetAction"]["minCapacity"])
                 for a in actions)
    assert got == [("cron(0 17 * * ? *)", "Europe/London", 6), ("cron(0 18 * * ? *)", "Europe/London", 2),
                   ("cron(0 6 * * ? *)", "Europe/London", 6), ("cron(0 7 * * ? *)", "Europe/London", 12)]
    assert {a.inputs["scalableTargetAction"]["maxCapacity"] for a in actions} == {plan.max_capacity}
    assert {a.inputs["serviceNamespace"] for a in actions} == {"ecs"}
    # and the scalable target keeps the schedule's min across deploys
    assert run.named("events-scaling-target").ignore_changes == ("minCapacity",)
    assert plan.min_capacity == 2  # the quiet hours' floor
    assert "41% fewer task-hours" in plan.reasons["scheduled_capacity"]


def test_a_scheduled_fleet_is_created_at_its_busiest_floor_so_a_first_deploy_at_any_hour_holds(run_components):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=60, traffic__peak_to_average=2.2,
                         traffic__daily_shape=SHAPE)
    run = build(run_components, sqs_args(plan))
    busiest = max(a.min_capacity for a in plan.scaling.scheduled_capacity)
    assert plan.scaling.deploy_min_capacity == busiest == 12
    assert run.named("events-scaling-target").inputs["minCapacity"] == 12
    assert run.named("events-service").inputs["desiredCount"] == 12
    assert "first deploy at any hour" in plan.reasons["deploy_min_capacity"]


def test_a_fleet_without_a_schedule_is_created_at_its_min_capacity(run_components):
    plan = plan_workload(SQS_WORKLOAD)
    run = build(run_components, sqs_args(plan))
    assert plan.scaling.deploy_min_capacity is None
    assert run.named("events-service").inputs["desiredCount"] == plan.min_capacity


def test_no_scheduled_actions_without_a_daily_shape(run_components):
    run = build(run_components, sqs_args(plan_workload(SQS_WORKLOAD)))
    assert run.of_type("aws:appautoscaling/scheduledAction:ScheduledAction") == []
    assert run.named("events-scaling-target").ignore_changes == ()
