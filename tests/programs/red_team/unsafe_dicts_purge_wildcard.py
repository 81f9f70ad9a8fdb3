"""A RolePolicy built from a dict: sqs:Purge* on the queue is a wildcard that can empty it."""
import json

import pulumi_aws as aws

EXPECTED = "iam-least-privilege"
role = aws.iam.Role("worker", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("worker-queue", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:Purge*"],
     "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"}]}))
