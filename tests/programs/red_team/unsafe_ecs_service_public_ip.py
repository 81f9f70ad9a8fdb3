"""A raw ECS service giving its tasks public IPs."""
import pulumi_aws as aws

EXPECTED = "ecs-no-public-ip"
cluster = aws.ecs.Cluster("c", settings=[{"name": "containerInsights", "value": "enabled"}])
aws.ecs.Service("svc", cluster=cluster.arn, task_definition="consumer:1", desired_count=1, launch_type="FARGATE",
                network_configuration={"subnets": ["subnet-0a"], "assign_public_ip": True})
