"""A role another account's principals assume, pinned to the organisation, with a customer policy attached."""
import json

import pulumi_aws as aws

EXPECTED = None
role = aws.iam.Role("partner-sender", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}))
send = aws.iam.Policy("partner-send", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
     "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"}]}))
aws.iam.RolePolicyAttachment("partner-send", role=role.name, policy_arn=send.arn)
