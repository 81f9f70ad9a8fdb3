"""Resource arn:aws:sqs:*:*:* is every queue of every account, not the worker's queue."""
import json

import pulumi_aws as aws

EXPECTED = "iam-least-privilege"
role = aws.iam.Role("reader", assume_role_policy=json.dumps({"Statement": {"Effect": "Allow", "Principal": {
    "Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}, "Version": "2012-10-17"}))
aws.iam.RolePolicy("reader-queues", role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": {
    "Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "arn:aws:sqs:*:*:*"}}))
