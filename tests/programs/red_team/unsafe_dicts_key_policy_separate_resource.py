"""The key policy as its own aws.kms.KeyPolicy resource, open to any principal through kms:*."""
import json

import pulumi_aws as aws

EXPECTED = "kms-key-policy-not-public"
key = aws.kms.Key("data-key", enable_key_rotation=True)
aws.kms.KeyPolicy("data-key-policy", key_id=key.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
     "Condition": {"StringNotEquals": {"kms:CallerAccount": "123456789012"}}}]}))
