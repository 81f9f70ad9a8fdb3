"""get_policy_document for a topic: a TLS deny on sns:* and a publisher pinned to the own account's buckets."""
import pulumi_aws as aws

EXPECTED = None
topic = aws.sns.Topic("uploads", name="uploads", kms_master_key_id="alias/uploads")
document = aws.iam.get_policy_document(statements=[
    {"effect": "Deny", "principals": [{"type": "AWS", "identifiers": ["*"]}], "actions": ["sns:*"], "resources": ["*"],
     "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]},
    {"effect": "Allow", "principals": [{"type": "Service", "identifiers": ["s3.amazonaws.com"]}],
     "actions": ["sns:Publish"], "resources": ["*"],
     "conditions": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["123456789012"]}]}])
aws.sns.TopicPolicy("uploads-policy", arn=topic.arn, policy=document.json)
