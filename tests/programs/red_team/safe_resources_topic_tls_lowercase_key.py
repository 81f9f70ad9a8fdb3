"""A TopicPolicy resource whose TLS deny writes the key in lower case, and an org-pinned subscriber."""
import json

import pulumi_aws as aws

EXPECTED = None
topic = aws.sns.Topic("feed", name="feed", kms_master_key_id="alias/feed")
aws.sns.TopicPolicy("feed-policy", arn=topic.arn, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": ["sns:*"], "Resource": "*",
     "Condition": {"Bool": {"aws:securetransport": "false"}}},
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Subscribe", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}))
