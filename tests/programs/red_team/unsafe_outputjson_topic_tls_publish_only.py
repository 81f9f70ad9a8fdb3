"""A topic whose TLS deny covers sns:Publish only: subscribing over HTTP still works."""
import pulumi
import pulumi_aws as aws

EXPECTED = "sns-tls-only"
topic = aws.sns.Topic("alerts", kms_master_key_id="alias/alerts")
aws.sns.TopicPolicy("alerts-policy", arn=topic.arn, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["sns:Publish"],
                                            "Resource": topic.arn,
                                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
