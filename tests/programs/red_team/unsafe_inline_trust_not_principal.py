"""A trust policy with Allow NotPrincipal: every principal but one may assume the role."""
import json

import pulumi_aws as aws

EXPECTED = "iam-trust-not-public"
aws.iam.Role("assumable", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
