"""A trust policy naming arn:aws:iam::*:root: every account's principals may assume the role."""
import pulumi_aws as aws

EXPECTED = "iam-trust-not-public"
aws.iam.Role("consumer", assume_role_policy="""{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": ["arn:aws:iam::*:root"]}, "Action": "sts:AssumeRole"}]}""")
