"""SENTRY_DSN with its key, set in plain text on a consumer."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-plaintext-secrets"
aws.ecs.TaskDefinition("consumer", family="consumer", container_definitions=json.dumps([{
    "name": "consumer", "image": "consumer:2", "memory": 512, "environment": [
        {"name": "SENTRY_DSN", "value": "https://9b1f4c2a7e3d4b6a8c0e1f2a3b4c5d6e@o450000.ingest.sentry.io/5500000"},
        {"name": "QUEUE_URL", "value": "https://sqs.us-east-1.amazonaws.com/123456789012/orders"}]}]))
