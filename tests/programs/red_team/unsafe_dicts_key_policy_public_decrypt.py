"""A customer key for the queues whose policy lets {"AWS": "*"} decrypt."""
import json

import pulumi_aws as aws

EXPECTED = "kms-key-policy-not-public"
key = aws.kms.Key("queues-key", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Sid": "Consumers", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*"}]}))
aws.sqs.Queue("secure", name="secure", kms_master_key_id=key.arn)
