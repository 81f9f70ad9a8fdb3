"""A Redis age alarm, tagged with its objective, breaching on missing data, to a subscribed topic CloudWatch can use."""
import json

import pulumi_aws as aws

EXPECTED = None
key = aws.kms.Key("alarm-key", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
     "Resource": "*"}]}))
topic = aws.sns.Topic("pager", name="pager", kms_master_key_id=key.arn, policy=json.dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
         "Resource": "arn:aws:sns:us-east-1:123456789012:pager"}]}))
aws.sns.TopicSubscription("pager-oncall", topic=topic.arn, protocol="https", endpoint="https://oncall.example.com/hook")
aws.cloudwatch.MetricAlarm("tracks-age", namespace="qcap/Redis", metric_name="OldestMessageAgeSeconds",
                           dimensions={"Stack": "dev", "Workload": "tracks"}, statistic="Maximum", period=60,
                           evaluation_periods=3, threshold=120, comparison_operator="GreaterThanThreshold",
                           treat_missing_data="breaching", alarm_actions=[topic.arn],
                           tags={"qcap:max-age-seconds": "120", "qcap:workload": "tracks"})
