"""SQS queues and SNS topics as the API calls pulumi-aws makes for them (CreateQueue, SetQueueAttributes, ...)."""

from __future__ import annotations

from typing import Any, Callable

from qcap.offline.contract_base import Resource
from qcap.offline.contract_params import attribute_text, drop_none, physical_name, tag_list

SQS_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds", "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod", "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout", "redrivePolicy": "RedrivePolicy", "policy": "Policy",
    "redriveAllowPolicy": "RedriveAllowPolicy", "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication", "deduplicationScope": "DeduplicationScope",
    "fifoThroughputLimit": "FifoThroughputLimit", "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId", "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
}


def sqs_queue(r: Resource) -> list[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    name, auto = physical_name(r)
    attributes = {SQS_ATTRIBUTES[k]: attribute_text(v) for k, v in r.inputs.items() if k in SQS_ATTRIBUTES}
    params = drop_none({"QueueName": name, "Attributes": attributes, "tags": r.inputs.get("tags")})
    return [("sqs", "CreateQueue", params, ("QueueName",) if auto else ())]


def queue_attribute(attribute: str, key: str) -> Callable[[Resource], list]:
    def translate(r: Resource) -> list:
        return [("sqs", "SetQueueAttributes", {"QueueUrl": r.inputs.get("queueUrl"),
                                               "Attributes": {attribute: r.inputs.get(key)}}, ())]
    return translate


def topic(r: Resource) -> list:
    name, auto = physical_name(r)
    attributes = {"KmsMasterKeyId": r.inputs.get("kmsMasterKeyId"), "Policy": r.inputs.get("policy")}
    return [("sns", "CreateTopic", drop_none({"Name": name, "Attributes": drop_none(attributes) or None,
                                              "Tags": tag_list(r.inputs.get("tags"))}), ("Name",) if auto else ())]


def subscription(r: Resource) -> list:
    return [("sns", "Subscribe", {"TopicArn": r.inputs.get("topic"), "Protocol": r.inputs.get("protocol"),
                                  "Endpoint": r.inputs.get("endpoint")}, ())]


def topic_policy(r: Resource) -> list:
    return [("sns", "SetTopicAttributes", {"TopicArn": r.inputs.get("arn"), "AttributeName": "Policy",
                                           "AttributeValue": r.inputs.get("policy")}, ())]
