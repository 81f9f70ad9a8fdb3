"""Backlog-per-task autoscaling of a consumer service: scalable target, target tracking, schedule, zero.

The service tracks (visible + in flight) / running tasks (SQS) or the workers' QueueDepth /
running tasks (Redis) against the plan's target, with running tasks from Container Insights.
Scheduled actions move min capacity through the day. When the plan lets the service rest at
zero tasks a step policy on queue depth brings it back to one, because backlog per task is
undefined at zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pulumi
import pulumi_aws as aws

from capacity import contract, limits
from capacity.plan import WorkloadPlan
from capacity.scale_in_band import band_steps
from components.queue_alarms import redis_dimensions
from components.tags import workload_tags

SCALABLE_DIMENSION = "ecs:service:DesiredCount"
# The metric-math expressions autoscaling tracks (ids are the metric query ids below).
SQS_BACKLOG_PER_TASK_EXPRESSION = "(visible + inflight) / tasks"
REDIS_BACKLOG_PER_TASK_EXPRESSION = "depth / tasks"
# Waiting messages while no task runs (FILL: no task publishes no datapoint).
SQS_DEPTH_AT_ZERO_EXPRESSION = "IF(FILL(tasks, 0) == 0, visible, 0)"
REDIS_DEPTH_AT_ZERO_EXPRESSION = "IF(FILL(tasks, 0) == 0, depth, 0)"
SCALE_FROM_ZERO_THRESHOLD_MESSAGES = 1
SCALE_FROM_ZERO_STEP_TASKS = 1


@dataclass(frozen=True)
class ScalingSpec:
    """One service to scale: its plan, where it runs, and its queue (`queue_name` None: Redis)."""

    plan: WorkloadPlan
    stack: str
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    queue_name: pulumi.Input[str] | None = None

    @property
    def redis(self) -> bool:
        return self.plan.broker == contract.REDIS


@dataclass
class ServiceScaling:
    """The scaling resources of one service."""

    target: aws.appautoscaling.Target
    policy_arns: list[pulumi.Output[str]]
    scheduled_actions: list[aws.appautoscaling.ScheduledAction]


def metric_stat(query_id: str, namespace: str, metric: str, dims: Mapping[str, Any], stat: str) -> dict[str, Any]:
    """A metric query in the shape a target tracking policy takes."""
    return {
        "id": query_id,
        "return_data": False,
        "metric_stat": {
            "stat": stat,
            "metric": {
                "namespace": namespace,
                "metric_name": metric,
                "dimensions": [{"name": k, "value": v} for k, v in dims.items()],
            },
        },
    }


def depth_metrics(spec: ScalingSpec, stat: str) -> list[dict[str, Any]]:
    """Metric queries for the queue's depth: visible + in flight (SQS) or the workers' QueueDepth."""
    if spec.redis:
        return [metric_stat("depth", contract.REDIS_NAMESPACE, contract.REDIS_DEPTH_METRIC,
                            redis_dimensions(spec.stack, spec.plan), stat)]
    dims = {contract.SQS_QUEUE_DIMENSION: spec.queue_name}
    return [
        metric_stat("visible", contract.SQS_NAMESPACE, contract.SQS_VISIBLE_METRIC, dims, stat),
        metric_stat("inflight", contract.SQS_NAMESPACE, contract.SQS_IN_FLIGHT_METRIC, dims, stat),
    ]


def tasks_metric(spec: ScalingSpec) -> dict[str, Any]:
    dims = {contract.CLUSTER_DIMENSION: spec.cluster_name, contract.SERVICE_DIMENSION: spec.service_name}
    return metric_stat("tasks", contract.CONTAINER_INSIGHTS_NAMESPACE, contract.RUNNING_TASKS_METRIC, dims, "Average")


def alarm_query(query: dict[str, Any]) -> dict[str, Any]:
    """A scaling metric query in the shape a CloudWatch alarm takes."""
    stat = query["metric_stat"]
    return {
        "id": query["id"],
        "return_data": False,
        "metric": {
            "namespace": stat["metric"]["namespace"],
            "metric_name": stat["metric"]["metric_name"],
            "dimensions": {d["name"]: d["value"] for d in stat["metric"]["dimensions"]},
            "stat": stat["stat"],
            "period": limits.CLOUDWATCH_ALARM_PERIOD_SECONDS,
        },
    }


def on_target(target: aws.appautoscaling.Target) -> dict[str, Any]:
    """The arguments that attach a policy or scheduled action to the scalable target."""
    return {"service_namespace": target.service_namespace, "scalable_dimension": target.scalable_dimension,
            "resource_id": target.resource_id}


def deploy_min_capacity(plan: WorkloadPlan) -> int:
    """The min capacity the scalable target and the service start with: the plan's, or with a schedule its
    busiest floor until the first scheduled action."""
    deploy = plan.scaling.deploy_min_capacity if plan.scaling else None
    return plan.min_capacity if deploy is None else deploy


def create_scaling(name: str, spec: ScalingSpec, opts: pulumi.ResourceOptions) -> ServiceScaling:
    """Scalable target and backlog-per-task tracking; scheduled min capacity; scale from zero when min is 0."""
    plan, stack = spec.plan, spec.stack
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="ecs",
        scalable_dimension=SCALABLE_DIMENSION,
        resource_id=pulumi.Output.concat("service/", spec.cluster_name, "/", spec.service_name),
        # With a schedule, created at the busiest floor so a first deploy at any hour holds (deploy_min_capacity).
        min_capacity=deploy_min_capacity(plan),
        max_capacity=plan.max_capacity,
        tags=workload_tags(plan, stack, "scaling"),
        # Scheduled actions move min capacity through the day; a deploy must not reset it.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["minCapacity"]))
        if plan.scaling.scheduled_capacity else opts,
    )
    expression = REDIS_BACKLOG_PER_TASK_EXPRESSION if spec.redis else SQS_BACKLOG_PER_TASK_EXPRESSION
    tracking = aws.appautoscaling.Policy(
        f"{name}-scaling-backlog",
        name=f"qcap-{stack}-{plan.name}-backlog-per-task",
        policy_type="TargetTrackingScaling",
        **on_target(target),
        target_tracking_scaling_policy_configuration={
            "target_value": plan.scaling.target_backlog_per_task,
            "scale_out_cooldown": plan.scaling.scale_out_cooldown_seconds,
            "scale_in_cooldown": plan.scaling.scale_in_cooldown_seconds,
            # With a scale-in band, a step policy scales in below its threshold (create_scale_in_band).
            "disable_scale_in": plan.scaling.scale_in_backlog_per_task is not None,
            "customized_metric_specification": {
                "metrics": [
                    *depth_metrics(spec, "Average"),
                    tasks_metric(spec),
                    {
                        "id": "backlogpertask",
                        "expression": expression,
                        "label": "backlog per task",
                        "return_data": True,
                    },
                ]
            },
        },
        opts=opts,
    )
    actions = create_scheduled_capacity(name, plan, stack, target, opts)
    arns = [tracking.arn]
    if plan.scaling.predictive is not None:
        arns.append(create_predictive_scaling(name, spec, target, opts))
    if plan.min_capacity == 0:
        arns.append(create_scale_from_zero(name, spec, target, opts))
    if plan.scaling.scale_in_backlog_per_task is not None:
        arns.append(create_scale_in_band(name, spec, target, opts))
    return ServiceScaling(target, arns, actions)


def create_scale_in_band(name: str, spec: ScalingSpec, target: aws.appautoscaling.Target,
                         opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """Step policy and its alarm: 15 minutes of backlog per task below the band's threshold scale the fleet in,
    by the share that puts the metric mid-band (capacity/scale_in_band.py)."""
    plan = spec.plan
    threshold = plan.scaling.scale_in_backlog_per_task
    steps = band_steps(threshold, plan.scaling.target_backlog_per_task)
    expression = REDIS_BACKLOG_PER_TASK_EXPRESSION if spec.redis else SQS_BACKLOG_PER_TASK_EXPRESSION
    queries = [alarm_query(q) for q in [*depth_metrics(spec, "Average"), tasks_metric(spec)]]
    queries.append({"id": "backlogpertask", "expression": expression, "label": "backlog per task", "return_data": True})
    return create_alarmed_step_policy(name, "scale-in", spec, target, opts, {
        "adjustment_type": "PercentChangeInCapacity",
        "min_adjustment_magnitude": limits.SCALE_IN_MIN_ADJUSTMENT_TASKS,
        "cooldown": plan.scaling.scale_in_cooldown_seconds,
        "metric_aggregation_type": "Average",
        "step_adjustments": [
            {**({} if s.lower_below_threshold is None
                else {"metric_interval_lower_bound": format(s.lower_below_threshold, "g")}),
             "metric_interval_upper_bound": format(s.upper_below_threshold, "g"),
             "scaling_adjustment": -s.percent}
            for s in steps
        ],
    }, dict(
        alarm_description=(f"{plan.name}: backlog per task below {threshold:g} for "
                           f"{limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS} minutes; scale in (the plan's scale-in band)"),
        comparison_operator="LessThanThreshold",
        threshold=threshold,
        evaluation_periods=limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS,
        datapoints_to_alarm=limits.TARGET_TRACKING_SCALE_IN_DATAPOINTS,
        treat_missing_data="notBreaching",  # no datapoint (no task running): nothing to scale in
        metric_queries=queries,
    ))


def create_alarmed_step_policy(name: str, suffix: str, spec: ScalingSpec, target: aws.appautoscaling.Target,
                               opts: pulumi.ResourceOptions, config: dict[str, Any],
                               alarm: dict[str, Any]) -> pulumi.Output[str]:
    """A step-scaling policy on the scalable target and the CloudWatch alarm that invokes it (`<name>-scaling-<suffix>`,
    `<name>-alarm-<suffix>`, both named qcap-<stack>-<workload>-<suffix>)."""
    plan, stack = spec.plan, spec.stack
    step = aws.appautoscaling.Policy(
        f"{name}-scaling-{suffix}",
        name=f"qcap-{stack}-{plan.name}-{suffix}",
        policy_type="StepScaling",
        **on_target(target),
        step_scaling_policy_configuration=config,
        opts=opts,
    )
    aws.cloudwatch.MetricAlarm(
        f"{name}-alarm-{suffix}",
        name=f"qcap-{stack}-{plan.name}-{suffix}",
        alarm_actions=[step.arn],
        tags=workload_tags(plan, stack, "alarm"),
        opts=opts,
        **alarm,
    )
    return step.arn


def create_scheduled_capacity(name: str, plan: WorkloadPlan, stack: str, target: aws.appautoscaling.Target,
                              opts: pulumi.ResourceOptions) -> list[aws.appautoscaling.ScheduledAction]:
    """One scheduled action per change of the plan's hourly min capacity, cron in the profile's time zone."""
    actions = []
    for action in plan.scaling.scheduled_capacity:
        actions.append(aws.appautoscaling.ScheduledAction(
            f"{name}-min-{action.hour:02d}h",
            name=f"qcap-{stack}-{plan.name}-min-{action.hour:02d}h",
            **on_target(target),
            schedule=action.cron,
            timezone=action.time_zone,
            scalable_target_action={"min_capacity": action.min_capacity, "max_capacity": plan.max_capacity},
            opts=opts,
        ))
    return actions


def create_scale_from_zero(name: str, spec: ScalingSpec, target: aws.appautoscaling.Target,
                           opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """Step policy and its alarm: messages waiting while no task runs start one task."""
    plan = spec.plan
    expression = REDIS_DEPTH_AT_ZERO_EXPRESSION if spec.redis else SQS_DEPTH_AT_ZERO_EXPRESSION
    queries = [alarm_query(q) for q in depth_metrics(spec, "Maximum") if q["id"] != "inflight"]
    queries.append(alarm_query(tasks_metric(spec)))
    queries.append({"id": "waiting", "expression": expression, "label": "waiting with no task", "return_data": True})
    return create_alarmed_step_policy(name, "from-zero", spec, target, opts, {
        "adjustment_type": "ChangeInCapacity",
        "cooldown": plan.scaling.scale_out_cooldown_seconds,
        "metric_aggregation_type": "Maximum",
        "step_adjustments": [
            {"metric_interval_lower_bound": "0", "scaling_adjustment": SCALE_FROM_ZERO_STEP_TASKS}
        ],
    }, dict(
        alarm_description=f"{plan.name}: messages wait and no task runs; start one (min_capacity is 0)",
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=SCALE_FROM_ZERO_THRESHOLD_MESSAGES,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        treat_missing_data="notBreaching",  # no queue datapoint: nothing waits
        metric_queries=queries,
    ))


def predictive_query(query_id: str, namespace: str, metric: str, dims: Mapping[str, Any], stat: str,
                     returned: bool) -> dict[str, Any]:
    """A metric query in the shape a predictive scaling metric specification takes (no period: AWS picks it)."""
    return {
        "id": query_id,
        "return_data": returned,
        "metric_stat": {
            "stat": stat,
            "metric": {"namespace": namespace, "metric_name": metric,
                       "dimensions": [{"name": k, "value": v} for k, v in dims.items()]},
        },
    }


def predictive_metrics(spec: ScalingSpec) -> dict[str, Any]:
    """Load = messages arriving; scaling = messages handled per running task; capacity = running tasks."""
    if spec.redis:
        # A Redis queue publishes no arrivals: what the workers process stands in (equal while they keep up).
        namespace, dims = contract.REDIS_NAMESPACE, redis_dimensions(spec.stack, spec.plan)
        arrived = handled = (namespace, contract.WORKER_PROCESSED_METRIC)
    else:
        namespace, dims = contract.SQS_NAMESPACE, {contract.SQS_QUEUE_DIMENSION: spec.queue_name}
        arrived, handled = (namespace, contract.SQS_SENT_METRIC), (namespace, contract.SQS_DELETED_METRIC)
    task_dims = {contract.CLUSTER_DIMENSION: spec.cluster_name, contract.SERVICE_DIMENSION: spec.service_name}
    tasks = (contract.CONTAINER_INSIGHTS_NAMESPACE, contract.RUNNING_TASKS_METRIC)
    return {
        "customized_load_metric_specification": {"metric_data_queries": [
            predictive_query("load", *arrived, dims, "Sum", True)]},
        "customized_scaling_metric_specification": {"metric_data_queries": [
            predictive_query("handled", *handled, dims, "Sum", False),
            predictive_query("tasks", *tasks, task_dims, "Average", False),
            {"id": "pertask", "expression": "handled / tasks", "label": "messages per running task",
             "return_data": True},
        ]},
        "customized_capacity_metric_specification": {"metric_data_queries": [
            predictive_query("capacity", *tasks, task_dims, "Average", True)]},
    }


def create_predictive_scaling(name: str, spec: ScalingSpec, target: aws.appautoscaling.Target,
                              opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """Application Auto Scaling's predictive policy: tasks for each forecast hour, launched a buffer ahead."""
    plan, stack = spec.plan, spec.stack
    predictive = plan.scaling.predictive
    policy = aws.appautoscaling.Policy(
        f"{name}-scaling-predictive",
        name=f"qcap-{stack}-{plan.name}-predictive",
        policy_type="PredictiveScaling",
        **on_target(target),
        predictive_scaling_policy_configuration={
            "mode": predictive.mode,
            "scheduling_buffer_time": predictive.scheduling_buffer_seconds,
            "max_capacity_breach_behavior": "HonorMaxCapacity",  # max_capacity is the plan's bound, kept
            "metric_specifications": [{
                "target_value": format(predictive.target_messages_per_task_per_minute, "g"),
                **predictive_metrics(spec),
            }],
        },
        opts=opts,
    )
    return policy.arn
