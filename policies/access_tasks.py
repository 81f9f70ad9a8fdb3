"""What an ECS task's two roles will call once the task starts, read from its task definition.

The execution role (the ECS agent, before the container runs): assumed from ecs-tasks, pulls the
image from ECR, creates the log stream and writes the container's output, reads every secret in
the containers' `secrets` (Secrets Manager by full ARN; anything else ECS reads as an SSM
parameter) and the KMS key that encrypts it. The task role (the worker's code): the SQS actions
the reference worker makes on the queue in QUEUE_URL and the keys of that queue and its DLQ, the
metrics it publishes in METRIC_NAMESPACE (a Redis worker its queue's and its own, an SQS worker its own),
and scale-in protection when a service runs the task.
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.access_calls import (
    ECS_TASKS_SERVICE, Call, base_context, kms_calls, kms_context, role_principal, service_principal,
)
from policies.access_resources import AccessResource
from policies.access_stack import SSM_PARAMETER, Stack
from policies.contract import METRIC_NAMESPACE_VARIABLE, QUEUE_URL_VARIABLE, REDIS_HOST_VARIABLE, REDIS_NAMESPACE
from policies.iam_conditions import UNKNOWN
from policies.iam_eval import Principal
from policies.iam_match import HOLE
from policies.rules_base import ECS_CLUSTER, ECS_SERVICE, IAM_ROLE, LOG_GROUP, SECRET, SQS_QUEUE

# What the reference worker calls (worker/sqs.py: ReceiveMessage, DeleteMessageBatch,
# ChangeMessageVisibilityBatch; GetQueueAttributes for consumers that read the queue's settings).
WORKER_SQS_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                      "sqs:GetQueueAttributes")
# worker/protection.py: a PUT to the ECS agent's task-protection endpoint while it holds messages.
WORKER_PROTECTION_ACTIONS = ("ecs:UpdateTaskProtection",)
WORKER_METRIC_ACTION = "cloudwatch:PutMetricData"
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)")
FIX_EXECUTION = "grant it in the execution role's policy (components/consumer_iam.py, create_execution_role)"
FIX_TASK = "grant it in the task role's policy (components/consumer_iam.py)"


def _containers(definition: AccessResource) -> list[Mapping[str, Any]] | None:
    parsed = definition.document("containerDefinitions")
    if parsed is UNKNOWN:
        return None
    return [c for c in (parsed if isinstance(parsed, list) else []) if isinstance(c, Mapping)]


def _env(container: Mapping[str, Any]) -> dict[str, Any]:
    """The container's environment as the worker sees it: plain values, and secrets (their value unknown).

    A Redis worker (REDIS_HOST set) publishes its metrics in METRIC_NAMESPACE, by default REDIS_NAMESPACE."""
    env: dict[str, Any] = {str(s.get("name")): UNKNOWN for s in container.get("secrets") or []
                           if isinstance(s, Mapping)}
    env.update({str(e.get("name")): e.get("value") for e in container.get("environment") or []
                if isinstance(e, Mapping)})
    if REDIS_HOST_VARIABLE in env:
        env.setdefault(METRIC_NAMESPACE_VARIABLE, REDIS_NAMESPACE)
    return env


def _role(stack: Stack, definition: AccessResource, key: str) -> AccessResource | None:
    return stack.linked(definition, key, IAM_ROLE)


def task_definition_calls(stack: Stack, definition: AccessResource) -> list[Call]:
    """Every call of both roles of one task definition."""
    region = stack.region_of(definition)
    services = [s for s in stack.of_type(ECS_SERVICE) if stack.linked(s, "taskDefinition",
                                                                       definition.type) is definition]
    cluster_arn, cluster_name = _cluster(stack, services[0]) if services else (HOLE, HOLE)
    task_arn = stack.env.arn("ecs", f"task/{cluster_name}/{HOLE}", region) if stack.env else HOLE
    calls: list[Call] = []
    containers = _containers(definition)
    execution, task = _role(stack, definition, "executionRoleArn"), _role(stack, definition, "taskRoleArn")
    for role in (execution, task):
        if role is not None:
            calls.append(_assume(stack, role, "execution" if role is execution else "task", task_arn, region))
    if containers is None:
        calls += _unknown_containers(stack, definition, execution, region)
        return calls
    for container in containers:
        if execution is None:
            if container.get("secrets") or ECR_IMAGE.match(str(container.get("image") or "")):
                calls.append(_no_role(definition, "executionRoleArn", "pull the image and inject secrets"))
        else:
            calls += _execution_calls(stack, definition, execution, container, region)
        # The reference worker's environment (a queue or a metric namespace) says what the code will call;
        # of another image nothing is known, so nothing is expected of its task role.
        worker = _env(container).get(QUEUE_URL_VARIABLE) is not None or \
            _env(container).get(METRIC_NAMESPACE_VARIABLE) is not None
        if not worker:
            continue
        if task is None:
            calls.append(_no_role(definition, "taskRoleArn", "give the worker its queue and metrics"))
        else:
            calls += _task_calls(stack, definition, task, container, region, bool(services), task_arn, cluster_arn)
    return calls


def _cluster(stack: Stack, service: AccessResource) -> tuple[str, str]:
    cluster = stack.linked(service, "cluster", ECS_CLUSTER)
    if cluster is not None:
        return stack.arn_of(cluster), cluster.text("name") or HOLE
    value = service.text("cluster") or HOLE
    return value, value.rsplit("/", 1)[-1] if ":cluster/" in value else value


def _no_role(definition: AccessResource, key: str, what: str) -> Call:
    nobody = Principal("role", "", None, f"the {key.replace('RoleArn', '')} role of {definition.name}")
    return Call(nobody, "sts:AssumeRole", "", definition.label, f"ECS needs {key} to {what}",
                problem=f"task definition {definition.name} sets no {key}",
                fix=f"set {key} on the task definition (components/consumer_task.py)")


def _assume(stack: Stack, role: AccessResource, purpose: str, task_arn: str, region: str) -> Call:
    ecs = service_principal(ECS_TASKS_SERVICE, "ECS tasks")
    context = base_context(stack, ecs, role, region)
    if stack.env:
        context.update({"aws:sourceaccount": stack.env.account, "aws:sourcearn": task_arn})
    return Call(ecs, "sts:AssumeRole", stack.arn_of(role), f"{purpose} role {role.name}",
                f"ECS assumes the {purpose} role for each task", "trust", context,
                resource_policy=stack.trust_policy(role), fix="let ecs-tasks.amazonaws.com assume it in its trust policy")


def _execution_calls(stack: Stack, definition: AccessResource, role: AccessResource, container: Mapping[str, Any],
                     region: str) -> list[Call]:
    principal = role_principal(stack, role, "execution")
    identity = tuple(stack.identity_policies(role))
    calls: list[Call] = []
    name = container.get("name")
    image = ECR_IMAGE.match(str(container.get("image") or ""))
    if image:
        account, image_region, repository = image.groups()
        repo_arn = f"arn:{stack.env.partition if stack.env else 'aws'}:ecr:{image_region}:{account}:repository/{repository}"
        context = base_context(stack, principal, None, image_region, role)
        calls.append(Call(principal, "ecr:GetAuthorizationToken", "*", "ECR", f"ECS pulls {container.get('image')}",
                          context=context, identity=identity, fix=FIX_EXECUTION))
        calls += [Call(principal, a, repo_arn, f"ECR repository {repository}", f"ECS pulls {container.get('image')}",
                       context=context, identity=identity, resource_account=account, fix=FIX_EXECUTION)
                  for a in ECR_PULL_ACTIONS]
    log = container.get("logConfiguration") or {}
    options = log.get("options") or {} if isinstance(log, Mapping) else {}
    if isinstance(log, Mapping) and log.get("logDriver") == "awslogs" and isinstance(options, Mapping):
        calls += _log_calls(stack, principal, identity, role, options, str(name), region)
    for secret in container.get("secrets") or []:
        if isinstance(secret, Mapping):
            calls += _secret_calls(stack, principal, identity, role, str(secret.get("name")),
                                   secret.get("valueFrom"), region)
    return calls


def _log_calls(stack: Stack, principal, identity, role, options: Mapping[str, Any], container: str,
               region: str) -> list[Call]:
    group_name = options.get("awslogs-group")
    group = stack.find(group_name, (), LOG_GROUP) if isinstance(group_name, str) else None
    where = options.get("awslogs-region") if isinstance(options.get("awslogs-region"), str) else region
    if not isinstance(group_name, str):
        return [Call(principal, "logs:PutLogEvents", "", "a log group not known yet", "ECS writes the container's logs",
                     identity=identity, undecided="the awslogs-group option is not known until its log group exists")]
    stream = f"{options.get('awslogs-stream-prefix') or ''}/{container}/{HOLE}".lstrip("/")
    group_arn = stack.arn_of(group) if group else (stack.env.arn("logs", f"log-group:{group_name}", where)
                                                   if stack.env else HOLE)
    context = base_context(stack, principal, group, where, role)
    missing = "" if group or str(options.get("awslogs-create-group")).lower() == "true" else (
        f"log group {group_name} is not created by this stack, and ECS creates it only with awslogs-create-group")
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    if group is None and str(options.get("awslogs-create-group")).lower() == "true":
        actions.insert(0, "logs:CreateLogGroup")
    return [Call(principal, a, group_arn if a == "logs:CreateLogGroup" else f"{group_arn}:log-stream:{stream}",
                 f"log group {group_name}", "ECS writes the container's logs", context=context, identity=identity,
                 fix=FIX_EXECUTION, undecided=missing) for a in actions]


def _secret_calls(stack: Stack, principal, identity, role, variable: str, value_from: Any, region: str) -> list[Call]:
    why = f"ECS injects {variable}"
    if not isinstance(value_from, str):
        return [Call(principal, "secretsmanager:GetSecretValue", "", "a secret not known yet", why, identity=identity,
                     undecided="the secret's valueFrom is not known until the secret exists")]
    if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
        secret = _secret_by_arn(stack, value_from)
        if secret is None and any(value_from.endswith(f":secret:{s.text('name')}") for s in stack.of_type(SECRET)):
            return [Call(principal, "secretsmanager:GetSecretValue", value_from, f"secret {value_from}", why,
                         identity=identity, problem=f"{variable} names the secret by a partial ARN (no 6-character "
                         "suffix); ECS needs the secret's full ARN", fix="use the secret's arn output as valueFrom")]
        return _read_secret(stack, principal, identity, role, secret, ":".join(value_from.split(":")[:7]), why,
                            region)
    if value_from.startswith("arn:") and ":ssm:" in value_from:
        name = value_from.split(":parameter", 1)[-1]
    else:
        name = value_from
    parameter = next((p for p in stack.of_type(SSM_PARAMETER)
                      if (p.text("name") or "").lstrip("/") == name.lstrip("/")), None)
    arn = value_from if value_from.startswith("arn:") else (
        stack.env.arn("ssm", f"parameter/{name.lstrip('/')}", region) if stack.env else HOLE)
    secret = next((s for s in stack.of_type(SECRET) if s.text("name") == value_from), None)
    if parameter is None and secret is not None:
        return [Call(principal, "ssm:GetParameters", arn, f"SSM parameter {name}", why, identity=identity,
                     problem=f"{variable} names Secrets Manager secret {value_from} by its name; ECS reads a bare name "
                             "as an SSM parameter, and the stack has no parameter of that name",
                     fix=f"reference the secret by its full ARN (the Secret's arn output) in {variable}'s valueFrom")]
    context = base_context(stack, principal, parameter, region, role)
    calls = [Call(principal, "ssm:GetParameters", arn, f"SSM parameter {name}", why, context=context,
                  identity=identity, fix=FIX_EXECUTION,
                  undecided="" if parameter else f"SSM parameter {name} is not created by this stack")]
    if parameter is not None and parameter.text("type") == "SecureString":
        ref = stack.key(parameter.get("keyId") or "alias/aws/ssm", parameter.deps("keyId"))
        kms = kms_context(stack, ref, {"PARAMETER_ARN": arn}, f"ssm.{region}.amazonaws.com", principal.account)
        calls += kms_calls(stack, principal, ref, ("kms:Decrypt",), why,
                           {**base_context(stack, principal, None, region, role, via=f"ssm.{region}.amazonaws.com"),
                            **kms}, identity, FIX_EXECUTION)
    return calls


def _secret_by_arn(stack: Stack, value_from: str) -> AccessResource | None:
    """The stack's secret a full ARN names (a JSON key or version after the ARN is allowed)."""
    full = ":".join(value_from.split(":")[:7])
    return stack.find(full, (), SECRET)


def _read_secret(stack: Stack, principal, identity, role, secret: AccessResource | None, arn: str, why: str,
                 region: str) -> list[Call]:
    label = f"secret {secret.text('name') if secret else arn}"
    calls = [Call(principal, "secretsmanager:GetSecretValue", arn, label, why,
                  context=base_context(stack, principal, secret, region, role), identity=identity,
                  resource_policy=stack.resource_policy(secret) if secret else None, fix=FIX_EXECUTION,
                  undecided="" if secret else f"{label} is not created by this stack")]
    if secret is None:
        return calls
    ref = stack.key(secret.get("kmsKeyId") or "alias/aws/secretsmanager", secret.deps("kmsKeyId"))
    via = f"secretsmanager.{region}.amazonaws.com"
    kms = kms_context(stack, ref, {"SecretARN": arn, "SecretVersionId": UNKNOWN}, via, principal.account)
    return calls + kms_calls(stack, principal, ref, ("kms:Decrypt",), f"{why} (Secrets Manager decrypts it)",
                             {**base_context(stack, principal, None, region, role, via=via), **kms}, identity,
                             FIX_EXECUTION)


def _unknown_containers(stack: Stack, definition: AccessResource, execution: AccessResource | None,
                        region: str) -> list[Call]:
    """Container definitions not known yet: the secrets they depend on still give the execution role's calls."""
    deps = ", ".join(u.rsplit("::", 1)[-1] for u in definition.deps("containerDefinitions")) or "other resources"
    who = role_principal(stack, execution, "execution") if execution else Principal("role", "", None, "execution role")
    why = f"the container definitions of {definition.name} are not known until {deps} exist"
    calls = [Call(who, "*", "", "what its containers' images, logs and secrets need", "ECS starts the containers",
                  undecided=why)]
    task = _role(stack, definition, "taskRoleArn")
    if task is not None:
        calls.append(Call(role_principal(stack, task, "task"), "*", "", "what the worker's environment names",
                          "the worker runs", undecided=why))
    if execution is None:
        return calls
    identity = tuple(stack.identity_policies(execution))
    for urn in definition.deps("containerDefinitions"):
        secret = stack.by_urn.get(urn)
        if secret is not None and secret.type == SECRET:
            calls += _read_secret(stack, who, identity, execution, secret, stack.arn_of(secret),
                                  f"ECS injects the secret {secret.text('name')}", region)
    return calls


def _task_calls(stack: Stack, definition: AccessResource, role: AccessResource, container: Mapping[str, Any],
                region: str, by_service: bool, task_arn: str, cluster_arn: str) -> list[Call]:
    principal = role_principal(stack, role, "task")
    identity = tuple(stack.identity_policies(role))
    env = _env(container)
    calls: list[Call] = []
    queue_url = env.get(QUEUE_URL_VARIABLE)
    if queue_url is not None:
        calls += _queue_calls(stack, principal, identity, role, queue_url, region)
    namespace = env.get(METRIC_NAMESPACE_VARIABLE)
    if namespace is not None:
        context = {**base_context(stack, principal, None, region, role),
                   "cloudwatch:namespace": namespace if isinstance(namespace, str) else UNKNOWN}
        calls.append(Call(principal, WORKER_METRIC_ACTION, "*", f"metrics in {namespace}",
                          "the worker publishes its metrics", context=context, identity=identity, fix=FIX_TASK))
    if by_service:
        context = {**base_context(stack, principal, None, region, role), "ecs:cluster": cluster_arn}
        calls += [Call(principal, a, task_arn, "its own task", "the worker holds scale-in protection while busy",
                       context=context, identity=identity, fix=FIX_TASK) for a in WORKER_PROTECTION_ACTIONS]
    return calls


def _queue_calls(stack: Stack, principal, identity, role, queue_url: Any, region: str) -> list[Call]:
    queue = stack.find(queue_url, (), SQS_QUEUE) if isinstance(queue_url, str) else None
    if queue is None:
        return [Call(principal, a, "", f"queue {queue_url}", "the worker consumes its queue", identity=identity,
                     undecided=f"queue {queue_url} is not created by this stack") for a in WORKER_SQS_ACTIONS]
    arn = stack.arn_of(queue)
    context = base_context(stack, principal, queue, region, role)
    calls = [Call(principal, a, arn, f"queue {queue.text('name') or queue.name}", "the worker consumes its queue",
                  context=context, identity=identity, resource_policy=stack.resource_policy(queue), fix=FIX_TASK)
             for a in WORKER_SQS_ACTIONS]
    via = f"sqs.{region}.amazonaws.com"
    base = base_context(stack, principal, None, region, role, via=via)
    if queue.get("kmsMasterKeyId"):
        ref = stack.key(queue.get("kmsMasterKeyId"), queue.deps("kmsMasterKeyId"))
        kms = kms_context(stack, ref, {"aws:sqs:arn": arn}, via, principal.account)
        calls += kms_calls(stack, principal, ref, ("kms:Decrypt",), "the worker receives encrypted messages",
                           {**base, **kms}, identity, FIX_TASK)
    redrive = queue.document("redrivePolicy")
    dlq = stack.find(redrive.get("deadLetterTargetArn"), queue.deps("redrivePolicy"), SQS_QUEUE) \
        if isinstance(redrive, Mapping) else None
    if dlq is not None and dlq.get("kmsMasterKeyId"):
        ref = stack.key(dlq.get("kmsMasterKeyId"), dlq.deps("kmsMasterKeyId"))
        kms = kms_context(stack, ref, {"aws:sqs:arn": stack.arn_of(dlq)}, via, principal.account)
        calls += kms_calls(stack, principal, ref, ("kms:GenerateDataKey",),
                           f"SQS moves messages to the DLQ {dlq.text('name') or dlq.name} on the worker's receive",
                           {**base, **kms}, identity, FIX_TASK)
    return calls
