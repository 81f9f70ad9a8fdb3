"""A web service scaled on CPU in a stack that also holds a queue pair it does not read: no queue rule applies to it."""

import json

import pulumi_aws as aws

EXPECTED = None
ACCOUNT = "123456789012"
TAGS = {"qcap:workload": "orders", "qcap:max-age-seconds": "900", "qcap:processing-p99-seconds": "4",
        "qcap:drain-seconds": "86400", "qcap:receive-batch": "10", "qcap:concurrency-per-task": "10"}


def tls_only(arn, service="sqs", *extra):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": f"{service}:*", "Resource": arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}, *extra]})


dlq = aws.sqs.Queue("orders-dlq", name="orders-dlq", message_retention_seconds=1_209_600, sqs_managed_sse_enabled=True,
                    max_message_size=1_048_576, tags={**TAGS, "qcap:role": "dlq"})
queue = aws.sqs.Queue("orders", name="orders", message_retention_seconds=1_123_200, visibility_timeout_seconds=60,
                      max_message_size=1_048_576, sqs_managed_sse_enabled=True,
                      redrive_policy=json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-dlq",
                                                 "maxReceiveCount": 5}),
                      tags={**TAGS, "qcap:role": "queue"}, opts=None)
for name, q in (("orders", queue), ("orders-dlq", dlq)):
    aws.sqs.QueuePolicy(f"{name}-policy", queue_url=q.url, policy=tls_only(f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"))

key = aws.kms.Key("alarms-key", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Sid": "CloudWatch", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]}))
topic = aws.sns.Topic("alarms", name="orders-alarms", kms_master_key_id=key.arn, tags={"qcap:role": "topic"})
aws.sns.TopicPolicy("alarms-policy", arn=topic.arn, policy=tls_only(
    f"arn:aws:sns:us-east-1:{ACCOUNT}:orders-alarms", "sns",
    {"Sid": "CloudWatchPublishes", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
     "Action": "sns:Publish", "Resource": f"arn:aws:sns:us-east-1:{ACCOUNT}:orders-alarms",
     "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}))
aws.sns.TopicSubscription("alarms-mail", topic=topic.arn, protocol="email", endpoint="ops@example.com")
for metric, queue_name, threshold in (("ApproximateAgeOfOldestMessage", "orders", 900),
                                      ("ApproximateNumberOfMessagesVisible", "orders-dlq", 0)):
    aws.cloudwatch.MetricAlarm(f"{queue_name}-{metric}", namespace="AWS/SQS", metric_name=metric,
                               dimensions={"QueueName": queue_name}, statistic="Maximum", period=60,
                               evaluation_periods=5, threshold=threshold, comparison_operator="GreaterThanThreshold",
                               treat_missing_data="breaching" if metric.startswith("ApproximateAge") else "notBreaching",
                               alarm_actions=[topic.arn], tags={**TAGS, "qcap:role": "alarm"})

web = aws.appautoscaling.Target("web-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
                                resource_id="service/main/web", min_capacity=2, max_capacity=20)
aws.appautoscaling.Policy("web-cpu", policy_type="TargetTrackingScaling", service_namespace="ecs",
                          scalable_dimension=web.scalable_dimension, resource_id=web.resource_id,
                          target_tracking_scaling_policy_configuration={
                              "target_value": 60, "predefined_metric_specification": {
                                  "predefined_metric_type": "ECSServiceAverageCPUUtilization"}})
