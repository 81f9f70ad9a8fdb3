"""Principal * with StringNotEquals aws:SourceAccount on the own account: everyone else gets in."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
queue = aws.sqs.Queue("events", name="events", sqs_managed_sse_enabled=True, policy="""{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "FromOwn", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage",
                 "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}}]
}""")
