"""The predictive scaling policy of a service, under the mocks: its mode, buffer, target and custom metrics."""

from __future__ import annotations

from conftest import REDIS_WORKLOAD, SQS_WORKLOAD, plan_workload
from test_fargate_consumer import POLICY, build, sqs_args

from capacity.profile import ProfileError


def predictive_policies(run):
    return [r for r in run.of_type(POLICY) if r.inputs.get("policyType") == "PredictiveScaling"]


def metric_names(queries):
    return [(q["id"], q.get("metricStat", {}).get("metric", {}).get("metricName"), q.get("returnData"))
            for q in queries]


def test_a_profile_asking_for_predictive_scaling_gets_one_policy_on_the_queues_load_and_the_running_tasks(
        run_components):
    plan = plan_workload(SQS_WORKLOAD, autoscaling={"predictive": "forecast_and_scale", "scheduling_buffer_seconds": 300})
    run = build(run_components, sqs_args(plan))
    (policy,) = predictive_policies(run)
    config = policy.inputs["predictiveScalingPolicyConfiguration"]
    assert (config["mode"], config["schedulingBufferTime"], config["maxCapacityBreachBehavior"]) == (
        "ForecastAndScale", 300, "HonorMaxCapacity")
    (spec,) = config["metricSpecifications"]
    assert float(spec["targetValue"]) == plan.scaling.predictive.target_messages_per_task_per_minute
    assert plan.scaling.predictive.target_messages_per_task_per_minute == round(
        plan.per_task_messages_per_second * plan.scaling.target_utilization * 60, 4)
    assert metric_names(spec["customizedLoadMetricSpecification"]["metricDataQueries"]) == [
        ("load", "NumberOfMessagesSent", True)]
    assert metric_names(spec["customizedScalingMetricSpecification"]["metricDataQueries"]) == [
        ("handled", "NumberOfMessagesDeleted", False), ("tasks", "RunningTaskCount", False), ("pertask", None, True)]
    assert metric_names(spec["customizedCapacityMetricSpecification"]["metricDataQueries"]) == [
        ("capacity", "RunningTaskCount", True)]
    load = spec["customizedLoadMetricSpecification"]["metricDataQueries"][0]["metricStat"]
    assert load["stat"] == "Sum" and load["metric"]["dimensions"] == [{"name": "QueueName", "value": "qcap-unit-events"}]


def test_without_the_option_there_is_no_predictive_policy(run_components):
    run = build(run_components, sqs_args(plan_workload(SQS_WORKLOAD)))
    assert predictive_policies(run) == []
    assert plan_workload(SQS_WORKLOAD).scaling.predictive is None


def test_a_redis_fleet_forecasts_from_what_its_workers_process():
    from components.consumer_scaling import ScalingSpec, predictive_metrics

    plan = plan_workload(REDIS_WORKLOAD, autoscaling={"predictive": "forecast_only"})
    assert plan.scaling.predictive.mode == "ForecastOnly"
    spec = predictive_metrics(ScalingSpec(plan, "unit", "qcap-unit", "points"))
    load = spec["customized_load_metric_specification"]["metric_data_queries"][0]["metric_stat"]["metric"]
    assert (load["namespace"], load["metric_name"]) == ("qcap/Redis", "MessagesProcessed")
    assert load["dimensions"] == [{"name": "Stack", "value": "unit"}, {"name": "Workload", "value": "points"}]


def test_predictive_on_a_scheduled_consumer_is_refused_naming_the_field_and_allowed_values():
    from conftest import SCHEDULED_WORKLOAD

    try:
        plan_workload(SCHEDULED_WORKLOAD, autoscaling={"predictive": "forecast_only"})
    except ProfileError as exc:
        assert any("autoscaling.predictive applies to ECS service fleets" in p and "allowed: leave it out" in p
                   for p in exc.problems)
    else:
        raise AssertionError("a scheduled consumer with predictive scaling was accepted")


def test_the_edge_profile_the_preview_and_pack_pass_asks_for_predictive_scaling():
    """tests/test_preview_cmd.py previews every edge profile through the contract and the pack; this one
    is there to carry the predictive policy (its program builds the policy the first test checks)."""
    from pathlib import Path

    from capacity.stacks import load_stack

    loaded = load_stack(str(Path(__file__).parent / "profiles" / "edge-predictive.yaml"))
    (lane,) = loaded.plan.workloads
    assert lane.scaling.predictive.mode == "ForecastAndScale" and lane.scaling.scheduled_capacity
    assert "scheduled floors follow the daily_shape" in lane.reasons["predictive"]
