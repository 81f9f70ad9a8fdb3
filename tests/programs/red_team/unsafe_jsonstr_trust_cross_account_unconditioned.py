"""A trust policy naming another account with no condition: advised, a person confirms it."""
import pulumi_aws as aws

EXPECTED = "cross-account-principal-conditioned"
LEVEL = "advisory"
aws.sqs.Queue("own", name="own", sqs_managed_sse_enabled=True, policy="""{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:SendMessage",
   "Resource": "arn:aws:sqs:us-east-1:123456789012:own"}]}""")
aws.iam.Role("partner-reader", assume_role_policy="""{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole"}]}""")
