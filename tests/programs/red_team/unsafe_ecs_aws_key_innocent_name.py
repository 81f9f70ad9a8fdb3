"""An AWS access key id under a harmless name."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-plaintext-secrets"
aws.ecs.TaskDefinition("sync", family="sync", container_definitions=json.dumps([{
    "name": "sync", "image": "sync:1", "memory": 256,
    "environment": [{"name": "UPSTREAM_ID", "value": "AKIAZ7QW3ERTY5UIOP2A"}]}]))
