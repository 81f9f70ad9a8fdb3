"""AmazonECS_FullAccess (an underscore in its name) attached with a RolePolicyAttachment."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-admin-policy"
role = aws.iam.Role("deployer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicyAttachment("deployer-ecs", role=role.name, policy_arn="arn:aws:iam::aws:policy/AmazonECS_FullAccess")
