"""A shipped stack deployed into a moto server, and its consumer tasks' environment built the way ECS builds it.

`deploy` runs the stack's Pulumi program under the mocks, translates every resource into
the API calls pulumi-aws makes (qcap.offline.contract) and sends them to the server in
order, with the replay of tests/test_contract_calls.py. The one value changed on the way:
a Redis replication group's primary endpoint stands for the local redis-server, 127.0.0.1.

`task_environment` is what the ECS agent hands the container: the registered task
definition's `environment`, each `secrets` entry resolved from its `valueFrom` (a Secrets
Manager ARN, optionally with a JSON key, through GetSecretValue; anything else as a
Parameter Store name or ARN through GetParameters with decryption), then the run's
container overrides. A secret ECS could not resolve raises `SecretNotResolved`, naming
what ECS would do: stop the task before its container starts.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

import boto3
from botocore.exceptions import ClientError
from servers import Moto
from test_contract_calls import replay, stack_run, substitute

from qcap.offline.contract import translate_all
from qcap.offline.contract_calls import ApiCall

LOCAL_HOST = "127.0.0.1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
SECRETS_MANAGER_ARN = "arn:aws:secretsmanager:"
SSM_ARN = "arn:aws:ssm:"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


class SecretNotResolved(RuntimeError):
    """A task definition's secret that ECS could not resolve: the task would stop before its container starts."""


@dataclass
class Deployment:
    """A stack's resources as created in moto: the calls sent, and clients for the stack's region."""

    stack: str
    region: str
    calls: list[ApiCall]
    made: list[str]
    seconds: float
    moto: Moto
    resources: list[Any]
    """The program's registrations (inputs as recorded)."""

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.moto.url, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def of(self, operation: str) -> list[ApiCall]:
        return [c for c in self.calls if c.operation == operation]

    def task_env(self) -> dict[str, str]:
        """What a task's process has besides its container environment: the region (Fargate sets both
        variables), credentials (here moto's, there the task role's) and the endpoint (moto)."""
        return {**CREDENTIALS, "AWS_DEFAULT_REGION": self.region, "AWS_ENDPOINT_URL": self.moto.url}

    def queue_url(self, recorded_url: str) -> str:
        """moto's URL of the queue a recorded (https://sqs.<region>.amazonaws.com/...) URL names."""
        return self.client("sqs").get_queue_url(QueueName=recorded_url.rsplit("/", 1)[-1])["QueueUrl"]

    def dead_letter_url(self, queue_url: str) -> str:
        sqs = self.client("sqs")
        policy = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
        return sqs.get_queue_url(QueueName=json.loads(policy["RedrivePolicy"])["deadLetterTargetArn"]
                                 .rsplit(":", 1)[-1])["QueueUrl"]

    def services(self) -> list[tuple[str, str]]:
        """(cluster, service name) of every ECS service the stack created."""
        return [(c.params["cluster"], c.params["serviceName"]) for c in self.of("CreateService")]

    def service_task_definition(self, cluster: str, service: str) -> str:
        """The task definition ECS starts the service's tasks from, as moto has it."""
        (described,) = self.client("ecs").describe_services(cluster=cluster, services=[service])["services"]
        return described["taskDefinition"]

    def schedule_target(self, name: str) -> dict[str, Any]:
        return self.client("scheduler").get_schedule(Name=name)["Target"]


@contextmanager
def aws_environment(moto: Moto, region: str) -> Iterator[None]:
    """This process's AWS SDK pointed at the moto server while the block runs (the replay's clients read it)."""
    names = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_PROFILE", *CREDENTIALS)
    saved = {name: os.environ.get(name) for name in names}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update({**CREDENTIALS, "AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": region})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def deploy(stack: str, moto: Moto) -> Deployment:
    """Replay the stack's recorded resources into the moto server, in registration order."""
    started = time.monotonic()
    run, config = stack_run(stack)
    calls, untranslated = translate_all(run.registrations)
    assert untranslated == [], f"{stack}: no translation for {untranslated}"
    local = {str(r.outputs["primaryEndpointAddress"]): LOCAL_HOST for r in run.registrations
             if r.type == REPLICATION_GROUP and r.outputs.get("primaryEndpointAddress")}
    calls = [replace(c, params=substitute(c.params, local)) for c in calls]
    region = config.get("aws:region", "us-east-1")
    with aws_environment(moto, region):
        made = replay(calls, region, config)
    return Deployment(stack, region, calls, made, time.monotonic() - started, moto, list(run.registrations))


def resolve_secret(deployment: Deployment, name: str, value_from: str) -> str:
    """One `secrets` entry as the ECS agent resolves it for the container."""
    if value_from.startswith(SECRETS_MANAGER_ARN):
        # arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<version-stage>:<version-id>]
        parts = value_from.split(":")
        arn, (key, stage, version) = ":".join(parts[:7]), (parts[7:] + ["", "", ""])[:3]
        request = {"SecretId": arn, **({"VersionStage": stage} if stage else {}),
                   **({"VersionId": version} if version else {})}
        try:
            value = deployment.client("secretsmanager").get_secret_value(**request)["SecretString"]
        except ClientError as exc:
            raise SecretNotResolved(f"{name}: ECS would stop the task (ResourceInitializationError): Secrets Manager "
                                    f"GetSecretValue({arn!r}) failed: {exc}") from None
        return str(json.loads(value)[key]) if key else value
    parameter = value_from.split(":parameter", 1)[1] if value_from.startswith(SSM_ARN) else value_from
    try:
        answer = deployment.client("ssm").get_parameters(Names=[parameter], WithDecryption=True)
    except ClientError as exc:
        answer = {"Parameters": [], "InvalidParameters": [parameter], "Error": str(exc)}
    if answer.get("InvalidParameters") or not answer.get("Parameters"):
        raise SecretNotResolved(
            f"{name}: valueFrom {value_from!r} is not a Secrets Manager ARN, so ECS looks it up in SSM Parameter Store "
            f"(GetParameters), finds no such parameter ({answer.get('Error') or 'InvalidParameters'}) and stops "
            "the task with ResourceInitializationError before the container starts")
    return answer["Parameters"][0]["Value"]


def task_environment(deployment: Deployment, task_definition: str,
                     overrides: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """The first container's environment: the definition's variables, its resolved secrets, then the overrides."""
    described = deployment.client("ecs").describe_task_definition(taskDefinition=task_definition)
    container = described["taskDefinition"]["containerDefinitions"][0]
    env = {e["name"]: e["value"] for e in container.get("environment", [])}
    for secret in container.get("secrets", []):
        env[secret["name"]] = resolve_secret(deployment, secret["name"], secret["valueFrom"])
    for override in overrides or []:
        if override.get("name") in (None, container["name"]):
            env.update({e["name"]: e["value"] for e in override.get("environment", [])})
    return env


def schedule_overrides(target: dict[str, Any]) -> list[dict[str, Any]]:
    """The container overrides a schedule's run gets: its target's Input, as ECS RunTask's overrides (none if unset)."""
    text = target.get("Input")
    if not text:
        return []
    return list(json.loads(text).get("containerOverrides", []))
