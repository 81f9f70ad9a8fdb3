"""A separate RedrivePolicy resource naming a DLQ ARN that is no queue of this stack (a typo)."""
import json

import pulumi_aws as aws

EXPECTED = "sqs-dlq-in-stack"
TAGS = {"qcap:workload": "billing"}
aws.sqs.Queue("billing-dlq", name="billing-dlq", sqs_managed_sse_enabled=True, tags={**TAGS, "qcap:role": "dlq"})
queue = aws.sqs.Queue("billing", name="billing", sqs_managed_sse_enabled=True, tags=TAGS)
aws.sqs.RedrivePolicy("billing-redrive", queue_url=queue.id, redrive_policy=json.dumps({
    "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:biling-dlq", "maxReceiveCount": 5}))
