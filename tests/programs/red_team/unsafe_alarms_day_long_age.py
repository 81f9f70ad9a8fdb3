"""An untagged age alarm at 24 hours, read through metric math."""
import pulumi_aws as aws

EXPECTED = "age-alarm-sane"
aws.cloudwatch.MetricAlarm("slow-age", comparison_operator="GreaterThanOrEqualToThreshold", evaluation_periods=1,
                           threshold=86400, alarm_actions=["arn:aws:sns:us-east-1:123456789012:ops"],
                           metric_queries=[{"id": "age", "return_data": True, "metric": {
                               "namespace": "AWS/SQS", "metric_name": "ApproximateAgeOfOldestMessage",
                               "dimensions": {"QueueName": "orders"}, "stat": "Maximum", "period": 300}}])
