"""RolePolicyAttachmentsExclusive attaching PowerUserAccess."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-admin-policy"
role = aws.iam.Role("ops", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicyAttachmentsExclusive("ops-attachments", role_name=role.name, policy_arns=[
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "arn:aws:iam::aws:policy/PowerUserAccess"])
