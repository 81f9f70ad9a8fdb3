"""get_policy_document with a TLS deny on sqs:SendMessage only."""
import pulumi_aws as aws

EXPECTED = "sqs-tls-only"
queue = aws.sqs.Queue("uploads", name="uploads", sqs_managed_sse_enabled=True)
document = aws.iam.get_policy_document(statements=[{
    "effect": "Deny", "principals": [{"type": "*", "identifiers": ["*"]}], "actions": ["sqs:SendMessage"],
    "resources": ["arn:aws:sqs:us-east-1:123456789012:uploads"],
    "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]}])
aws.sqs.QueuePolicy("uploads-policy", queue_url=queue.url, policy=document.json)
