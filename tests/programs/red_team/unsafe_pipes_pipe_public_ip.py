"""An EventBridge Pipe from a queue to ECS tasks with public IPs."""
import pulumi_aws as aws

EXPECTED = "task-set-pipe-no-public-ip"
aws.pipes.Pipe("to-ecs", role_arn="arn:aws:iam::123456789012:role/pipe", source="arn:aws:sqs:us-east-1:123456789012:in",
               target="arn:aws:ecs:us-east-1:123456789012:cluster/main", target_parameters={"ecs_task_parameters": {
                   "task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1",
                   "launch_type": "FARGATE", "network_configuration": {"aws_vpc_configuration": {
                       "subnets": ["subnet-0a"], "assign_public_ip": "ENABLED"}}}})
