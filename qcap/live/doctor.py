"""`qcap doctor`'s gathering: read a workload's live facts with boto3 (SQS, CloudWatch, ECS, autoscaling).

The facts are plain data (qcap.live.facts); the arithmetic (qcap.live.drain) and the verdicts
(qcap.live.diagnosis) are pure, so they are tested without AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from capacity import contract, limits, names
from capacity.plan import WorkloadPlan
from capacity.profile import Broker, ConsumerMode
from qcap.live.aws import Aws, error_code, queue_name_from_arn, queue_name_from_url
from qcap.live.facts import QUEUE_MISSING_CODES, History, QueueFacts, ScalingFacts, Series, ServiceFacts, WorkloadFacts


def utc_now() -> datetime:
    """Now, in UTC; tests replace it to pin the CloudWatch window."""
    return datetime.now(timezone.utc)


def metric_window(now: datetime, window_minutes: int) -> tuple[datetime, datetime]:
    """[start, end): whole minutes ending one metric delay before now, so the last minute is complete."""
    end = (now - timedelta(seconds=limits.CLOUDWATCH_METRIC_DELAY_SECONDS)).replace(second=0, microsecond=0)
    return end - timedelta(minutes=window_minutes), end


def queue_name(stack: str, plan: WorkloadPlan) -> str:
    """The contract's physical name: qcap-<stack>-<workload>, with .fifo for FIFO queues."""
    return names.queue_name(stack, plan.name, fifo=plan.broker == Broker.sqs_fifo)


def cluster_and_name(stack: str, cluster_arn: str | None) -> tuple[str, str]:
    """The cluster to query (ARN or name) and its name for the autoscaling resource id."""
    if cluster_arn:
        return cluster_arn, cluster_arn.rsplit("/", 1)[-1]
    return f"qcap-{stack}", f"qcap-{stack}"


@dataclass
class _Calls:
    """Counts AWS calls and the retries botocore made for them (throttling, mostly)."""

    calls: int = 0
    retries: int = 0

    def __call__(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        response = method(**kwargs)
        self.calls += 1
        self.retries += int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        return response


def _is_missing_queue(exc: ClientError) -> bool:
    return error_code(exc) in QUEUE_MISSING_CODES


def _read_queue(aws: Aws, calls: _Calls, url: str) -> QueueFacts | None:
    try:
        attributes = calls(aws.sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])["Attributes"]
    except ClientError as exc:
        if _is_missing_queue(exc):
            return None
        raise
    tags = calls(aws.sqs.list_queue_tags, QueueUrl=url).get("Tags", {})
    redrive = json.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
    return QueueFacts(
        url=url,
        name=queue_name_from_url(url),
        arn=attributes.get("QueueArn", ""),
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        retention_seconds=int(attributes.get("MessageRetentionPeriod", limits.SQS_DEFAULT_RETENTION_SECONDS)),
        visibility_timeout_seconds=int(
            attributes.get("VisibilityTimeout", limits.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS)
        ),
        max_message_bytes=int(attributes.get("MaximumMessageSize", 0)),
        dlq_arn=redrive.get("deadLetterTargetArn"),
        max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
        tags=dict(tags),
    )


def _queue_url(aws: Aws, calls: _Calls, name: str) -> str | None:
    try:
        return calls(aws.sqs.get_queue_url, QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if _is_missing_queue(exc):
            return None
        raise


def _metric_query(query_id: str, metric: str, queue: str, stat: str) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": contract.SQS_NAMESPACE,
                "MetricName": metric,
                "Dimensions": [{"Name": contract.SQS_QUEUE_DIMENSION, "Value": queue}],
            },
            "Period": limits.SQS_METRIC_PERIOD_SECONDS,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def read_history(aws: Aws, calls: _Calls, queue: str, dlq: str | None, start: datetime, end: datetime) -> History:
    """One GetMetricData call (paged) for sent, deleted, age of oldest and the DLQ's visible count."""
    queries = [
        _metric_query("sent", contract.SQS_SENT_METRIC, queue, "Sum"),
        _metric_query("deleted", contract.SQS_DELETED_METRIC, queue, "Sum"),
        _metric_query("age", contract.SQS_AGE_METRIC, queue, "Maximum"),
    ]
    if dlq:
        queries.append(_metric_query("dlq", contract.SQS_VISIBLE_METRIC, dlq, "Maximum"))
    points: dict[str, dict[float, float]] = {q["Id"]: {} for q in queries}
    kwargs: dict[str, Any] = dict(
        MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    while True:
        response = calls(aws.cloudwatch.get_metric_data, **kwargs)
        for result in response.get("MetricDataResults", []):
            for t, v in zip(result.get("Timestamps", []), result.get("Values", [])):
                points[result["Id"]][_epoch(t)] = float(v)
        token = response.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token

    def series(query_id: str) -> Series:
        return tuple(sorted(points.get(query_id, {}).items()))

    return History(
        start_epoch=start.timestamp(),
        end_epoch=end.timestamp(),
        sent=series("sent"),
        deleted=series("deleted"),
        oldest_age=series("age"),
        dlq_visible=series("dlq"),
    )


def read_service(aws: Aws, calls: _Calls, cluster: str, service: str) -> ServiceFacts:
    try:
        response = calls(aws.ecs.describe_services, cluster=cluster, services=[service])
    except ClientError as exc:
        if error_code(exc) in ("ClusterNotFoundException", "ServiceNotFoundException"):
            return ServiceFacts(cluster, service, found=False)
        raise
    active = [s for s in response.get("services", []) if s.get("status") != "INACTIVE"]
    if not active:
        return ServiceFacts(cluster, service, found=False)
    s = active[0]
    return ServiceFacts(
        cluster, service, found=True,
        running=int(s.get("runningCount", 0)), desired=int(s.get("desiredCount", 0)),
        pending=int(s.get("pendingCount", 0)),
    )


def read_scaling(aws: Aws, calls: _Calls, cluster_name: str, service: str) -> ScalingFacts:
    resource_id = f"service/{cluster_name}/{service}"
    dimension = "ecs:service:DesiredCount"
    targets = calls(
        aws.autoscaling.describe_scalable_targets,
        ServiceNamespace="ecs", ResourceIds=[resource_id], ScalableDimension=dimension,
    ).get("ScalableTargets", [])
    if not targets:
        return ScalingFacts(resource_id, target_found=False)
    policies = calls(
        aws.autoscaling.describe_scaling_policies,
        ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension=dimension,
    ).get("ScalingPolicies", [])
    tracking = [p for p in policies if p.get("PolicyType") == "TargetTrackingScaling"]
    policy = tracking[0] if tracking else None
    scale_in_steps = tuple(
        p["PolicyName"] for p in policies if p.get("PolicyType") == "StepScaling" and any(
            a.get("ScalingAdjustment", 0) < 0
            for a in p.get("StepScalingPolicyConfiguration", {}).get("StepAdjustments", [])))
    return ScalingFacts(
        resource_id,
        target_found=True,
        min_capacity=int(targets[0]["MinCapacity"]),
        max_capacity=int(targets[0]["MaxCapacity"]),
        policy_name=policy["PolicyName"] if policy else None,
        target_backlog_per_task=(
            float(policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]) if policy else None
        ),
        read_at=utc_now(),
        scale_in_disabled=(bool(policy["TargetTrackingScalingPolicyConfiguration"].get("DisableScaleIn", False))
                           if policy else None),
        scale_in_step_policies=scale_in_steps,
    )


def gather(
    aws: Aws,
    stack: str,
    plan: WorkloadPlan,
    start: datetime,
    end: datetime,
    *,
    queue_url: str | None = None,
    cluster_arn: str | None = None,
) -> WorkloadFacts:
    """Read one workload's queue, DLQ, CloudWatch history, ECS service and autoscaling."""
    calls = _Calls()
    notes: list[str] = []
    name = queue_name_from_url(queue_url) if queue_url else queue_name(stack, plan)
    url = queue_url or _queue_url(aws, calls, name)
    queue = _read_queue(aws, calls, url) if url else None
    empty = History(start.timestamp(), end.timestamp())
    if queue is None:
        return WorkloadFacts(plan.name, name, None, None, None, empty, None, None, calls.calls, calls.retries)
    dlq_name = queue_name_from_arn(queue.dlq_arn) if queue.dlq_arn else None
    dlq_visible: int | None = None
    if dlq_name:
        dlq_url = _queue_url(aws, calls, dlq_name)
        if dlq_url:
            attributes = calls(
                aws.sqs.get_queue_attributes, QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            dlq_visible = int(attributes.get("ApproximateNumberOfMessages", 0))
    history = read_history(aws, calls, queue.name, dlq_name if dlq_visible is not None else None, start, end)
    if not history.oldest_age:
        notes.append("no ApproximateAgeOfOldestMessage datapoints in the window: age taken as 0")
    service: ServiceFacts | None = None
    scaling: ScalingFacts | None = None
    if queue_url:
        notes.append("--queue-url: a queue qcap did not deploy, so its ECS service and autoscaling are not checked")
    elif plan.mode != ConsumerMode.service:
        notes.append(f"consumer mode {plan.mode}: no long-running service or autoscaling to check")
    else:
        cluster, cluster_name = cluster_and_name(stack, cluster_arn)
        service = read_service(aws, calls, cluster, plan.name)
        if service.found:
            scaling = read_scaling(aws, calls, cluster_name, plan.name)
    if calls.retries:
        notes.append(f"AWS retried {calls.retries} of {calls.calls} calls (throttling or transient errors); "
                     "adaptive retry mode slowed down and they succeeded")
    return WorkloadFacts(
        plan.name, name, queue, dlq_name, dlq_visible, history, service, scaling, calls.calls, calls.retries,
        tuple(notes),
    )


def skipped_note(plan: WorkloadPlan) -> str:
    return f"{plan.name}: broker {plan.broker} is not checked by doctor (it reads SQS queues)"
