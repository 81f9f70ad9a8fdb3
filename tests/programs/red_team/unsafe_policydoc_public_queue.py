"""get_policy_document for a queue policy: a wildcard AWS principal allowed to send, no condition."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
queue = aws.sqs.Queue("intake", name="intake", sqs_managed_sse_enabled=True)
document = aws.iam.get_policy_document(statements=[{
    "effect": "Allow", "principals": [{"type": "AWS", "identifiers": ["*"]}], "actions": ["sqs:SendMessage"],
    "resources": ["arn:aws:sqs:us-east-1:123456789012:intake"]}])
aws.sqs.QueuePolicy("intake-policy", queue_url=queue.url, policy=document.json)
