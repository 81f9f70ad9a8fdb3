"""SQS and SNS translation: a queue's attributes as text, a topic policy as SetTopicAttributes."""

from __future__ import annotations

from factories import registration

from qcap.offline.contract_calls import translate


def test_a_queue_becomes_create_queue_with_its_attributes_as_text():
    queue = registration("aws:sqs/queue:Queue", "orders-queue", {
        "name": "qcap-dev-orders", "visibilityTimeoutSeconds": 60.0, "sqsManagedSseEnabled": True,
        "redrivePolicy": '{"maxReceiveCount": 5}', "tags": {"qcap:role": "queue"}},
        {"arn": "arn:aws:sqs:us-east-1:123456789012:qcap-dev-orders"})
    (call,) = translate(queue)
    assert (call.service, call.operation, call.autonamed, call.arn) == (
        "sqs", "CreateQueue", (), "arn:aws:sqs:us-east-1:123456789012:qcap-dev-orders")
    assert call.params == {"QueueName": "qcap-dev-orders", "tags": {"qcap:role": "queue"}, "Attributes": {
        "VisibilityTimeout": "60", "SqsManagedSseEnabled": "true", "RedrivePolicy": '{"maxReceiveCount": 5}'}}


def test_a_topic_policy_becomes_set_topic_attributes():
    policy = registration("aws:sns/topicPolicy:TopicPolicy", "p", {"arn": "arn:aws:sns:us-east-1:123456789012:t",
                                                                   "policy": "{}"})
    (call,) = translate(policy)
    assert (call.operation, call.params) == ("SetTopicAttributes", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                                                                    "AttributeName": "Policy", "AttributeValue": "{}"})
