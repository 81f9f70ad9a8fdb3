"""A deny that triggers on SecureTransport true: it blocks TLS callers and lets plain ones through."""
import pulumi
import pulumi_aws as aws

EXPECTED = "sqs-tls-only"
queue = aws.sqs.Queue("inverted", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("inverted-policy", queue_url=queue.id, policy=queue.arn.apply(lambda arn: pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": arn,
                                            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]})))
