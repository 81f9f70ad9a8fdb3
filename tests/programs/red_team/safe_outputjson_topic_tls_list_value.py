"""A topic policy built with Output.json_dumps: TLS deny with a list value ["false"] and Action "*"."""
import pulumi
import pulumi_aws as aws

EXPECTED = None
topic = aws.sns.Topic("audit", kms_master_key_id="alias/audit")
aws.sns.TopicPolicy("audit-policy", arn=topic.arn, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
                                            "Resource": topic.arn,
                                            "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}]}))
