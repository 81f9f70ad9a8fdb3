"""Backlog-per-task tracking with a predictive policy beside it, a wake-up step on queue depth, a scheduled floor."""
import pulumi_aws as aws

EXPECTED = None
target = aws.appautoscaling.Target("orders-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                   resource_id="service/main/orders", min_capacity=0, max_capacity=40)


def metric(id_, namespace, name, dimensions):
    return {"id": id_, "return_data": False, "metric_stat": {"stat": "Average", "metric": {
        "namespace": namespace, "metric_name": name,
        "dimensions": [{"name": k, "value": v} for k, v in dimensions.items()]}}}


aws.appautoscaling.Policy("orders-backlog", policy_type="TargetTrackingScaling", service_namespace="ecs",
                          scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                          target_tracking_scaling_policy_configuration={
                              "target_value": 9, "scale_out_cooldown": 60, "scale_in_cooldown": 300,
                              "customized_metric_specification": {"metrics": [
                                  metric("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "orders"}),
                                  metric("inflight", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible",
                                         {"QueueName": "orders"}),
                                  metric("tasks", "ECS/ContainerInsights", "RunningTaskCount",
                                         {"ClusterName": "main", "ServiceName": "orders"}),
                                  {"id": "perTask", "expression": "(visible + inflight) / tasks", "return_data": True}]}})
aws.appautoscaling.Policy("orders-predictive", policy_type="PredictiveScaling", service_namespace="ecs",
                          scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                          predictive_scaling_policy_configuration={"mode": "ForecastOnly", "metric_specifications": [{
                              "target_value": "60", "predefined_metric_pair_specification": {
                                  "predefined_metric_type": "ECSServiceCPUUtilization"}}]})
wake = aws.appautoscaling.Policy("orders-wake", policy_type="StepScaling", service_namespace="ecs",
                                 scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                                 step_scaling_policy_configuration={
                                     "adjustment_type": "ExactCapacity", "cooldown": 60,
                                     "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}]})
aws.cloudwatch.MetricAlarm("orders-wake", namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                           dimensions={"QueueName": "orders"}, statistic="Maximum", period=60, evaluation_periods=1,
                           threshold=0, comparison_operator="GreaterThanThreshold", alarm_actions=[wake.arn])
aws.appautoscaling.ScheduledAction("orders-morning", service_namespace="ecs", resource_id=target.resource_id,
                                   scalable_dimension=target.scalable_dimension, schedule="cron(0 7 * * ? *)",
                                   scalable_target_action={"min_capacity": 4, "max_capacity": 40})
