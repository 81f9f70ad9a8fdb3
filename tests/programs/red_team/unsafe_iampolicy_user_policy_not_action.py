"""A UserPolicy with Allow NotAction iam:*: everything outside IAM for a CI user."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-allow-not-action"
user = aws.iam.User("ci", name="ci")
aws.iam.UserPolicy("ci-policy", user=user.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]}))
