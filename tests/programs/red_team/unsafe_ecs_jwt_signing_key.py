"""JWT_SIGNING_KEY with a random value in the plain environment."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-plaintext-secrets"
aws.ecs.TaskDefinition("auth", family="auth", container_definitions=json.dumps([{
    "name": "auth", "image": "auth:1", "memory": 256,
    "environment": [{"name": "JWT_SIGNING_KEY", "value": "Zk3m9QpX2vLr8TnB4yHc7WdJ"}]}]))
