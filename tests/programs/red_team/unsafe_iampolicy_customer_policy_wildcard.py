"""A customer aws.iam.Policy with sqs:* attached by ARN: the document is checked where it is written."""
import json

import pulumi_aws as aws

EXPECTED = "iam-least-privilege"
role = aws.iam.Role("handler", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
policy = aws.iam.Policy("handler-sqs", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:123456789012:handler"}]}))
aws.iam.RolePolicyAttachment("handler-sqs", role=role.name, policy_arn=policy.arn)
