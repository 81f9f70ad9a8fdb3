"""get_policy_document for a task role's policy with sqs:* on every queue, attached through aws.iam.Policy."""
import pulumi_aws as aws

EXPECTED = "iam-least-privilege"
trust = aws.iam.get_policy_document(statements=[{"actions": ["sts:AssumeRole"], "principals": [
    {"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}]}])
role = aws.iam.Role("task", assume_role_policy=trust.json)
queues = aws.iam.get_policy_document(statements=[{"actions": ["sqs:*"], "resources": ["arn:aws:sqs:*:*:*"]}])
policy = aws.iam.Policy("task-queues", policy=queues.json)
aws.iam.RolePolicyAttachment("task-queues", role=role.name, policy_arn=policy.arn)
