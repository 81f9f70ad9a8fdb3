"""A GroupPolicy (identity policy of a group) with iam:* on every resource."""
import json

import pulumi_aws as aws

EXPECTED = "iam-least-privilege"
group = aws.iam.Group("operators", name="operators")
aws.iam.GroupPolicy("operators-iam", group=group.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:*"], "Resource": ["*"]}]}))
