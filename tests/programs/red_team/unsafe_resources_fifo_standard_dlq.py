"""A FIFO queue redriving into a standard DLQ through a separate RedrivePolicy resource."""
import pulumi
import pulumi_aws as aws

EXPECTED = "sqs-fifo-dlq-same-type"
dlq = aws.sqs.Queue("orders-dlq", name="orders-dlq", sqs_managed_sse_enabled=True, tags={"qcap:role": "dlq"})
queue = aws.sqs.Queue("orders", name="orders.fifo", fifo_queue=True, sqs_managed_sse_enabled=True)
aws.sqs.RedrivePolicy("orders-redrive", queue_url=queue.id, redrive_policy=pulumi.Output.json_dumps(
    {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 4}))
