"""Step scaling on raw queue depth alone: +2 tasks per alarm, however many already run."""
import pulumi_aws as aws

EXPECTED = "scaling-on-backlog-per-task"
target = aws.appautoscaling.Target("mail-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                   resource_id="service/main/mail", min_capacity=1, max_capacity=30)
step = aws.appautoscaling.Policy("mail-step", policy_type="StepScaling", service_namespace="ecs",
                                 scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                                 step_scaling_policy_configuration={
                                     "adjustment_type": "ChangeInCapacity", "cooldown": 60,
                                     "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": 2}]})
aws.cloudwatch.MetricAlarm("mail-depth", namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                           dimensions={"QueueName": "mail"}, statistic="Sum", period=60, evaluation_periods=1,
                           threshold=100, comparison_operator="GreaterThanThreshold", alarm_actions=[step.arn])
