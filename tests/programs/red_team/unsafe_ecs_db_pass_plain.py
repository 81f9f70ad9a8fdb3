"""A raw task definition with DB_PASS in its plain environment."""
import json

import pulumi_aws as aws

EXPECTED = "ecs-no-plaintext-secrets"
aws.ecs.TaskDefinition("api", family="api", requires_compatibilities=["FARGATE"], network_mode="awsvpc", cpu="256",
                       memory="512", container_definitions=json.dumps([{
                           "name": "api", "image": "public.ecr.aws/docker/library/python:3.12", "essential": True,
                           "environment": [{"name": "DB_HOST", "value": "db.internal"},
                                           {"name": "DB_PASS", "value": "correct-horse-battery"}]}]))
