"""An age alarm that treats missing data as not breaching: advised."""
import pulumi_aws as aws

EXPECTED = "age-alarm-missing-data"
LEVEL = "advisory"
aws.cloudwatch.MetricAlarm("quiet-age", namespace="qcap/Redis", metric_name="OldestMessageAgeSeconds",
                           dimensions={"Stack": "dev", "Workload": "tracks"}, statistic="Maximum", period=60,
                           evaluation_periods=3, threshold=120, comparison_operator="GreaterThanThreshold",
                           treat_missing_data="notBreaching", alarm_actions=["arn:aws:sns:us-east-1:123456789012:ops"])
