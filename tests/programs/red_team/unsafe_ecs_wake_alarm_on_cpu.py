"""Min 0 with a wake-up alarm on CPU: at 0 tasks CPU has no data and the fleet never starts."""
import pulumi_aws as aws

EXPECTED = "scaling-wake-alarm-has-data"
target = aws.appautoscaling.Target("nightly-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                   resource_id="service/main/nightly", min_capacity=0, max_capacity=4)
wake = aws.appautoscaling.Policy("nightly-wake", policy_type="StepScaling", service_namespace="ecs",
                                 scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                                 step_scaling_policy_configuration={
                                     "adjustment_type": "ExactCapacity", "cooldown": 60,
                                     "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}]})
aws.cloudwatch.MetricAlarm("nightly-cpu", namespace="AWS/ECS", metric_name="CPUUtilization",
                           dimensions={"ClusterName": "main", "ServiceName": "nightly"}, statistic="Average", period=60,
                           evaluation_periods=1, threshold=10, comparison_operator="GreaterThanThreshold",
                           alarm_actions=[wake.arn])
