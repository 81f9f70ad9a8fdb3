"""Allow with NotResource: the actions apply to every resource but one."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-allow-not-action"
role = aws.iam.Role("sender", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("sender-policy", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:us-east-1:123456789012:audit"}]}))
