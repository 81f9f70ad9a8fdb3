"""Allow with NotPrincipal: everyone but the one named account may purge the queue."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
aws.sqs.Queue("work", name="work", sqs_managed_sse_enabled=True, policy="""{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:PurgeQueue",
   "Resource": "arn:aws:sqs:us-east-1:123456789012:work"}]}""")
