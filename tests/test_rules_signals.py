"""Scaling signal rules: backlog per task beside step or predictive policies, wake alarms, schedules, cooldowns."""

from __future__ import annotations

from policies.rules_capacity import policy_type
from policies.pack import all_rules, wrap_props
from policies.rules_base import ResourceView

RULE = {r.id: r for r in all_rules()}
TARGET_URN = "urn:target"


def view(type_: str, name: str, props: dict, urn: str = "", deps: tuple[str, ...] = ()) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=urn or f"urn:{name}", dependencies=deps)


def stack_messages(rule_id: str, *views: ResourceView) -> list[str]:
    return [v.message for v in RULE[rule_id].run_stack(list(views))]


def target(min_capacity: int = 1) -> ResourceView:
    return view("aws:appautoscaling/target:Target", "target", {"serviceNamespace": "ecs", "resourceId": "service/c/s",
                                                                "minCapacity": min_capacity, "maxCapacity": 10},
                urn=TARGET_URN)


def policy(name: str, policy_type: str, **config) -> ResourceView:
    return view("aws:appautoscaling/policy:Policy", name, {"policyType": policy_type, "resourceId": "service/c/s",
                                                           **config}, deps=(TARGET_URN,))


def metric(id_: str, namespace: str, name: str) -> dict:
    return {"id": id_, "metricStat": {"metric": {"namespace": namespace, "metricName": name}}}


BACKLOG = policy("backlog", "TargetTrackingScaling", targetTrackingScalingPolicyConfiguration={
    "targetValue": 9, "customizedMetricSpecification": {"metrics": [
        metric("v", "AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        metric("f", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible"),
        metric("t", "ECS/ContainerInsights", "RunningTaskCount"),
        {"id": "e", "expression": "(v + f) / t", "returnData": True}]}})
CPU = policy("cpu", "TargetTrackingScaling", targetTrackingScalingPolicyConfiguration={
    "targetValue": 60, "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"}})
PREDICTIVE = policy("predictive", "PredictiveScaling", predictiveScalingPolicyConfiguration={"mode": "ForecastOnly"})
QUEUE = view("aws:sqs/queue:Queue", "q", {"name": "q"})


def test_cpu_only_tracking_on_a_queue_consumer_is_blocked():
    # target -> service -> task definition -> the queue (its URL in the container's environment)
    service = view("aws:ecs/service:Service", "svc", {"name": "s"}, deps=("urn:task",))
    task = view("aws:ecs/taskDefinition:TaskDefinition", "task", {"family": "t"}, deps=(QUEUE.urn,))
    wired = view("aws:appautoscaling/target:Target", "target", dict(target().props), urn=TARGET_URN, deps=(service.urn,))
    assert "tracks ECSServiceAverageCPUUtilization only" in stack_messages("scaling-on-backlog-per-task",
                                                                           QUEUE, task, service, wired, CPU)[0]


def test_cpu_only_tracking_on_a_service_not_wired_to_any_queue_is_left_alone_though_the_stack_has_one():
    assert stack_messages("scaling-on-backlog-per-task", QUEUE, target(), CPU) == []


def test_a_predictive_or_cpu_policy_beside_backlog_tracking_passes():
    assert stack_messages("scaling-on-backlog-per-task", QUEUE, target(), BACKLOG, PREDICTIVE, CPU) == []


def test_a_wake_alarm_on_cpu_at_min_zero_is_blocked_and_one_on_depth_passes():
    wake = policy("wake", "StepScaling")

    def alarm(namespace, name):
        return view("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {"namespace": namespace, "metricName": name},
                    deps=("urn:wake",))
    assert len(stack_messages("scaling-wake-alarm-has-data", target(0), wake, alarm("AWS/ECS", "CPUUtilization"))) == 1
    assert stack_messages("scaling-wake-alarm-has-data", target(0), wake,
                          alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible")) == []


def test_a_policy_that_names_no_type_is_read_as_the_step_scaling_pulumi_aws_deploys_it_as():
    # appautoscaling.Policy defaults policyType to StepScaling: an untyped wake policy on CPU is still caught.
    wake = view("aws:appautoscaling/policy:Policy", "wake", {"resourceId": "service/c/s"}, deps=(TARGET_URN,))
    cpu = view("aws:cloudwatch/metricAlarm:MetricAlarm", "a", {"namespace": "AWS/ECS", "metricName": "CPUUtilization"},
               deps=("urn:wake",))
    assert len(stack_messages("scaling-wake-alarm-has-data", target(0), wake, cpu)) == 1
    assert policy_type({}) == "StepScaling"
    assert policy_type({"policyType": "TargetTrackingScaling"}) == "TargetTrackingScaling"


def test_a_scheduled_action_past_five_thousand_tasks_is_blocked():
    action = view("aws:appautoscaling/scheduledAction:ScheduledAction", "s", {
        "serviceNamespace": "ecs", "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 6000}})
    assert [v.message for v in RULE["scaling-scheduled-within-limits"].run(action)] == [
        "scheduled action `s` raises maxCapacity to 6000 tasks; an ECS service runs at most 5000."]


def test_a_zero_cooldown_is_advised():
    zero = policy("z", "TargetTrackingScaling", targetTrackingScalingPolicyConfiguration={"scaleInCooldown": 0})
    assert len(RULE["scaling-cooldown-not-zero"].run(zero)) == 1
    assert RULE["scaling-cooldown-not-zero"].run(BACKLOG) == []
