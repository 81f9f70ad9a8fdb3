"""managed_policy_arns on the role itself, with AmazonSQSFullAccess."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-admin-policy"
aws.iam.Role("queue-admin", managed_policy_arns=["arn:aws:iam::aws:policy/AmazonSQSFullAccess"],
             assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
