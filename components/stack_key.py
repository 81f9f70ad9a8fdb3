"""The stack's customer-managed KMS key, and ARNs built from what is known before anything exists.

One key per stack encrypts the alarm topics (CloudWatch alarms cannot publish to a topic under
the AWS-managed `alias/aws/sns` key, so a customer key whose policy lets
cloudwatch.amazonaws.com use it is required), the log groups, the Redis AUTH secret, Redis at
rest and the schedules. Stack config `qcap:kmsKeyArn` names an existing key instead; its key
policy must then allow the same services (docs/aws-components.md, "The stack key").

`known_arn` builds an ARN from partition, region, account id (`aws.get_caller_identity()`,
an invoke, so known during a preview) and the physical name the component chooses, so the
policies can read a redrive or queue policy on a stack that does not exist yet.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tags import stack_tags

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
# Days KMS waits before deleting a scheduled key (7-30); the longest, so a mistake can be undone.
KEY_DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class _Environment:
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]
    region: pulumi.Output[str]


# One set of invokes per program run (keyed by the run's event loop), not one per ARN: every extra
# Output is another task the SDK polls until the program ends. A provider process runs every
# Construct on one loop, each against its own monitor (another stack, region or account), so the
# set is kept with the monitor it was asked of.
_ENVIRONMENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[object, _Environment]] = (
    weakref.WeakKeyDictionary())


def _environment() -> _Environment:
    loop = asyncio.get_event_loop()
    monitor = pulumi.runtime.settings.get_monitor()
    found = _ENVIRONMENTS.get(loop)
    if found is None or found[0] is not monitor:
        partition = aws.get_partition_output()
        found = (monitor, _Environment(account_id=aws.get_caller_identity_output().account_id,
                                       partition=partition.partition, dns_suffix=partition.dns_suffix,
                                       region=aws.get_region_output().region))
        _ENVIRONMENTS[loop] = found
    return found[1]


def account_id() -> pulumi.Output[str]:
    """The deploying account's id (an invoke, answered during a preview)."""
    return _environment().account_id


def known_arn(service: str, resource: pulumi.Input[str], region: pulumi.Input[str] | None = None,
              with_region: bool = True) -> pulumi.Output[str]:
    """arn:<partition>:<service>:<region>:<account>:<resource>, from invokes and inputs only."""
    env = _environment()
    where = (region if region else env.region) if with_region else ""
    return pulumi.Output.concat("arn:", env.partition, ":", service, ":", where, ":", env.account_id, ":", resource)


def known_queue_url(name: str, region: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    """https://sqs.<region>.<dns suffix>/<account>/<name>, the URL SQS gives a queue, from invokes and the name."""
    env = _environment()
    return pulumi.Output.concat("https://sqs.", region if region else env.region, ".", env.dns_suffix, "/",
                                env.account_id, "/", name)


def key_alias_name(stack: str) -> str:
    return f"alias/qcap-{stack}"


def key_policy(account_id: str, partition: str, region: str) -> str:
    """Account administrators manage the key; CloudWatch (alarms -> SNS) and CloudWatch Logs may use it."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchAlarmsPublishToEncryptedTopics", "Effect": "Allow",
             "Principal": {"Service": CLOUDWATCH_PRINCIPAL},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
            {"Sid": "CloudWatchLogsEncrypt", "Effect": "Allow",
             "Principal": {"Service": f"logs.{region}.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                       f"arn:{partition}:logs:{region}:{account_id}:log-group:*"}}},
        ],
    })


@dataclass(frozen=True)
class StackKey:
    """The key as components use it: `id_for_topics` (an alias, known at preview) and `arn` (for logs,
    secrets, Redis and schedules, which need the key's ARN); `alias` when the stack created the key, so
    a policy can name it by alias before its ARN is known."""

    id_for_topics: pulumi.Input[str]
    arn: pulumi.Input[str]
    resources: tuple[pulumi.Resource, ...] = ()
    alias: str | None = None


def stack_key(stack: str, environment: str, region: str | None, configured_arn: str | None, *,
              prefix: str = "", alias: str | None = None, parent: pulumi.Resource | None = None) -> StackKey:
    """The configured key (`qcap:kmsKeyArn`), or a new key `alias/qcap-<stack>` with rotation on."""
    if configured_arn:
        return StackKey(id_for_topics=configured_arn, arn=configured_arn)
    env = _environment()
    policy = pulumi.Output.all(env.account_id, env.partition, region if region else env.region).apply(
        lambda values: key_policy(values[0], values[1], values[2]))
    alias = alias or key_alias_name(stack)
    opts = pulumi.ResourceOptions(parent=parent)
    key = aws.kms.Key(
        f"{prefix}stack-key",
        description=f"qcap {stack}: alarm topics, logs, Redis and its AUTH secret, schedules",
        enable_key_rotation=True,
        deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
        policy=policy,
        tags=stack_tags(stack, environment, "key"),
        opts=opts,
    )
    alias_resource = aws.kms.Alias(f"{prefix}stack-key-alias", name=alias, target_key_id=key.key_id, opts=opts)
    return StackKey(id_for_topics=alias, arn=key.arn, resources=(key, alias_resource), alias=alias)
