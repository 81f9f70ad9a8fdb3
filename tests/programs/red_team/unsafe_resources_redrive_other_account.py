"""An inline redrive to a DLQ in another account: nothing in the stack watches it."""
import json

import pulumi_aws as aws

EXPECTED = "sqs-dlq-in-stack"
aws.sqs.Queue("ledger", name="ledger", sqs_managed_sse_enabled=True, redrive_policy=json.dumps({
    "deadLetterTargetArn": "arn:aws:sqs:eu-west-1:999999999999:shared-dlq", "maxReceiveCount": 3}))
