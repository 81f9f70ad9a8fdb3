"""Output.json_dumps over the queue's ARN, with Principal {"AWS": "*"} allowed to receive."""
import pulumi
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
queue = aws.sqs.Queue("tasks", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("tasks-policy", queue_url=queue.id, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                   "Resource": queue.arn}]}))
