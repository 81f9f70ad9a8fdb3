"""A task definition whose credentials come by valueFrom, with the worker's own variables in plain text."""
import json

import pulumi_aws as aws

EXPECTED = None
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db-AbCdEf"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
execution = aws.iam.Role("worker-execution", assume_role_policy=TRUST,
                         managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
                         inline_policies=[{"name": "secret", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET}]})}])
task = aws.iam.Role("worker-task", assume_role_policy=TRUST, inline_policies=[{"name": "queue", "policy": json.dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                       "sqs:GetQueueAttributes"], "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"},
        {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}]})}])
aws.ecs.TaskDefinition("worker", family="worker", requires_compatibilities=["FARGATE"], network_mode="awsvpc",
                       cpu="256", memory="512", execution_role_arn=execution.arn, task_role_arn=task.arn,
                       container_definitions=json.dumps([{
                           "name": "worker", "image": "worker:1", "essential": True, "user": "1000",
                           "readonlyRootFilesystem": True,
                           "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "worker"}},
                           "environment": [
                               {"name": "QUEUE_URL", "value": "https://sqs.us-east-1.amazonaws.com/123456789012/orders"},
                               {"name": "METRIC_NAMESPACE", "value": "qcap/Redis"},
                               {"name": "CONCURRENCY", "value": "8"}, {"name": "RECEIVE_BATCH", "value": "10"},
                               {"name": "DB_SECRET_ARN", "value": SECRET},
                               {"name": "LOG_LEVEL", "value": "INFO"}],
                           "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET}],
                           "linuxParameters": {"capabilities": {"drop": ["ALL"]}}}]))
