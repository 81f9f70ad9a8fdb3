"""CloudWatch alarms on one queue, from the plan's thresholds, notifying an SNS topic by email.

Alarms (docs/aws-components.md): age of the oldest message over the objective for 3 of 3
minutes; any message in the DLQ; depth above what the whole fleet is meant to hold
(saturation); tasks at max capacity while the oldest message is past half the objective (left out
where min = max, when the fleet always runs at its ceiling and the age alarm covers it); messages waiting but none received (stalled
consumers). Each alarm notifies on ALARM and on OK. A threshold the plan leaves out
(a scheduled consumer has no fleet to saturate) means no alarm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from capacity import contract, limits
from capacity.contract import (
    CLUSTER_DIMENSION,
    CONTAINER_INSIGHTS_NAMESPACE,
    REDIS_DEAD_LETTER_METRIC,
    REDIS_DEPTH_METRIC,
    REDIS_NAMESPACE,
    REDIS_OLDEST_AGE_METRIC,
    RUNNING_TASKS_METRIC,
    SERVICE_DIMENSION,
    SQS_AGE_METRIC,
    SQS_IN_FLIGHT_METRIC,
    SQS_NAMESPACE,
    SQS_QUEUE_DIMENSION,
    SQS_RECEIVED_METRIC,
    SQS_VISIBLE_METRIC,
    Broker,
)
from capacity.plan import WorkloadPlan
from components.stack_key import account_id, known_arn, stack_key
from components.tags import workload_tags

SQS_BROKERS = contract.SQS_BROKERS
ALARM_KINDS = ("age", "dlq", "saturation", "max-tasks", "stalled")


def topic_policy(topic_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """CloudWatch alarms of this account may publish; nobody may use the topic without TLS."""
    account = account_id()
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "sns:Publish", "Resource": topic_arn,
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
            {"Sid": "AccountManagesTopic", "Effect": "Allow", "Principal": {"AWS": account},
             "Action": ["sns:Subscribe", "sns:Publish", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
             "Resource": topic_arn},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:*",
             "Resource": topic_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    })


def redis_dimensions(stack: str, plan: WorkloadPlan) -> dict[str, str]:
    """Dimensions of the metrics Redis workers publish: Stack and Workload."""
    return {contract.REDIS_STACK_DIMENSION: stack, contract.REDIS_WORKLOAD_DIMENSION: plan.name}


@dataclass(frozen=True)
class QueueAlarmsArgs:
    """What QueueAlarms watches and whom it tells.

    `plan` gives the thresholds and the broker. For SQS brokers `queue_name` and `dlq_name`
    name the queues; for `redis` the workers' metrics are used instead. `cluster_name` and
    `service_name` (both or neither) enable the tasks-at-max alarm. `alert_emails` subscribe
    to a new SNS topic, unless `topic_arn` gives an existing one. Default: no emails.
    The new topic is encrypted with `kms_key_id` (the stack key; default: a key of its own,
    `alias/qcap-<stack>-<workload>`, whose policy lets CloudWatch publish) and denies requests
    without TLS. `region` names the topic's region in its policy; default: the provider's.
    """

    plan: WorkloadPlan
    stack: str
    queue_name: pulumi.Input[str] | None = None
    dlq_name: pulumi.Input[str] | None = None
    cluster_name: pulumi.Input[str] | None = None
    service_name: pulumi.Input[str] | None = None
    alert_emails: tuple[str, ...] = field(default_factory=tuple)
    topic_arn: pulumi.Input[str] | None = None
    kms_key_id: pulumi.Input[str] | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        plan = self.plan
        if plan.broker in SQS_BROKERS and (self.queue_name is None or self.dlq_name is None):
            raise ValueError(
                f"QueueAlarms: workload {plan.name!r} uses {plan.broker}; set `queue_name` and `dlq_name`"
            )
        if plan.broker not in (*SQS_BROKERS, "redis"):
            raise ValueError(f"QueueAlarms: broker {str(plan.broker)!r} has no CloudWatch metrics; allowed: sqs, sqs-fifo, redis")
        if (self.cluster_name is None) != (self.service_name is None):
            raise ValueError("QueueAlarms: set both `cluster_name` and `service_name`, or neither")

    @property
    def redis(self) -> bool:
        return self.plan.broker == Broker.redis


class QueueAlarms(pulumi.ComponentResource):
    """An SNS topic with email subscriptions and the queue's alarms, each acting on ALARM and OK."""

    topic_arn: pulumi.Output[str]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    alarm_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: QueueAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("qcap:aws:QueueAlarms", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._topic: aws.sns.Topic | None = None
        plan = args.plan
        self.topic_arn = pulumi.Output.from_input(args.topic_arn) if args.topic_arn is not None else self._create_topic()
        self.alarms = {}
        self._create_age_alarm()
        self._create_dlq_alarm()
        if plan.alarms.saturation_messages is not None:
            self._create_saturation_alarm()
        if plan.alarms.max_tasks is not None and args.cluster_name is not None:
            self._create_max_tasks_alarm()
        if plan.alarms.stalled_minutes is not None and not args.redis:
            self._create_stalled_alarm()
        self.alarm_arns = {kind: alarm.arn for kind, alarm in self.alarms.items()}
        self.register_outputs({"topic_arn": self.topic_arn, "alarm_arns": self.alarm_arns})

    # --- topic -----------------------------------------------------------------------

    def _create_topic(self) -> pulumi.Output[str]:
        args = self._args
        key_id = args.kms_key_id
        opts = self._child
        if key_id is None:
            key = stack_key(args.stack, args.plan.environment, args.region, None, prefix=f"{self._name}-",
                            alias=f"alias/qcap-{args.stack}-{args.plan.name}", parent=self)
            key_id = key.id_for_topics
            # The topic names the key by its alias, which must exist first.
            opts = pulumi.ResourceOptions(parent=self, depends_on=list(key.resources))
        topic_name = f"qcap-{args.stack}-{args.plan.name}-alarms"
        topic_arn = known_arn("sns", topic_name, args.region)
        topic = aws.sns.Topic(
            f"{self._name}-topic",
            name=topic_name,
            kms_master_key_id=key_id,
            policy=topic_policy(topic_arn),
            tags=workload_tags(args.plan, args.stack, "topic"),
            opts=opts,
        )
        for index, email in enumerate(args.alert_emails):
            aws.sns.TopicSubscription(
                f"{self._name}-email-{index}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=self._child,
            )
        self._topic = topic
        # The ARN SNS gives the topic, built from its name so the alarms' actions are known at the first preview.
        return topic_arn

    # --- alarms ----------------------------------------------------------------------

    def _alarm(self, kind: str, description: str, **settings: Any) -> aws.cloudwatch.MetricAlarm:
        args = self._args
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-alarm-{kind}",
            name=f"qcap-{args.stack}-{args.plan.name}-{kind}",
            alarm_description=description,
            alarm_actions=[self.topic_arn],
            ok_actions=[self.topic_arn],
            tags=workload_tags(args.plan, args.stack, "alarm"),
            # Actions name the topic by its built ARN: it must exist before an alarm can fire into it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._topic] if self._topic else []),
            **settings,
        )
        self.alarms[kind] = alarm
        return alarm

    def _single_metric(self, namespace: str, metric: str, dimensions: dict[str, Any], statistic: str) -> dict[str, Any]:
        return {
            "namespace": namespace,
            "metric_name": metric,
            "dimensions": dimensions,
            "statistic": statistic,
            "period": limits.CLOUDWATCH_ALARM_PERIOD_SECONDS,
        }

    def _create_age_alarm(self) -> None:
        args, plan = self._args, self._args.plan
        minutes = limits.AGE_ALARM_EVALUATION_MINUTES
        if args.redis:
            metric = self._single_metric(
                REDIS_NAMESPACE, REDIS_OLDEST_AGE_METRIC, redis_dimensions(args.stack, plan), "Maximum"
            )
            # Workers that should always run but publish nothing are down: that is the alarm.
            missing = "breaching" if plan.min_capacity > 0 else "notBreaching"
        else:
            metric = self._single_metric(
                SQS_NAMESPACE, SQS_AGE_METRIC, {SQS_QUEUE_DIMENSION: args.queue_name}, "Maximum"
            )
            missing = "notBreaching"  # an idle queue stops publishing: nothing is old
        self._alarm(
            "age",
            f"{plan.name}: oldest message older than the {plan.alarms.age_seconds} s objective "
            f"for {minutes} of {minutes} minutes",
            comparison_operator="GreaterThanThreshold",
            threshold=plan.alarms.age_seconds,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            treat_missing_data=missing,
            **metric,
        )

    def _create_dlq_alarm(self) -> None:
        args, plan = self._args, self._args.plan
        if args.redis:
            metric = self._single_metric(
                REDIS_NAMESPACE, REDIS_DEAD_LETTER_METRIC, redis_dimensions(args.stack, plan), "Maximum"
            )
        else:
            metric = self._single_metric(
                SQS_NAMESPACE, SQS_VISIBLE_METRIC, {SQS_QUEUE_DIMENSION: args.dlq_name}, "Maximum"
            )
        self._alarm(
            "dlq",
            f"{plan.name}: {plan.alarms.dlq_messages} or more messages in the dead-letter queue need a person",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=plan.alarms.dlq_messages,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data="notBreaching",  # a DLQ with messages is active and publishes
            **metric,
        )

    def _create_saturation_alarm(self) -> None:
        args, plan = self._args, self._args.plan
        minutes = limits.SATURATION_ALARM_MINUTES
        description = (
            f"{plan.name}: more than {plan.alarms.saturation_messages} messages waiting or in flight "
            f"(max_capacity x target) for {minutes} minutes: the fleet is saturated"
        )
        common = dict(
            comparison_operator="GreaterThanThreshold",
            threshold=plan.alarms.saturation_messages,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            treat_missing_data="notBreaching",
        )
        if args.redis:
            metric = self._single_metric(REDIS_NAMESPACE, REDIS_DEPTH_METRIC, redis_dimensions(args.stack, plan), "Maximum")
            self._alarm("saturation", description, **common, **metric)
            return
        self._alarm(
            "saturation",
            description,
            metric_queries=[
                self._query("visible", SQS_NAMESPACE, SQS_VISIBLE_METRIC,
                            {SQS_QUEUE_DIMENSION: args.queue_name}, "Maximum"),
                self._query("inflight", SQS_NAMESPACE, SQS_IN_FLIGHT_METRIC,
                            {SQS_QUEUE_DIMENSION: args.queue_name}, "Maximum"),
                {"id": "depth", "expression": "visible + inflight", "label": "visible + in flight", "return_data": True},
            ],
            **common,
        )

    def _create_max_tasks_alarm(self) -> None:
        """Tasks at max capacity while the oldest message ages past half the objective: the fleet is falling
        behind at its ceiling. At the ceiling with young messages it is draining a spike as planned."""
        args, plan = self._args, self._args.plan
        minutes = limits.MAX_TASKS_ALARM_MINUTES
        at_max, old = plan.alarms.max_tasks, plan.alarms.max_tasks_age_seconds
        self._alarm(
            "max-tasks",
            f"{plan.name}: running tasks at max_capacity {at_max} with the oldest message over {old} s for "
            f"{minutes} minutes: the fleet is falling behind at its ceiling",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            treat_missing_data="notBreaching",  # no tasks or an idle queue publish nothing: not behind
            metric_queries=[
                self._query("tasks", CONTAINER_INSIGHTS_NAMESPACE, RUNNING_TASKS_METRIC,
                            {CLUSTER_DIMENSION: args.cluster_name, SERVICE_DIMENSION: args.service_name},
                            "Minimum"),
                self._age_query(),
                {
                    "id": "behind",
                    "expression": f"IF(tasks >= {at_max} AND age > {old}, 1, 0)",
                    "label": "at max capacity with old messages",
                    "return_data": True,
                },
            ],
        )

    def _age_query(self) -> dict[str, Any]:
        """The age of the oldest message as a metric query: SQS's own, or what the Redis workers publish."""
        args = self._args
        if args.redis:
            return self._query("age", REDIS_NAMESPACE, REDIS_OLDEST_AGE_METRIC, redis_dimensions(args.stack, args.plan),
                               "Maximum")
        return self._query("age", SQS_NAMESPACE, SQS_AGE_METRIC, {SQS_QUEUE_DIMENSION: args.queue_name}, "Maximum")

    def _create_stalled_alarm(self) -> None:
        args, plan = self._args, self._args.plan
        minutes = plan.alarms.stalled_minutes
        self._alarm(
            "stalled",
            f"{plan.name}: messages visible but none received for {minutes} minutes: consumers are stalled",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            treat_missing_data="notBreaching",  # a queue with visible messages publishes; missing means idle
            metric_queries=[
                self._query("visible", SQS_NAMESPACE, SQS_VISIBLE_METRIC,
                            {SQS_QUEUE_DIMENSION: args.queue_name}, "Minimum"),
                self._query("received", SQS_NAMESPACE, SQS_RECEIVED_METRIC,
                            {SQS_QUEUE_DIMENSION: args.queue_name}, "Sum"),
                {
                    "id": "stalled",
                    "expression": "IF(visible > 0 AND received == 0, 1, 0)",
                    "label": "visible but nothing received",
                    "return_data": True,
                },
            ],
        )

    @staticmethod
    def _query(query_id: str, namespace: str, metric: str, dimensions: dict[str, Any], stat: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": metric,
                "dimensions": dimensions,
                "stat": stat,
                "period": limits.CLOUDWATCH_ALARM_PERIOD_SECONDS,
            },
        }
