"""Alarm rules: an age alarm that can fire, soon enough, to a topic someone reads and CloudWatch can publish to.

An age alarm with LessThan fires when the queue is healthy and never when it is late; one at
24 hours or more hears of a backlog after a day of missed objectives; a topic nobody subscribes
to, or one encrypted with a key CloudWatch may not use, swallows every alarm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits
from policies.contract import ROLE_TOPIC
from policies.iam_policy import allowed_actions, parse
from policies.rules_base import (
    ADVISORY,
    KMS_ALIAS,
    KMS_KEY,
    KMS_KEY_POLICY,
    MANDATORY,
    METRIC_ALARM,
    SNS_SUBSCRIPTION,
    SNS_TOPIC,
    TAG_MAX_AGE_SECONDS,
    ResourceView,
    Rule,
    as_list,
    depends_on,
    fmt,
    of_type,
)
from policies.rules_scaling import _age_alarm_threshold
from policies.rules_stack import _watched

AWS_MANAGED_SNS_KEY = "alias/aws/sns"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
# What SNS asks KMS for when a publisher sends to an encrypted topic (SNS developer guide, SSE).
PUBLISH_KEY_ACTIONS = ("kms:decrypt", "kms:generatedatakey")


def check_age_alarm_sane(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    threshold = _age_alarm_threshold(view)
    if threshold is None:
        return []
    out = []
    operator = str(view.props.get("comparisonOperator") or "")
    if operator.startswith("LessThan"):
        out.append(f"age alarm `{view.name}` fires when the oldest message is {operator} {fmt(threshold)} s: it is in "
                   "alarm while the queue is healthy and silent when messages are late.")
    if view.tag_number(TAG_MAX_AGE_SECONDS) is None and threshold >= limits.POLICY_MAX_AGE_ALARM_SECONDS:
        out.append(f"age alarm `{view.name}` fires only after {fmt(threshold)} s, at least "
                   f"{fmt(limits.POLICY_MAX_AGE_ALARM_SECONDS)} s: a backlog goes unseen for a day. Tag the alarm "
                   f"with {TAG_MAX_AGE_SECONDS} and alarm at the objective.")
    return out


def check_age_alarm_missing_data(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if _age_alarm_threshold(view) is None or str(view.props.get("treatMissingData")) != "notBreaching":
        return []
    if _watched(view):
        # SQS publishes a queue's metrics while it holds messages (it is "active"): missing data there means
        # nothing waits, so notBreaching is right. A worker-published age goes missing when the worker is down.
        return []
    return [f"age alarm `{view.name}` treats missing data as not breaching: if the metric stops (a worker that "
            "publishes it is down, a queue gone idle) the alarm stays OK; check that silence means healthy here."]


def _alarm_topics(views: Sequence[ResourceView]) -> list[ResourceView]:
    """Topics alarms act on (by ARN or dependency), and topics tagged as the stack's alarm topic."""
    alarms = of_type(views, METRIC_ALARM)
    found = []
    for topic in of_type(views, SNS_TOPIC):
        arn = topic.known("arn")
        acted_on = any(depends_on(a, topic) or (arn and arn in [str(x) for x in as_list(a.known("alarmActions"))])
                       for a in alarms)
        if acted_on or topic.role == ROLE_TOPIC:
            found.append(topic)
    return found


def check_alarm_topic_subscribed(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    subscriptions = of_type(views, SNS_SUBSCRIPTION)
    out = []
    for topic in _alarm_topics(views):
        arn = topic.known("arn")
        if any(depends_on(s, topic) or (arn and s.known("topic") == arn) for s in subscriptions):
            continue
        out.append((topic.urn, f"alarm topic `{topic.name}` has no subscription in the stack: alarms reach nobody "
                               "(a profile without alerts.emails builds exactly this). Subscribe an address or an "
                               "on-call endpoint, or confirm one is subscribed outside the stack."))
    return out


def _key_of(topic: ResourceView, keys: Sequence[ResourceView], views: Sequence[ResourceView]) -> ResourceView | None:
    wanted = str(topic.known("kmsMasterKeyId") or "")
    for key in keys:
        if depends_on(topic, key) or (wanted and wanted in (str(key.known("arn")), str(key.known("keyId")))):
            return key
    for alias in of_type(views, KMS_ALIAS):
        if wanted and str(alias.known("name")) == wanted:
            target = str(alias.known("targetKeyId") or "")
            for key in keys:
                if depends_on(alias, key) or target in (str(key.known("arn")), str(key.known("keyId"))):
                    return key
    return None


def _key_policy(key: ResourceView, views: Sequence[ResourceView]) -> Any:
    """The key's policy: its own `policy`, or that of an aws.kms.KeyPolicy resource set on it."""
    key_id = key.known("keyId") or key.known("id")
    for item in of_type(views, KMS_KEY_POLICY):
        if depends_on(item, key) or (key_id and item.known("keyId") == key_id):
            return item.known("policy")
    return key.known("policy")


def grants_cloudwatch(key_policy: Any) -> bool:
    """True when a key policy lets CloudWatch's service principal decrypt and generate data keys."""
    granted: set[str] = set()
    for s in parse(key_policy):
        if s.allow and any(k == "service" and v.lower() == CLOUDWATCH_PRINCIPAL for k, v in s.principals or ()):
            granted |= allowed_actions(s)
    return all(a in granted for a in PUBLISH_KEY_ACTIONS)


def check_alarm_topic_key(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    keys = of_type(views, KMS_KEY)
    out = []
    for topic in _alarm_topics(views):
        key_id = str(topic.known("kmsMasterKeyId") or "")
        if key_id == AWS_MANAGED_SNS_KEY:
            out.append((topic.urn, f"alarm topic `{topic.name}` is encrypted with {AWS_MANAGED_SNS_KEY}, whose key "
                                   "policy CloudWatch cannot use: the alarms never arrive. Use a customer key that "
                                   "grants cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*."))
            continue
        key = _key_of(topic, keys, views) if key_id else None
        policy = _key_policy(key, views) if key is not None else None
        if key is not None and policy and not grants_cloudwatch(policy):
            out.append((topic.urn, f"alarm topic `{topic.name}` is encrypted with key `{key.name}`, whose policy does "
                                   "not let cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey*: "
                                   "CloudWatch cannot publish, and the alarms never arrive."))
    return out


RULES: tuple[Rule, ...] = (
    Rule(
        id="age-alarm-sane",
        description="An age alarm fires when messages are old (GreaterThan), and under a day unless tagged.",
        level=MANDATORY,
        why="An inverted age alarm is loud when healthy and silent when late; a day-long one is too late.",
        remediation="Use GreaterThanThreshold at the queue's age objective.",
        check=check_age_alarm_sane, resource_types=(METRIC_ALARM,),
    ),
    Rule(
        id="age-alarm-missing-data",
        description="An age alarm on a worker-published metric that treats missing data as not breaching is a "
                    "choice a person confirms.",
        level=ADVISORY,
        why="When the worker that publishes the age stops, notBreaching keeps the alarm OK however late the messages "
            "are (SQS's own age metric keeps coming while the queue holds messages, so it is exempt).",
        remediation="Use treatMissingData breaching (or missing) where silence means the publisher is down.",
        check=check_age_alarm_missing_data, resource_types=(METRIC_ALARM,),
    ),
    Rule(
        id="alarm-topic-subscribed",
        description="The topic alarms publish to has a subscription in the stack.",
        level=ADVISORY,
        why="A topic without subscribers takes every alarm and tells nobody.",
        remediation="Add an aws.sns.TopicSubscription (qcap: alerts.emails in the profile).",
        check=check_alarm_topic_subscribed, stack=True,
    ),
    Rule(
        id="alarm-topic-key-usable",
        description="An alarm topic's KMS key lets CloudWatch publish (not alias/aws/sns).",
        level=MANDATORY,
        why="CloudWatch must call kms:GenerateDataKey* and kms:Decrypt on the topic's key to deliver an alarm.",
        remediation="Encrypt with a customer key whose policy allows cloudwatch.amazonaws.com those calls.",
        check=check_alarm_topic_key, stack=True,
    ),
)
