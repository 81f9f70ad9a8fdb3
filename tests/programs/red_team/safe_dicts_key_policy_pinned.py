"""A key policy: the account administers, CloudWatch publishes, and "*" is pinned by kms:CallerAccount."""
import json

import pulumi_aws as aws

EXPECTED = None
aws.kms.Key("stack-key", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
     "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012", "kms:ViaService": "sqs.us-east-1.amazonaws.com"}}}]}))
