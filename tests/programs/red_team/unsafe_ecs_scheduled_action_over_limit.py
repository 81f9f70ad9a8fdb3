"""A ScheduledAction raising max capacity to 6,000 tasks for the morning peak."""
import pulumi_aws as aws

EXPECTED = "scaling-scheduled-within-limits"
target = aws.appautoscaling.Target("peak-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                   resource_id="service/main/peak", min_capacity=2, max_capacity=100)
aws.appautoscaling.ScheduledAction("peak-morning", service_namespace="ecs", resource_id=target.resource_id,
                                   scalable_dimension=target.scalable_dimension, schedule="cron(0 7 * * ? *)",
                                   scalable_target_action={"min_capacity": 10, "max_capacity": 6000})
