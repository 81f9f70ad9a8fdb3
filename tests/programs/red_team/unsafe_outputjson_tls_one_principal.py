"""A TLS deny for one role only: every other caller may use plain HTTP."""
import pulumi
import pulumi_aws as aws

EXPECTED = "sqs-tls-only"
queue = aws.sqs.Queue("narrow", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("narrow-policy", queue_url=queue.id, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:role/producer"}, "Action": "sqs:*",
        "Resource": queue.arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
