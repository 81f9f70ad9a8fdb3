"""An EC2-launched task whose container adds SYS_ADMIN."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-added-capabilities"
aws.ecs.TaskDefinition("fuse", family="fuse", requires_compatibilities=["EC2"], container_definitions=json.dumps([{
    "name": "fuse", "image": "fuse:1", "memory": 512,
    "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"], "drop": []}}}]))
