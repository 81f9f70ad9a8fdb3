"""An untagged alarm topic on alias/aws/sns, which CloudWatch cannot use."""
import pulumi_aws as aws

EXPECTED = "alarm-topic-key-usable"
topic = aws.sns.Topic("ops", name="ops", kms_master_key_id="alias/aws/sns")
aws.cloudwatch.MetricAlarm("ops-age", namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage",
                           dimensions={"QueueName": "orders"}, statistic="Maximum", period=60, evaluation_periods=5,
                           threshold=300, comparison_operator="GreaterThanThreshold", alarm_actions=[topic.arn])
