"""A container that says user root: advised."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-container-not-root"
LEVEL = "advisory"
aws.ecs.TaskDefinition("legacy", family="legacy", container_definitions=json.dumps([{
    "name": "legacy", "image": "legacy:1", "memory": 256, "user": "0:0"}]))
