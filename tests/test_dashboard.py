"""Dashboard under the mocks: one row per workload, the plan's thresholds drawn as annotations."""

from __future__ import annotations

import json

import pytest
from conftest import REDIS_WORKLOAD, SCHEDULED_WORKLOAD, SQS_WORKLOAD, TEST_REGION, TEST_STACK, plan_workload

from capacity import limits
from components.dashboard import Dashboard, DashboardArgs, DashboardWorkload

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def build(run_components, *workloads):
    def program():
        dashboard = Dashboard("dashboard", DashboardArgs(stack=TEST_STACK, region=TEST_REGION, workloads=workloads))
        return {"url": dashboard.url, "name": dashboard.dashboard_name}

    run = run_components(program)
    resource = run.named("dashboard-dashboard")
    return run, json.loads(resource.inputs["dashboardBody"])


def panels(body, workload):
    return {w["properties"]["title"].split(": ", 1)[1]: w for w in body["widgets"]
            if w["type"] == "metric" and w["properties"]["title"].startswith(f"{workload}: ")}


def annotations(widget):
    return [(a["label"], a["value"]) for a in widget["properties"]["annotations"]["horizontal"]]


def sqs_item(plan):
    return DashboardWorkload(plan=plan, queue_name="qcap-unit-events", dlq_name="qcap-unit-events-dlq",
                             cluster_name="qcap-unit", service_name="events")


def test_sqs_row_draws_target_capacity_objective_and_dlq_thresholds_from_the_plan(run_components):
    plan = plan_workload(SQS_WORKLOAD, objective__max_age_seconds=300)
    run, body = build(run_components, sqs_item(plan))
    row = panels(body, "events")
    assert list(row) == ["backlog per task vs target", "running tasks", "age of oldest message", "dead-letter depth"]
    assert annotations(row["backlog per task vs target"]) == [
        (f"target {plan.scaling.target_backlog_per_task:g}", plan.scaling.target_backlog_per_task), ("concurrency c = 2", 2),
        ("scale in below 1.08", 1.08)]  # the plan's scale-in band
    # max 14: one above the 12-13 tasks target tracking rests at in the peak at the chosen utilization 0.9.
    assert annotations(row["running tasks"]) == [("min 3", 3), ("max 14", 14)]
    assert annotations(row["age of oldest message"]) == [("objective 300 s", 300)]
    assert annotations(row["dead-letter depth"]) == [("alarm at 1", 1)]
    metrics = row["backlog per task vs target"]["properties"]["metrics"]
    assert metrics[0] == [{"expression": "(visible + inflight) / tasks", "label": "backlog per task",
                           "id": "backlogpertask"}]
    assert metrics[1] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "qcap-unit-events",
                          {"id": "visible", "visible": False}]
    assert metrics[3][:6] == ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", "qcap-unit",
                              "ServiceName", "events"]
    assert row["dead-letter depth"]["properties"]["metrics"] == [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "qcap-unit-events-dlq"]]
    assert run.outputs["url"] == (f"https://{TEST_REGION}.console.aws.amazon.com/cloudwatch/home?region="
                                  f"{TEST_REGION}#dashboards/dashboard/qcap-{TEST_STACK}")


def test_redis_row_reads_the_workers_metrics_and_adds_cache_panels_with_budgets(run_components):
    plan = plan_workload(REDIS_WORKLOAD)
    _, body = build(run_components, DashboardWorkload(plan=plan, cluster_name="qcap-unit", service_name="points"))
    row = panels(body, "points")
    assert list(row) == ["backlog per task vs target", "running tasks", "age of oldest message",
                         "dead-letter depth", "cache engine CPU", "cache memory", "cache connections",
                         "cache evictions"]
    depth = row["backlog per task vs target"]["properties"]["metrics"]
    assert depth[0][0]["expression"] == "depth / tasks"
    assert depth[1] == ["qcap/Redis", "QueueDepth", "Stack", TEST_STACK, "Workload", "points",
                        {"id": "depth", "visible": False}]
    assert row["age of oldest message"]["properties"]["metrics"] == [
        ["qcap/Redis", "OldestMessageAgeSeconds", "Stack", TEST_STACK, "Workload", "points"]]
    assert row["dead-letter depth"]["properties"]["metrics"][0][1] == "DeadLetterDepth"
    assert annotations(row["cache connections"]) == [
        (f"alarm {plan.cache.alarm_connections}", plan.cache.alarm_connections),
        (f"budget {plan.cache.connections_budget}", plan.cache.connections_budget)]
    assert annotations(row["cache engine CPU"]) == [("alarm 80%", limits.REDIS_CPU_ALARM_PERCENT)]
    nodes = [m[3] for m in row["cache memory"]["properties"]["metrics"]]
    assert nodes == [f"qcap-{TEST_STACK}-points-{i:03d}" for i in range(1, plan.cache.nodes + 1)]


def test_scheduled_row_has_no_task_panels_when_there_is_no_service(run_components):
    plan = plan_workload(SCHEDULED_WORKLOAD)
    _, body = build(run_components, DashboardWorkload(plan=plan, queue_name="q", dlq_name="q-dlq"))
    assert list(panels(body, "questions")) == ["age of oldest message", "dead-letter depth"]


def test_panels_sit_three_to_a_row_under_each_workloads_title(run_components):
    _, body = build(run_components, sqs_item(plan_workload(SQS_WORKLOAD)),
                    DashboardWorkload(plan=plan_workload(REDIS_WORKLOAD)))
    placed = [(w["type"], w["x"], w["y"], w["width"], w["height"]) for w in body["widgets"]]
    assert placed[:6] == [("text", 0, 0, 24, 1), ("metric", 0, 1, 8, 6), ("metric", 8, 1, 8, 6),
                          ("metric", 16, 1, 8, 6), ("metric", 0, 7, 8, 6), ("text", 0, 13, 24, 1)]
    assert all(w["properties"]["period"] == 60 for w in body["widgets"] if w["type"] == "metric")


def test_dashboard_workload_rejects_a_cloudflare_plan_and_an_sqs_plan_without_queue_names():
    from factories import CLOUDFLARE_WORKLOAD

    with pytest.raises(ValueError, match="publishes nothing to CloudWatch"):
        DashboardWorkload(plan=plan_workload(CLOUDFLARE_WORKLOAD))
    with pytest.raises(ValueError, match="set `queue_name` and `dlq_name`"):
        DashboardWorkload(plan=plan_workload(SQS_WORKLOAD))
