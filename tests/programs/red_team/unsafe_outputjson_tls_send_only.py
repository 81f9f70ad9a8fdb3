"""A TLS deny on sqs:SendMessage only: receiving in clear is still allowed."""
import pulumi
import pulumi_aws as aws

EXPECTED = "sqs-tls-only"
queue = aws.sqs.Queue("plain", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("plain-policy", queue_url=queue.id, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage",
                                            "Resource": queue.arn,
                                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
