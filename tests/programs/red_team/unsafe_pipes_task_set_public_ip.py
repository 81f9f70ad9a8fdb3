"""An ECS TaskSet (external deployment) whose tasks get public IPs."""
import pulumi_aws as aws

EXPECTED = "task-set-pipe-no-public-ip"
aws.ecs.TaskSet("blue", service="worker", cluster="main", task_definition="worker:2", launch_type="FARGATE",
                network_configuration={"subnets": ["subnet-0a"], "assign_public_ip": True})
