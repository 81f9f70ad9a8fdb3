"""An inline role policy allowing "*" on "*": administrator access in a dict."""
import json

import pulumi_aws as aws

EXPECTED = "iam-no-admin-policy"
aws.iam.Role("god", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
             inline_policies=[{"name": "all", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "*", "Resource": "*"}]})}])
