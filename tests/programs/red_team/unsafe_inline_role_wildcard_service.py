"""inline_policies with s?s:Send* on every resource: a pattern that still names sqs:SendMessage everywhere."""
import json

import pulumi_aws as aws

EXPECTED = "iam-least-privilege"
aws.iam.Role("producer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
             inline_policies=[{"name": "send", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "s?s:Send*", "Resource": "*"}]})}])
