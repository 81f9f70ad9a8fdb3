"""An age alarm with LessThanThreshold: in alarm while healthy, silent when late."""
import pulumi_aws as aws

EXPECTED = "age-alarm-sane"
aws.cloudwatch.MetricAlarm("age", namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage",
                           dimensions={"QueueName": "orders"}, statistic="Maximum", period=60, evaluation_periods=5,
                           threshold=300, comparison_operator="LessThanThreshold",
                           alarm_actions=["arn:aws:sns:us-east-1:123456789012:ops"])
