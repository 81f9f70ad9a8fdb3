"""Rules for the resource types a hand-written queue program reaches for beyond qcap's components.

ECS task sets and EventBridge Pipes that start tasks with public IPs, containers that add
kernel capabilities or run as root, MemoryDB open to anyone, Redis with TLS only preferred or
a cache that evicts queued items, a Cloudflare consumer that dead-letters into its own queue,
an SQS redrive to a queue the stack does not have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.rules_base import (
    containers,
    ADVISORY,
    CACHE_PARAMETER_GROUP,
    CLOUDFLARE_CONSUMER,
    CLOUDFLARE_QUEUE,
    ECS_TASK_DEFINITION,
    ECS_TASK_SET,
    MANDATORY,
    MEMORYDB_CLUSTER,
    PIPE,
    REPLICATION_GROUP,
    SQS_QUEUE,
    UNKNOWN_SENTINEL,
    ResourceView,
    Rule,
    TAG_ROLE,
    TAG_WORKLOAD,
    as_list,
    as_mapping,
    as_number,
    depends_on,
    fmt,
    is_true,
    of_type,
)
from policies.rules_capacity import redrive_of, source_queues

# Capabilities that give a container the host's kernel, network or other processes (Docker's dropped set).
DANGEROUS_CAPABILITIES = frozenset({"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH",
                                    "SYS_RAWIO", "BPF", "PERFMON"})
ROOT_USERS = ("root", "0")
MEMORYDB_OPEN_ACCESS = "open-access"
NO_EVICTION = "noeviction"
MAXMEMORY_POLICY = "maxmemory-policy"
TRANSIT_REQUIRED = "required"


def _public_ip(network: Mapping[str, Any]) -> bool:
    vpc = as_mapping(network.get("awsvpcConfiguration")) or as_mapping(network.get("awsVpcConfiguration")) or network
    value = vpc.get("assignPublicIp")
    return is_true(value) or str(value).upper() == "ENABLED"


def check_task_set_or_pipe_public_ip(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if view.type == PIPE:
        target = as_mapping(view.props.get("targetParameters")) or {}
        ecs = as_mapping(target.get("ecsTaskParameters")) or {}
        network = as_mapping(ecs.get("networkConfiguration")) or {}
    else:
        network = as_mapping(view.props.get("networkConfiguration")) or {}
    if _public_ip(network):
        return [f"`{view.name}` ({view.type.split(':')[1]}) starts ECS tasks with a public IP (assignPublicIp)."]
    return []


def check_no_added_capabilities(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    out = []
    for c in containers(view):
        linux = as_mapping(c.get("linuxParameters")) or {}
        added = {str(a).upper().removeprefix("CAP_") for a in as_list((as_mapping(linux.get("capabilities")) or {})
                                                                       .get("add"))}
        bad = sorted(added & DANGEROUS_CAPABILITIES)
        if bad:
            out.append(f"task definition `{view.name}`, container `{c.get('name')}` adds {', '.join(bad)}: root on the "
                       "host's kernel or network for whoever runs code in it.")
    return out


def check_not_root(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    return [f"task definition `{view.name}`, container `{c.get('name')}` runs as user {c.get('user')!r} (root): a "
            "compromised handler owns the container; check that it needs to."
            for c in containers(view) if str(c.get("user") or "").split(":")[0] in ROOT_USERS]


def check_memorydb_access(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    out = []
    if str(view.props.get("aclName") or "") == MEMORYDB_OPEN_ACCESS:
        out.append(f"MemoryDB cluster `{view.name}` uses the {MEMORYDB_OPEN_ACCESS} ACL: anyone on the network reads "
                   "and deletes the queue without a password.")
    if view.props.get("tlsEnabled") is False:
        out.append(f"MemoryDB cluster `{view.name}` turns TLS off: queue items and passwords cross the network in "
                   "clear.")
    return out


def check_transit_required(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    mode = view.props.get("transitEncryptionMode")
    if mode is not None and str(mode) != TRANSIT_REQUIRED:
        return [f"replication group `{view.name}` sets transitEncryptionMode {mode!r}: clients may still connect in "
                "clear; set it to \"required\"."]
    return []


def _evicting_policy(group: ResourceView) -> str | None:
    for parameter in as_list(group.props.get("parameters")):
        if isinstance(parameter, Mapping) and str(parameter.get("name")).lower() == MAXMEMORY_POLICY:
            value = str(parameter.get("value") or "").lower()
            return value if value and value != NO_EVICTION else None
    return None


def _queue_cache(group: ResourceView, views: Sequence[ResourceView]) -> bool:
    """True when the parameter group serves a queue's cache (a tagged replication group uses it, or it is tagged)."""
    if group.tag(TAG_WORKLOAD) or group.tag(TAG_ROLE):
        return True
    name = group.known("name")
    return any((depends_on(r, group) or (name and r.known("parameterGroupName") == name))
               and (r.tag(TAG_WORKLOAD) or r.tag(TAG_ROLE)) for r in of_type(views, REPLICATION_GROUP))


def check_cache_no_eviction(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(g.urn, f"parameter group `{g.name}` sets {MAXMEMORY_POLICY} {policy} for a queue's cache: when memory "
                    "fills, Redis deletes queued items without a trace. Use noeviction, so writes fail loudly.")
            for g in of_type(views, CACHE_PARAMETER_GROUP) if (policy := _evicting_policy(g)) and _queue_cache(g, views)]


def check_cloudflare_dlq_not_self(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    queues = of_type(views, CLOUDFLARE_QUEUE)
    for consumer in of_type(views, CLOUDFLARE_CONSUMER):
        dlq = consumer.props.get("deadLetterQueue")
        if not dlq:
            continue
        queue_id = consumer.known("queueId")
        from_urns = set(consumer.property_dependencies.get("queueId", ()))
        for queue in queues:
            linked = queue.urn in from_urns or bool(queue_id and queue_id in (queue.known("queueId"), queue.known("id")))
            if linked and str(queue.props.get("queueName")) == str(dlq):
                out.append((consumer.urn, f"Cloudflare consumer `{consumer.name}` dead-letters into `{dlq}`, the queue "
                                          "it consumes: a failing message comes back forever and nothing is set "
                                          "aside."))
    return out


def check_cloudflare_retries(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    settings = as_mapping(view.props.get("settings")) or {}
    retries = as_number(settings.get("maxRetries"))
    if retries is not None and retries < 1:
        return [f"Cloudflare consumer `{view.name}` sets maxRetries {fmt(retries)}: one transient failure "
                "dead-letters the message; check that the handler cannot fail transiently."]
    return []


def check_dlq_in_stack(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    queues = of_type(views, SQS_QUEUE)
    out = []
    for queue in source_queues(views):
        target = str((redrive_of(queue, views) or {}).get("deadLetterTargetArn") or "")
        if not target.startswith("arn:") or UNKNOWN_SENTINEL in target:
            continue
        name = target.rsplit(":", 1)[-1]
        if any(q is not queue and (q.known("arn") == target or (q.known("arn") is None and q.known("name") == name))
               for q in queues):
            continue
        out.append((queue.urn, f"SQS queue `{queue.name}` dead-letters into {target}, which is no queue of this stack: "
                               "its retention, alarms and redrive-allow policy go unchecked, and a typo loses every "
                               "failed message."))
    return out


RULES: tuple[Rule, ...] = (
    Rule(id="task-set-pipe-no-public-ip", description="ECS task sets and EventBridge Pipes start tasks without "
         "public IPs.", level=MANDATORY, why="Queue consumers need no inbound traffic.",
         remediation="Set assignPublicIp false (DISABLED for Pipes) and use private subnets.",
         check=check_task_set_or_pipe_public_ip, resource_types=(ECS_TASK_SET, PIPE), anchor="checkov CKV_AWS_333"),
    Rule(id="ecs-no-added-capabilities", description="No container adds SYS_ADMIN or another dangerous capability.",
         level=MANDATORY, why="SYS_ADMIN and its peers are root on the host for an EC2-launched task.",
         remediation="Remove linuxParameters.capabilities.add.", check=check_no_added_capabilities,
         resource_types=(ECS_TASK_DEFINITION,), anchor="checkov CKV_AWS_97 spirit"),
    Rule(id="ecs-container-not-root", description="A container that says it runs as root is a choice a person "
         "confirms.", level=ADVISORY, why="A handler running as root owns its container when compromised.",
         remediation="Set `user` to an unprivileged uid.", check=check_not_root,
         resource_types=(ECS_TASK_DEFINITION,)),
    Rule(id="memorydb-access-controlled", description="MemoryDB clusters use an ACL with users, and TLS.",
         level=MANDATORY, why="open-access lets anyone in the security group read and delete the queue.",
         remediation="Create an aws.memorydb.Acl with users and set aclName to it; keep tlsEnabled.",
         check=check_memorydb_access, resource_types=(MEMORYDB_CLUSTER,)),
    Rule(id="cache-transit-required", description="Redis transit encryption is required, not preferred.",
         level=MANDATORY, why="\"preferred\" accepts clients in clear alongside TLS ones.",
         remediation="Set transitEncryptionMode \"required\".", check=check_transit_required,
         resource_types=(REPLICATION_GROUP,)),
    Rule(id="cache-no-eviction", description="A queue's Redis parameter group does not evict keys.",
         level=MANDATORY, why="An evicting maxmemory-policy deletes queued items silently when memory fills.",
         remediation="Set maxmemory-policy noeviction.", check=check_cache_no_eviction, stack=True),
    Rule(id="cloudflare-dlq-not-self", description="A Cloudflare consumer's dead-letter queue is another queue.",
         level=MANDATORY, why="Dead-lettering into the consumed queue retries forever and keeps nothing apart.",
         remediation="Create a separate -dlq queue and name it in deadLetterQueue.",
         check=check_cloudflare_dlq_not_self, stack=True),
    Rule(id="cloudflare-retries-set", description="A Cloudflare consumer with maxRetries 0 is a choice a person "
         "confirms.", level=ADVISORY, why="Without retries one transient failure dead-letters a message.",
         remediation="Set maxRetries to 3 or more.", check=check_cloudflare_retries,
         resource_types=(CLOUDFLARE_CONSUMER,)),
    Rule(id="sqs-dlq-in-stack", description="An SQS redrive names a dead-letter queue of the same stack.",
         level=MANDATORY, why="A DLQ outside the stack is unchecked (retention, alarms, redrive-allow), and a typo "
         "in its ARN is found only when the first message fails.",
         remediation="Create the DLQ in the stack and take its ARN from the resource.",
         check=check_dlq_in_stack, stack=True),
)
