"""A TLS deny narrowed by a second condition: only callers from one VPC endpoint are held to TLS."""
import pulumi
import pulumi_aws as aws

EXPECTED = "sqs-tls-only"
queue = aws.sqs.Queue("vpce", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("vpce-policy", queue_url=queue.id, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue.arn,
                                            "Condition": {"Bool": {"aws:SecureTransport": "false"},
                                                          "StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}}]}))
