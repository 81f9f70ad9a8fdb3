"""DATABASE_URL carrying user and password: found by its value, not its name."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-plaintext-secrets"
aws.ecs.TaskDefinition("report", family="report", container_definitions=json.dumps([{
    "name": "report", "image": "report:3", "memory": 512,
    "environment": [{"name": "DATABASE_URL", "value": "postgresql://report:Tr0ub4dor3@pg.internal:5432/reports"}]}]))
