"""A task role trusting ECS tasks only, with an inline policy naming the queue's actions and ARN."""
import json

import pulumi_aws as aws

EXPECTED = None
QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
aws.iam.Role("orders-task", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": {
    "Effect": "Allow", "Principal": {"Service": ["ecs-tasks.amazonaws.com"]}, "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}}),
    inline_policies=[{"name": "queue", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                       "sqs:GetQueueAttributes"], "Resource": QUEUE},
        {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}]})}])
