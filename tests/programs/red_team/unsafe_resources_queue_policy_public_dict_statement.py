"""A QueuePolicy whose Statement is one object and whose Action is a list with sqs:*."""
import json

import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
queue = aws.sqs.Queue("mixed", name="mixed", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("mixed-policy", queue_url=queue.url, policy=json.dumps({
    "Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": ["sqs:GetQueueUrl", "sqs:*"],
                                           "Resource": "arn:aws:sqs:us-east-1:123456789012:mixed"}}))
