"""Alarm rules: age alarms that can fire in time, to a topic someone reads and CloudWatch can publish to."""

from __future__ import annotations

import json

from policies.pack import all_rules, wrap_props
from policies.rules_base import ResourceView

RULE = {r.id: r for r in all_rules()}


def view(type_: str, name: str, props: dict, urn: str = "", deps: tuple[str, ...] = ()) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=urn or f"urn:{name}", dependencies=deps)


def age_alarm(**props) -> ResourceView:
    base = {"namespace": "AWS/SQS", "metricName": "ApproximateAgeOfOldestMessage", "dimensions": {"QueueName": "q"},
            "threshold": 300, "comparisonOperator": "GreaterThanThreshold"}
    return view("aws:cloudwatch/metricAlarm:MetricAlarm", "age", {**base, **props}, deps=("urn:topic",))


def test_an_inverted_or_day_long_age_alarm_is_blocked():
    assert len(RULE["age-alarm-sane"].run(age_alarm(comparisonOperator="LessThanThreshold"))) == 1
    assert len(RULE["age-alarm-sane"].run(age_alarm(threshold=86400))) == 1
    assert RULE["age-alarm-sane"].run(age_alarm()) == []


def test_not_breaching_is_advised_on_a_worker_published_age_only():
    redis = age_alarm(namespace="qcap/Redis", metricName="OldestMessageAgeSeconds", treatMissingData="notBreaching")
    assert len(RULE["age-alarm-missing-data"].run(redis)) == 1
    assert RULE["age-alarm-missing-data"].run(age_alarm(treatMissingData="notBreaching")) == []


def topic(key: str) -> ResourceView:
    return view("aws:sns/topic:Topic", "topic", {"kmsMasterKeyId": key}, urn="urn:topic", deps=("urn:key",))


def key(*statements) -> ResourceView:
    return view("aws:kms/key:Key", "key", {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})},
                urn="urn:key")


ROOT = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}
CLOUDWATCH = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
              "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}


def messages(rule_id: str, *views: ResourceView) -> list[str]:
    return [v.message for v in RULE[rule_id].run_stack(list(views))]


def test_an_alarm_topic_key_without_cloudwatch_grant_or_on_aws_sns_is_blocked():
    assert len(messages("alarm-topic-key-usable", age_alarm(), topic("arn:k"), key(ROOT))) == 1
    assert len(messages("alarm-topic-key-usable", age_alarm(), topic("alias/aws/sns"))) == 1
    assert messages("alarm-topic-key-usable", age_alarm(), topic("arn:k"), key(ROOT, CLOUDWATCH)) == []


def test_an_alarm_topic_without_subscription_is_advised():
    subscription = view("aws:sns/topicSubscription:TopicSubscription", "s", {"protocol": "email"}, deps=("urn:topic",))
    assert len(messages("alarm-topic-subscribed", age_alarm(), topic("arn:k"))) == 1
    assert messages("alarm-topic-subscribed", age_alarm(), topic("arn:k"), subscription) == []


def test_a_key_policy_set_by_its_own_resource_is_the_one_read():
    bare = view("aws:kms/key:Key", "key", {}, urn="urn:key")
    policy = view("aws:kms/keyPolicy:KeyPolicy", "kp", {"policy": json.dumps({"Statement": [ROOT]})},
                  deps=("urn:key",))
    assert len(messages("alarm-topic-key-usable", age_alarm(), topic("arn:k"), bare, policy)) == 1
    granted = view("aws:kms/keyPolicy:KeyPolicy", "kp", {"policy": json.dumps({"Statement": [ROOT, CLOUDWATCH]})},
                   deps=("urn:key",))
    assert messages("alarm-topic-key-usable", age_alarm(), topic("arn:k"), bare, granted) == []
