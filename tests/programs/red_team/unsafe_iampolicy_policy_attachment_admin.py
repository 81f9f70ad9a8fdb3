"""aws.iam.PolicyAttachment (the exclusive one) of AdministratorAccess to roles and users."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-admin-policy"
role = aws.iam.Role("batch", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.PolicyAttachment("batch-admin", roles=[role.name], policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
