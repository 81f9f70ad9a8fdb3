"""A consumer service (its task reads the queue's URL) scaled by target tracking on CPU only."""
import json

import pulumi
import pulumi_aws as aws

EXPECTED = "scaling-on-backlog-per-task"
queue = aws.sqs.Queue("jobs", name="jobs", sqs_managed_sse_enabled=True)
task = aws.ecs.TaskDefinition("jobs-task", family="jobs", cpu="256", memory="512", network_mode="awsvpc",
                              requires_compatibilities=["FARGATE"],
                              container_definitions=queue.url.apply(lambda url: json.dumps([{
                                  "name": "worker", "image": "example/worker:1", "essential": True,
                                  "environment": [{"name": "QUEUE_URL", "value": url}]}])))
service = aws.ecs.Service("jobs-service", name="jobs", cluster="main", task_definition=task.arn, desired_count=1,
                          launch_type="FARGATE", network_configuration={"subnets": ["subnet-1"]})
target = aws.appautoscaling.Target("jobs-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                   resource_id=pulumi.Output.concat("service/main/", service.name),
                                   min_capacity=1, max_capacity=20)
aws.appautoscaling.Policy("jobs-cpu", policy_type="TargetTrackingScaling", service_namespace="ecs",
                          scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                          target_tracking_scaling_policy_configuration={
                              "target_value": 60, "predefined_metric_specification": {
                                  "predefined_metric_type": "ECSServiceAverageCPUUtilization"}})
