"""A TopicPolicy whose aws:PrincipalOrgID is "*": every organisation, so every account."""
import json

import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
topic = aws.sns.Topic("shared", name="shared", kms_master_key_id="alias/shared")
aws.sns.TopicPolicy("shared-policy", arn=topic.arn, policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sns:Subscribe", "sns:Receive"], "Resource": "*",
    "Condition": {"StringLike": {"aws:PrincipalOrgID": "*"}}}]}))
