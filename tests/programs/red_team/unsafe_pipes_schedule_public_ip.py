"""An EventBridge Scheduler schedule starting ECS tasks with public IPs."""
import pulumi_aws as aws

EXPECTED = "target-no-public-ip"
aws.scheduler.Schedule("hourly", schedule_expression="rate(1 hour)", flexible_time_window={"mode": "OFF"},
                       target={"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
                               "role_arn": "arn:aws:iam::123456789012:role/scheduler",
                               "ecs_parameters": {"task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/t:1",
                                                  "launch_type": "FARGATE", "network_configuration": {
                                                      "subnets": ["subnet-0a"], "assign_public_ip": True}}})
