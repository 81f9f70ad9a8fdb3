"""A queue policy written as a JSON string that lets anyone send."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
queue = aws.sqs.Queue("inbox", name="inbox", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("inbox-policy", queue_url=queue.url, policy="""{
  "Version": "2012-10-17",
  "Statement": {"Effect": "Allow", "Principal": "*", "Action": ["sqs:SendMessage"],
                "Resource": "arn:aws:sqs:us-east-1:123456789012:inbox"}
}""")
