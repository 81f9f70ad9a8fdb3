"""A privileged container in a raw task definition."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-not-privileged"
aws.ecs.TaskDefinition("agent", family="agent", container_definitions=json.dumps([{
    "name": "agent", "image": "agent:1", "memory": 256, "privileged": True}]))
