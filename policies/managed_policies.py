"""AWS managed policies qcap attaches, as AWS publishes them, so the access model can read what they grant.

AmazonECSTaskExecutionRolePolicy, version v1 (IAM console, "AWS managed policies for Amazon
ECS"): pull from ECR and write to CloudWatch Logs, on any resource. A managed policy not listed
here makes the calls it would cover undecided, never allowed. Pure data.
"""

from __future__ import annotations

from typing import Any

AMAZON_ECS_TASK_EXECUTION_ROLE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}

# Policy name (the last part of arn:aws:iam::aws:policy/...) -> its document.
AWS_MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "AmazonECSTaskExecutionRolePolicy": AMAZON_ECS_TASK_EXECUTION_ROLE_POLICY,
}
