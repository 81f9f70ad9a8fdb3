"""The alarm topic's customer key grants only the account: CloudWatch cannot publish."""
import json

import pulumi_aws as aws

EXPECTED = "alarm-topic-key-usable"
key = aws.kms.Key("topic-key", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}))
topic = aws.sns.Topic("pager", name="pager", kms_master_key_id=key.arn)
aws.sns.TopicSubscription("pager-mail", topic=topic.arn, protocol="email", endpoint="ops@example.com")
aws.cloudwatch.MetricAlarm("age", namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage",
                           dimensions={"QueueName": "orders"}, statistic="Maximum", period=60, evaluation_periods=5,
                           threshold=300, comparison_operator="GreaterThanThreshold", alarm_actions=[topic.arn])
