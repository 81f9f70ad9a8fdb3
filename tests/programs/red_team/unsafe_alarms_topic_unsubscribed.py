"""The alarms' topic has no subscription: advised (what a profile without alerts.emails builds)."""
import pulumi_aws as aws

EXPECTED = "alarm-topic-subscribed"
LEVEL = "advisory"
topic = aws.sns.Topic("alarms", name="alarms", kms_master_key_id="alias/alarms")
aws.cloudwatch.MetricAlarm("dlq-depth", namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                           dimensions={"QueueName": "orders-dlq"}, statistic="Maximum", period=60, evaluation_periods=1,
                           threshold=0, comparison_operator="GreaterThanThreshold", alarm_actions=[topic.arn])
