"""CAP_NET_ADMIN written with its CAP_ prefix."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-added-capabilities"
aws.ecs.TaskDefinition("router", family="router", container_definitions=json.dumps([{
    "name": "router", "image": "router:1", "memory": 256, "linuxParameters": {"capabilities": {"add": ["CAP_NET_ADMIN"]}}}]))
