"""Capacity rules: each fires on a minimal bad resource and stays quiet on the good one.

Properties go through `wrap_props`, the same protobuf round trip and proxies the pack server
applies, so numbers arrive as floats and nested values as read-only proxies.
"""

from __future__ import annotations

import json

import pytest

from policies.pack import wrap_props
from policies.rules_base import UNKNOWN_SENTINEL, ResourceView, Rule
from policies.pack import all_rules

RULE = {r.id: r for r in all_rules()}
QUEUE = "aws:sqs/queue:Queue"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:qcap-dev-orders-dlq"


def tags(role: str = "queue", environment: str = "dev", **extra: str) -> dict[str, str]:
    base = {
        "qcap:role": role, "qcap:workload": "orders", "qcap:environment": environment,
        "qcap:max-age-seconds": "900", "qcap:processing-p99-seconds": "10", "qcap:drain-seconds": "3600",
        "qcap:peak-messages-per-second": "50", "qcap:concurrency-per-task": "4", "qcap:receive-batch": "4",
    }
    return {**base, **extra}


def view(type_: str, name: str, props: dict, *, deps: tuple[str, ...] = (), **options) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=f"urn:{name}", dependencies=deps,
                        **options)


def queue(name: str = "orders-queue", **props) -> ResourceView:
    base = {"name": "qcap-dev-orders", "messageRetentionSeconds": 345600, "visibilityTimeoutSeconds": 60,
            "maxMessageSize": 1048576, "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN,
                                                                    "maxReceiveCount": 5}),
            "tags": tags()}
    return view(QUEUE, name, {**base, **props})


def dlq(logical: str = "orders-dlq", **props) -> ResourceView:
    base = {"name": "qcap-dev-orders-dlq", "arn": DLQ_ARN, "messageRetentionSeconds": 1209600,
            "maxMessageSize": 1048576, "tags": tags("dlq")}
    return view(QUEUE, logical, {**base, **props})


def messages(rule: Rule, resource: ResourceView, config: dict | None = None) -> list[str]:
    return [v.message for v in rule.run(resource, config)]


def stack_messages(rule: Rule, resources: list[ResourceView], config: dict | None = None) -> list[str]:
    return [v.message for v in rule.run_stack(resources, config)]


# --- DLQ wiring -------------------------------------------------------------------------


def test_queue_has_dlq_fires_when_queue_has_no_redrive_policy():
    bad = queue(redrivePolicy=None)
    assert stack_messages(RULE["sqs-queue-has-dlq"], [bad, dlq()]) == [
        "SQS queue `orders-queue` has no redrive policy: a message that keeps failing is retried until "
        "retention deletes it."
    ]


def test_queue_has_dlq_is_quiet_when_redrive_targets_a_dlq_in_the_stack():
    assert stack_messages(RULE["sqs-queue-has-dlq"], [queue(), dlq()]) == []


def test_queue_has_dlq_accepts_a_separate_redrive_policy_resource():
    source = queue(redrivePolicy=None)
    separate = view("aws:sqs/redrivePolicy:RedrivePolicy", "orders-redrive",
                    {"queueUrl": "u", "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5})},
                    deps=("urn:orders-queue", "urn:orders-dlq"))
    assert stack_messages(RULE["sqs-queue-has-dlq"], [source, separate, dlq()]) == []


def test_a_separate_redrive_policy_belongs_to_its_queue_not_to_the_dlq_whose_arn_it_reads():
    from policies.rules_capacity import redrive_of

    source = queue(redrivePolicy=None)
    dead = dlq()
    unknown_arn = json.dumps({"deadLetterTargetArn": UNKNOWN_SENTINEL, "maxReceiveCount": 5})
    separate = ResourceView(type="aws:sqs/redrivePolicy:RedrivePolicy", name="orders-redrive",
                            props=wrap_props({"queueUrl": UNKNOWN_SENTINEL, "redrivePolicy": unknown_arn}),
                            urn="urn:orders-redrive", dependencies=(source.urn, dead.urn),
                            property_dependencies={"queueUrl": (source.urn,), "redrivePolicy": (dead.urn,)})
    assert redrive_of(source, [source, separate, dead]) is not None
    assert redrive_of(dead, [source, separate, dead]) is None


def test_queue_has_dlq_fires_when_the_redrive_target_is_not_in_the_stack():
    other = queue(tags=tags() | {"qcap:workload": "payments"})
    result = stack_messages(RULE["sqs-queue-has-dlq"], [other, dlq(arn="arn:elsewhere")])
    assert len(result) == 1 and "whose dead-letter queue is not in this stack" in result[0]


def test_dlq_referenced_fires_for_an_orphaned_dlq():
    orphan = dlq("old-dlq", name="qcap-dev-old-dlq", arn="arn:old", tags=tags("dlq") | {"qcap:workload": "old"})
    assert stack_messages(RULE["sqs-dlq-referenced"], [queue(), dlq(), orphan]) == [
        "dead-letter queue `old-dlq` is not the redrive target of any queue in this stack."
    ]


def test_dlq_referenced_is_quiet_when_every_dlq_is_a_target():
    assert stack_messages(RULE["sqs-dlq-referenced"], [queue(), dlq()]) == []


def test_dlq_outlives_source_fires_when_dlq_keeps_messages_no_longer():
    result = stack_messages(RULE["sqs-dlq-outlives-source"], [queue(messageRetentionSeconds=1209600), dlq()])
    assert result == [
        "dead-letter queue `orders-dlq` keeps messages 1209600 s, not longer than its source `orders-queue` "
        "(1209600 s): a standard queue keeps the original enqueue time, so dead letters expire as soon as they arrive."
    ]


def test_dlq_outlives_source_is_quiet_with_planned_retentions():
    assert stack_messages(RULE["sqs-dlq-outlives-source"], [queue(), dlq()]) == []


def test_max_receive_count_fires_when_prod_allows_a_single_receive():
    prod = queue(tags=tags(environment="prod"),
                 redrivePolicy=json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 1}))
    assert messages(RULE["sqs-max-receive-count"], prod) == [
        "SQS queue `orders-queue` is prod and has maxReceiveCount 1: one transient failure dead-letters a "
        "message; use at least 2."
    ]


def test_max_receive_count_fires_when_out_of_sqs_range():
    bad = queue(redrivePolicy=json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 1001}))
    assert messages(RULE["sqs-max-receive-count"], bad) == [
        "SQS queue `orders-queue` has maxReceiveCount 1001; allowed: 1-1000."
    ]


def test_max_receive_count_allows_one_outside_prod():
    dev = queue(redrivePolicy=json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 1}))
    assert messages(RULE["sqs-max-receive-count"], dev) == []


def test_max_receive_count_reads_prod_from_the_stack_for_an_untagged_queue():
    untagged = view(QUEUE, "orders-queue", {"redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN,
                                                                         "maxReceiveCount": 1})},
                    stack_environment="prod")
    assert len(messages(RULE["sqs-max-receive-count"], untagged)) == 1


# --- retention, visibility, size, FIFO ----------------------------------------------------


def test_retention_covers_objective_fires_when_retention_is_shorter_than_drain_plus_age():
    short = queue(messageRetentionSeconds=3600)
    assert messages(RULE["sqs-retention-covers-objective"], short) == [
        "SQS queue `orders-queue` keeps messages 3600 s but the oldest may wait 4500 s (drain 3600 s + objective "
        "900 s): it expires messages before they are processed."
    ]


def test_retention_covers_objective_is_quiet_when_retention_covers_the_wait():
    assert messages(RULE["sqs-retention-covers-objective"], queue()) == []


def test_retention_margin_is_tunable_through_config():
    just_enough = queue(messageRetentionSeconds=4500)
    rule = RULE["sqs-retention-covers-objective"]
    assert messages(rule, just_enough) == []
    assert len(messages(rule, just_enough, {"retentionMargin": 2})) == 1


def test_visibility_fires_when_under_twice_processing_p99():
    assert messages(RULE["sqs-visibility-covers-processing"], queue(visibilityTimeoutSeconds=15)) == [
        "SQS queue `orders-queue` has visibilityTimeoutSeconds 15, under 2 x ceil(receive batch 4 / concurrency 4) x "
        "processing p99 10 s = 20 s: the last messages of a batch reappear while still waiting or being processed, "
        "are handled twice and burn their receive count."
    ]


def test_visibility_uses_sqs_default_of_30_seconds_when_unset():
    unset = queue(visibilityTimeoutSeconds=None, tags=tags(**{"qcap:processing-p99-seconds": "20"}))
    assert "visibilityTimeoutSeconds 30, under 2 x ceil(receive batch 4 / concurrency 4) x processing p99 20 s = 40 s" in \
        messages(RULE["sqs-visibility-covers-processing"], unset)[0]


def test_visibility_fires_above_twelve_hours():
    assert messages(RULE["sqs-visibility-covers-processing"], queue(visibilityTimeoutSeconds=50000)) == [
        "SQS queue `orders-queue` has visibilityTimeoutSeconds 50000; SQS allows at most 43200 (12 h)."
    ]


def test_visibility_is_quiet_for_a_dlq_and_a_good_queue():
    rule = RULE["sqs-visibility-covers-processing"]
    assert messages(rule, queue()) == []
    assert messages(rule, dlq(visibilityTimeoutSeconds=1)) == []


def test_max_message_size_fires_when_unset():
    assert messages(RULE["sqs-max-message-size-set"], queue(maxMessageSize=None)) == [
        "SQS queue `orders-queue` leaves maxMessageSize unset: pulumi-aws defaults it to 262144 bytes, not SQS's "
        "1048576."
    ]
    assert messages(RULE["sqs-max-message-size-set"], queue()) == []


def test_fifo_throughput_fires_when_peak_exceeds_standard_fifo():
    fifo = queue(fifoQueue=True, tags=tags(**{"qcap:peak-messages-per-second": "5000"}))
    assert messages(RULE["sqs-fifo-throughput"], fifo) == [
        "FIFO queue `orders-queue` must take a peak of 5000 msg/s but standard FIFO mode (300 calls/s x batches "
        "of 10) allows 3000 msg/s."
    ]


def test_fifo_throughput_is_quiet_in_high_throughput_mode():
    fast = queue(fifoQueue=True, deduplicationScope="messageGroup", fifoThroughputLimit="perMessageGroupId",
                 tags=tags(**{"qcap:peak-messages-per-second": "5000"}))
    assert messages(RULE["sqs-fifo-throughput"], fast) == []


def test_objective_tagged_fires_when_tags_are_missing():
    bare = queue(tags={"qcap:role": "queue"})
    assert messages(RULE["sqs-objective-tagged"], bare) == [
        "SQS queue `orders-queue` lacks the tags qcap:max-age-seconds, qcap:processing-p99-seconds, "
        "qcap:drain-seconds: the retention and visibility rules cannot check it against its objective."
    ]
    assert messages(RULE["sqs-objective-tagged"], queue()) == []


# --- autoscaling ------------------------------------------------------------------------

POLICY = "aws:appautoscaling/policy:Policy"
TARGET = "aws:appautoscaling/target:Target"


def stat(query_id: str, metric: str, namespace: str = "AWS/SQS") -> dict:
    return {"id": query_id, "returnData": False,
            "metricStat": {"stat": "Average", "metric": {"namespace": namespace, "metricName": metric,
                                                         "dimensions": [{"name": "QueueName", "value": "q"}]}}}


def tracking(spec: dict, target: float = 76) -> ResourceView:
    return view(POLICY, "orders-scaling-backlog", {
        "policyType": "TargetTrackingScaling", "resourceId": "service/c/orders",
        "targetTrackingScalingPolicyConfiguration": {"targetValue": target, "customizedMetricSpecification": spec}})


BACKLOG_PER_TASK = {"metrics": [
    stat("visible", "ApproximateNumberOfMessagesVisible"),
    stat("inflight", "ApproximateNumberOfMessagesNotVisible"),
    stat("tasks", "RunningTaskCount", "ECS/ContainerInsights"),
    {"id": "backlogpertask", "expression": "(visible + inflight) / tasks", "returnData": True},
]}


def test_tracks_backlog_per_task_fires_on_raw_visible_depth_with_a_large_target():
    raw = tracking({"metricName": "ApproximateNumberOfMessagesVisible", "namespace": "AWS/SQS",
                    "statistic": "Average"}, target=50000)
    assert messages(RULE["scaling-tracks-backlog-per-task"], raw) == [
        "scaling policy `orders-scaling-backlog` tracks raw queue depth (ApproximateNumberOfMessagesVisible) at a "
        "fixed target of 50000 messages: the fleet needed for the age objective depends on the tasks running, so "
        "raw depth under-scales a backlog and over-scales a trickle. Track backlog per task instead."
    ]


def test_tracks_backlog_per_task_fires_when_only_visible_messages_are_divided():
    visible_only = {"metrics": [stat("visible", "ApproximateNumberOfMessagesVisible"),
                                stat("tasks", "RunningTaskCount", "ECS/ContainerInsights"),
                                {"id": "b", "expression": "visible / tasks", "returnData": True}]}
    result = messages(RULE["scaling-tracks-backlog-per-task"], tracking(visible_only))
    assert len(result) == 1 and "add ApproximateNumberOfMessagesNotVisible" in result[0]
    assert messages(RULE["scaling-tracks-backlog-per-task"], tracking(visible_only),
                    {"requireInFlight": False}) == []


def test_tracks_backlog_per_task_is_quiet_on_visible_plus_in_flight_per_task():
    assert messages(RULE["scaling-tracks-backlog-per-task"], tracking(BACKLOG_PER_TASK)) == []


def scalable_target(min_capacity: int = 0, max_capacity: int = 10, **tag_values: str) -> ResourceView:
    return view(TARGET, "orders-scaling-target", {
        "minCapacity": min_capacity, "maxCapacity": max_capacity, "resourceId": "service/c/orders",
        "tags": tags("scaling", **tag_values)})


def test_zero_to_one_fires_when_min_is_zero_and_only_target_tracking_exists():
    result = stack_messages(RULE["scaling-zero-to-one-path"], [scalable_target(0), tracking(BACKLOG_PER_TASK)])
    assert result == [
        "scalable target `orders-scaling-target` may scale to 0 tasks but has no step-scaling policy on queue "
        "depth: backlog per task is undefined at 0 tasks, so target tracking never starts the first one and "
        "messages wait until they expire."
    ]


def test_zero_to_one_is_quiet_with_a_step_policy_or_a_minimum_of_one():
    step = view(POLICY, "orders-scale-from-zero", {"policyType": "StepScaling", "resourceId": "service/c/orders"})
    alarm = view("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-alarm-from-zero", {"alarmActions": ["arn:step"]},
                 deps=("urn:orders-scale-from-zero",))
    rule = RULE["scaling-zero-to-one-path"]
    assert stack_messages(rule, [scalable_target(0), tracking(BACKLOG_PER_TASK), step, alarm]) == []
    assert stack_messages(rule, [scalable_target(1), tracking(BACKLOG_PER_TASK)]) == []


def test_zero_to_one_fires_when_no_alarm_invokes_the_step_policy():
    step = view(POLICY, "orders-scale-from-zero", {"policyType": "StepScaling", "resourceId": "service/c/orders"})
    found = stack_messages(RULE["scaling-zero-to-one-path"], [scalable_target(0), tracking(BACKLOG_PER_TASK), step])
    assert len(found) == 1 and "a step-scaling policy that no alarm invokes" in found[0]


def test_sink_connections_fires_when_max_tasks_times_concurrency_exceeds_budget():
    over = scalable_target(1, 40, **{"qcap:sink-max-connections": "60", "qcap:sink-connections-per-slot": "1"})
    assert stack_messages(RULE["scaling-within-sink-connections"], [over]) == [
        "scalable target `orders-scaling-target` allows 40 tasks x 4 in flight x 1 connections = 160 sink "
        "connections, over the sink's 60: at full scale the sink refuses connections and messages fail into the DLQ."
    ]


def test_sink_connections_is_quiet_within_budget_or_without_a_budget():
    rule = RULE["scaling-within-sink-connections"]
    assert stack_messages(rule, [scalable_target(1, 15, **{"qcap:sink-max-connections": "60"})]) == []
    assert stack_messages(rule, [scalable_target(1, 400)]) == []


def lane_target(name: str, max_capacity: int, sink: str = "jobs-db") -> ResourceView:
    return view(TARGET, f"{name}-scaling-target", {
        "minCapacity": 1, "maxCapacity": max_capacity, "resourceId": f"service/c/{name}",
        "tags": tags("scaling", **{"qcap:sink-name": sink, "qcap:sink-max-connections": "60",
                                   "qcap:concurrency-per-task": "10"})})


def test_sink_connections_adds_up_every_target_that_names_the_same_sink():
    # 4 partitions, 10 connections per task, each allowed 3 tasks: 4 x 30 = 120 > 60, though each lane alone fits.
    lanes = [lane_target(f"jobs-{i}", 3) for i in range(4)]
    result = stack_messages(RULE["scaling-within-sink-connections"], lanes)
    assert len(result) == 4
    assert result[0] == (
        "scalable targets sharing sink `jobs-db` allow `jobs-0-scaling-target` 30 + `jobs-1-scaling-target` 30 + "
        "`jobs-2-scaling-target` 30 + `jobs-3-scaling-target` 30 = 120 sink connections at full scale, over the "
        "sink's 60 it shares among them: the sink refuses connections and messages fail into the DLQ."
    )


def test_sink_connections_is_quiet_when_the_shared_total_fits_or_the_sinks_differ():
    rule = RULE["scaling-within-sink-connections"]
    assert stack_messages(rule, [lane_target(f"jobs-{i}", 1) for i in range(4)]) == []  # 4 x 10 = 40 <= 60
    assert stack_messages(rule, [lane_target("a", 5, "db-a"), lane_target("b", 5, "db-b")]) == []


def test_redis_connection_budget_fires_when_workers_exceed_maxclients():
    over = scalable_target(1, 100, **{"qcap:cache-connections-budget": "300", "qcap:cache-pool-size-per-task": "10"})
    assert messages(RULE["redis-connection-budget"], over) == [
        "scalable target `orders-scaling-target` allows 100 tasks x 10 connections + 0 producer connections = 1000, "
        "over the Redis budget of 300."
    ]


def test_redis_connection_budget_is_quiet_within_budget():
    fits = scalable_target(1, 20, **{"qcap:cache-connections-budget": "65000", "qcap:cache-pool-size-per-task": "10"})
    assert messages(RULE["redis-connection-budget"], fits) == []


def service(ignore: tuple[str, ...] = ()) -> ResourceView:
    return view("aws:ecs/service:Service", "orders-service", {"name": "orders", "desiredCount": 1},
                ignore_changes=ignore)


def test_desired_count_fires_when_an_autoscaled_service_does_not_ignore_it():
    assert stack_messages(RULE["ecs-desired-count-ignored"], [service(), scalable_target(1)]) == [
        "ECS service `orders-service` is autoscaled by `orders-scaling-target` but does not ignore changes to "
        "desiredCount: every `pulumi up` resets the task count the autoscaler chose, mid-backlog."
    ]


def test_desired_count_is_quiet_when_ignored_or_not_autoscaled():
    rule = RULE["ecs-desired-count-ignored"]
    assert stack_messages(rule, [service(("desiredCount",)), scalable_target(1)]) == []
    assert stack_messages(rule, [service()]) == []


# --- Cloudflare -------------------------------------------------------------------------

CF_QUEUE = "cloudflare:index/queue:Queue"
CF_CONSUMER = "cloudflare:index/queueConsumer:QueueConsumer"


def consumer(dead_letter: str | None = "sessions-dlq", **settings) -> ResourceView:
    base = {"batchSize": 100, "maxWaitTimeMs": 5000, "maxConcurrency": 20, "maxRetries": 3}
    props = {"queueId": "q0", "scriptName": "w", "settings": {**base, **settings}}
    if dead_letter:
        props["deadLetterQueue"] = dead_letter
    return view(CF_CONSUMER, "sessions-consumer-0", props)


@pytest.mark.parametrize(("key", "value", "limit"), [
    ("maxConcurrency", 400, "at most 250 concurrent consumer invocations"),
    ("batchSize", 150, "at most 100 messages per batch"),
    ("maxWaitTimeMs", 90000, "at most 60000 ms of batch wait"),
    ("maxRetries", 101, "at most 100 retries"),
])
def test_cloudflare_consumer_limits_fire_past_each_limit(key, value, limit):
    assert messages(RULE["cloudflare-consumer-within-limits"], consumer(**{key: value})) == [
        f"Cloudflare consumer `sessions-consumer-0` sets settings.{key} {value}; Cloudflare allows {limit}."
    ]


def test_cloudflare_consumer_limits_are_quiet_at_the_limits():
    at_limits = consumer(batchSize=100, maxWaitTimeMs=60000, maxConcurrency=250, maxRetries=100)
    assert messages(RULE["cloudflare-consumer-within-limits"], at_limits) == []


def cf_queue(name: str, queue_id: str) -> ResourceView:
    return view(CF_QUEUE, name, {"queueName": name, "queueId": queue_id})


def test_cloudflare_queue_has_dlq_fires_when_the_consumer_has_no_dead_letter_queue():
    result = stack_messages(RULE["cloudflare-queue-has-dlq"],
                            [cf_queue("sessions-0", "q0"), cf_queue("sessions-dlq", "d"), consumer(None)])
    assert result == ["Cloudflare queue `sessions-0` has no consumer with a deadLetterQueue: after the last retry a "
                      "failing message is deleted."]


def test_cloudflare_queue_has_dlq_is_quiet_when_the_consumer_names_one():
    resources = [cf_queue("sessions-0", "q0"), cf_queue("sessions-dlq", "d"), consumer()]
    assert stack_messages(RULE["cloudflare-queue-has-dlq"], resources) == []


def test_every_capacity_rule_has_remediation_and_a_level():
    for rule in all_rules():
        assert rule.remediation and rule.why and rule.level in ("mandatory", "advisory"), rule.id


def test_sink_connections_agrees_with_the_planners_split_of_a_shared_sink():
    from capacity.plan import plan
    from capacity.plan.patches import apply_patch, profile_data
    from capacity.profile import parse_profile
    from components.tags import workload_tags
    from tests.item_profiles import load

    def targets(result, max_capacity=None):
        return [view(TARGET, f"{w.name}-scaling-target", {
            "minCapacity": w.min_capacity, "maxCapacity": max_capacity or w.max_capacity,
            "resourceId": f"service/c/{w.name}", "tags": workload_tags(w, "s", "scaling")}) for w in result.workloads]

    rule = RULE["scaling-within-sink-connections"]
    fitted = plan(parse_profile(apply_patch(profile_data(load("shared_sink_partitions")),
                                            {"workloads[0].sink.max_connections": 120})))
    assert fitted.feasible and stack_messages(rule, targets(fitted)) == []
    # What the planner used to allow: 3 tasks per lane against all 60 connections each.
    assert len(stack_messages(rule, targets(plan(load("shared_sink_partitions")), max_capacity=3))) == 4


def _without_scale_in(target: float = 0.9) -> ResourceView:
    policy = tracking(BACKLOG_PER_TASK, target)
    policy.props["targetTrackingScalingPolicyConfiguration"]["disableScaleIn"] = True
    return policy


def _scale_in_step(adjustment: int = -11) -> ResourceView:
    return view(POLICY, "orders-scaling-scale-in", {
        "policyType": "StepScaling", "resourceId": "service/c/orders",
        "stepScalingPolicyConfiguration": {"adjustmentType": "PercentChangeInCapacity", "stepAdjustments": [
            {"metricIntervalUpperBound": "0", "scalingAdjustment": adjustment}]}})


def test_scale_in_path_fires_when_target_tracking_cannot_scale_in_and_nothing_else_does():
    result = stack_messages(RULE["scaling-scale-in-path"], [scalable_target(1), _without_scale_in()])
    assert result == [
        "scalable target `orders-scaling-target`: its target tracking has scale-in disabled and it has no "
        "step-scaling policy that scales in, so the fleet never shrinks: after a surge it runs (and bills) the "
        "largest fleet any surge asked for, up to max capacity."
    ]


def test_scale_in_path_reads_what_the_step_policy_does_not_its_type():
    rule = RULE["scaling-scale-in-path"]
    alarm = view("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-alarm-scale-in", {"alarmActions": ["arn:step"]},
                 deps=("urn:orders-scaling-scale-in",))
    # A step policy that only adds tasks (a zero-to-one path) does not scale the fleet in.
    assert len(stack_messages(rule, [scalable_target(1), _without_scale_in(), _scale_in_step(+1), alarm])) == 1
    found = stack_messages(rule, [scalable_target(1), _without_scale_in(), _scale_in_step()])
    assert len(found) == 1 and "a scale-in step policy that no alarm invokes" in found[0]
    assert stack_messages(rule, [scalable_target(1), _without_scale_in(), _scale_in_step(), alarm]) == []
    assert stack_messages(rule, [scalable_target(1), tracking(BACKLOG_PER_TASK)]) == []  # it scales in itself
