"""An execution role with the ECS task execution managed policy, attached exclusively, and a narrow customer policy."""
import json

import pulumi_aws as aws

EXPECTED = None
role = aws.iam.Role("execution", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
secrets = aws.iam.Policy("execution-secrets", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db-*"}]}))
aws.iam.RolePolicyAttachmentsExclusive("execution-policies", role_name=role.name, policy_arns=[
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", secrets.arn])
