"""A DLQ alarm with no action: it changes state and nobody hears."""
import pulumi_aws as aws

EXPECTED = "alarm-has-actions"
aws.cloudwatch.MetricAlarm("silent", namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                           dimensions={"QueueName": "orders-dlq"}, statistic="Maximum", period=60, evaluation_periods=1,
                           threshold=0, comparison_operator="GreaterThanThreshold")
