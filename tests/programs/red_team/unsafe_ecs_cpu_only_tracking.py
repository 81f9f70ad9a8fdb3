"""A consumer service scaled by target tracking on CPU only."""
import pulumi_aws as aws

EXPECTED = "scaling-on-backlog-per-task"
aws.sqs.Queue("jobs", name="jobs", sqs_managed_sse_enabled=True)
target = aws.appautoscaling.Target("jobs-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                   resource_id="service/main/jobs", min_capacity=1, max_capacity=20)
aws.appautoscaling.Policy("jobs-cpu", policy_type="TargetTrackingScaling", service_namespace="ecs",
                          scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                          target_tracking_scaling_policy_configuration={
                              "target_value": 60, "predefined_metric_specification": {
                                  "predefined_metric_type": "ECSServiceAverageCPUUtilization"}})
