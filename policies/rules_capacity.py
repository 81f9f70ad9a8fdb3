"""Capacity rules: the limits a queue deployment must respect so messages are neither lost nor late.

No public policy pack has these. Each reads the plan inputs the components tag on every
resource (`qcap:max-age-seconds`, `qcap:processing-p99-seconds`, ...) and the limits in
`capacity/limits.py`, so a rule and the planner never disagree on a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from policies import limits
from policies.contract import ROLE_DLQ as DLQ_ROLE
from policies.contract import SQS_IN_FLIGHT_METRIC, SQS_VISIBLE_METRIC
from policies.rules_base import (
    ADVISORY,
    CLOUDFLARE_CONSUMER,
    CLOUDFLARE_QUEUE,
    MANDATORY,
    SQS_QUEUE,
    SQS_REDRIVE_POLICY,
    TAG_CONCURRENCY_PER_TASK,
    TAG_DRAIN_SECONDS,
    TAG_MAX_AGE_SECONDS,
    TAG_PEAK_PER_SECOND,
    TAG_PROCESSING_P99_SECONDS,
    TAG_RECEIVE_BATCH,
    UNKNOWN_SENTINEL,
    ResourceView,
    Rule,
    as_mapping,
    as_number,
    depends_on,
    fmt,
    is_true,
    of_type,
)

# SQS metrics that count messages in the queue: tracking one of them raw scales on depth.
SQS_DEPTH_METRICS = (SQS_VISIBLE_METRIC, SQS_IN_FLIGHT_METRIC, "ApproximateNumberOfMessages")
# Metrics that count running consumer tasks (the divisor of backlog per task).
TASK_COUNT_METRICS = ("RunningTaskCount", "DesiredTaskCount", "RunningTasks")
TARGET_TRACKING = "TargetTrackingScaling"
STEP_SCALING = "StepScaling"


def policy_type(props: Mapping[str, Any]) -> str:
    """A scaling policy's type as it deploys: pulumi-aws's appautoscaling.Policy defaults `policyType` to
    StepScaling (its API docs), so a policy that names none is read as step scaling, not target tracking."""
    return props.get("policyType") or STEP_SCALING


FIFO_HIGH_THROUGHPUT_SCOPE = "messageGroup"
FIFO_HIGH_THROUGHPUT_LIMIT = "perMessageGroupId"


# --- SQS: which queue is which, and how they link -----------------------------------


def is_dlq(queue: ResourceView) -> bool:
    return queue.role == DLQ_ROLE


def redrive_targets(views: Sequence[ResourceView]) -> set[str]:
    """URNs of the queues some redrive in the stack points at, tagged or not.

    By the target's ARN where it is known, else by the property dependency of the redrive
    policy's value (a raw program's `dlq.arn.apply(...)`), inline or on a RedrivePolicy resource.
    """
    queues = of_type(views, SQS_QUEUE)
    targets: set[str] = set()
    for holder in [*queues, *of_type(views, SQS_REDRIVE_POLICY)]:
        redrive = as_mapping(holder.props.get("redrivePolicy"))
        arn = (redrive or {}).get("deadLetterTargetArn")
        from_value = set(holder.property_dependencies.get("redrivePolicy", ()))
        for q in queues:
            if q is holder:
                continue
            if q.urn in from_value or (arn and arn != UNKNOWN_SENTINEL and q.known("arn") == arn):
                targets.add(q.urn)
    return targets


def source_queues(views: Sequence[ResourceView]) -> list[ResourceView]:
    """SQS queues that consumers read: everything but dead-letter queues (tagged so, or some redrive's target)."""
    targets = redrive_targets(views)
    return [q for q in of_type(views, SQS_QUEUE) if not is_dlq(q) and q.urn not in targets]


def dead_letter_queues(views: Sequence[ResourceView]) -> list[ResourceView]:
    targets = redrive_targets(views)
    return [q for q in of_type(views, SQS_QUEUE) if is_dlq(q) or q.urn in targets]


def retention_seconds(queue: ResourceView) -> float:
    value = as_number(queue.props.get("messageRetentionSeconds"))
    return limits.SQS_DEFAULT_RETENTION_SECONDS if value is None else value


def _same_workload(a: ResourceView, b: ResourceView) -> bool:
    return a.workload is not None and a.workload == b.workload


def redrive_of(queue: ResourceView, views: Sequence[ResourceView]) -> Mapping[str, Any] | None:
    """The queue's redrive policy: inline on the queue, or from a separate RedrivePolicy resource."""
    holder = redrive_holder(queue, views)
    return None if holder is None else as_mapping(holder.props.get("redrivePolicy"))


def redrive_holder(queue: ResourceView, views: Sequence[ResourceView]) -> ResourceView | None:
    """The resource that sets the queue's redrive policy: the queue itself, a RedrivePolicy on it, or None."""
    if as_mapping(queue.props.get("redrivePolicy")):
        return queue
    return next((rp for rp in of_type(views, SQS_REDRIVE_POLICY)
                 if redrive_policy_is_on(rp, queue) and as_mapping(rp.props.get("redrivePolicy"))), None)


def redrive_policy_is_on(rp: ResourceView, queue: ResourceView) -> bool:
    """Whether a separate RedrivePolicy is set on `queue` (not merely pointing at it as the dead-letter queue).

    The policy depends on both its queue and its DLQ (through the DLQ's ARN), so a dependency alone
    cannot tell them apart: the queueUrl's value or its property dependency can.
    """
    url = queue.known("url")
    if url and rp.known("queueUrl") == url:
        return True
    from_url = rp.property_dependencies.get("queueUrl")
    if from_url:
        return queue.urn in from_url
    target = (as_mapping(rp.props.get("redrivePolicy")) or {}).get("deadLetterTargetArn")
    if target and target != UNKNOWN_SENTINEL and target == queue.known("arn"):
        return False
    return depends_on(rp, queue) and not set(rp.property_dependencies.get("redrivePolicy", ())) >= {queue.urn}


def dlq_of(queue: ResourceView, views: Sequence[ResourceView]) -> ResourceView | None:
    """The dead-letter queue the source's redrive points at (by ARN, then dependency, then workload tag)."""
    redrive = redrive_of(queue, views)
    if redrive is None:
        return None
    target = redrive.get("deadLetterTargetArn")
    candidates = [q for q in of_type(views, SQS_QUEUE) if q is not queue]
    for q in candidates:
        if target and target != UNKNOWN_SENTINEL and q.known("arn") == target:
            return q
    holder = redrive_holder(queue, views)
    from_value = set(holder.property_dependencies.get("redrivePolicy", ())) if holder is not None else set()
    for q in candidates:
        if q.urn in from_value or (is_dlq(q) and depends_on(queue, q)):
            return q
    if target and str(target).startswith("arn:") and UNKNOWN_SENTINEL not in str(target):
        # A known ARN: the queue of that name (its ARN may not be known yet), or none; no workload tag stands in.
        name = str(target).rsplit(":", 1)[-1]
        return next((q for q in candidates if q.known("arn") is None and q.known("name") == name), None)
    for q in candidates:
        if is_dlq(q) and _same_workload(q, queue):
            return q
    return None


def _is_prod(view: ResourceView) -> bool:
    return view.prod


# --- SQS rules ----------------------------------------------------------------------


def check_queue_has_dlq(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for queue in source_queues(views):
        if redrive_of(queue, views) is None:
            out.append((queue.urn, f"SQS queue `{queue.name}` has no redrive policy: a message that keeps failing "
                                   "is retried until retention deletes it."))
        elif dlq_of(queue, views) is None:
            out.append((queue.urn, f"SQS queue `{queue.name}` has a redrive policy whose dead-letter queue is not "
                                   "in this stack (no queue tagged qcap:role=dlq matches its deadLetterTargetArn)."))
    return out


def check_dlq_referenced(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    used = {id(dlq_of(q, views)) for q in source_queues(views)}
    return [
        (dlq.urn, f"dead-letter queue `{dlq.name}` is not the redrive target of any queue in this stack.")
        for dlq in dead_letter_queues(views)
        if id(dlq) not in used
    ]


def check_dlq_outlives_source(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for queue in source_queues(views):
        dlq = dlq_of(queue, views)
        if dlq is None:
            continue
        src, dead = retention_seconds(queue), retention_seconds(dlq)
        # A FIFO queue resets the enqueue timestamp when it moves a message to its (FIFO) DLQ, so equal
        # retention is safe there (SQS developer guide, dead-letter queues: "Message retention").
        both_fifo = is_true(queue.props.get("fifoQueue")) and is_true(dlq.props.get("fifoQueue"))
        if dead < src or (dead == src and not both_fifo):
            out.append((dlq.urn, f"dead-letter queue `{dlq.name}` keeps messages {fmt(dead)} s, not longer than its "
                                 f"source `{queue.name}` ({fmt(src)} s): a standard queue keeps the original enqueue "
                                 "time, so dead letters expire as soon as they arrive."))
    return out


def check_max_receive_count(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    """maxReceiveCount of the redrive on one resource (a queue's inline redrivePolicy or a RedrivePolicy)."""
    if view.type == SQS_QUEUE and is_dlq(view):
        return []
    redrive = as_mapping(view.props.get("redrivePolicy"))
    if redrive is None:
        return []
    minimum_prod = int(config["minProdMaxReceiveCount"])
    count = as_number(redrive.get("maxReceiveCount"))
    if count is None or not limits.SQS_MIN_MAX_RECEIVE_COUNT <= count <= limits.SQS_MAX_MAX_RECEIVE_COUNT:
        return [f"SQS queue `{view.name}` has maxReceiveCount {fmt(count)}; allowed: "
                f"{limits.SQS_MIN_MAX_RECEIVE_COUNT}-{limits.SQS_MAX_MAX_RECEIVE_COUNT}."]
    if _is_prod(view) and count < minimum_prod:
        return [f"SQS queue `{view.name}` is prod and has maxReceiveCount {fmt(count)}: one "
                f"transient failure dead-letters a message; use at least {minimum_prod}."]
    return []


def check_retention_covers_objective(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if is_dlq(view):
        return []
    age = view.tag_number(TAG_MAX_AGE_SECONDS)
    drain = view.tag_number(TAG_DRAIN_SECONDS)
    if age is None:
        return []
    needed = (age + (drain or 0.0)) * float(config["retentionMargin"])
    have = retention_seconds(view)
    if have < needed:
        return [f"SQS queue `{view.name}` keeps messages {fmt(have)} s but the oldest may wait {fmt(needed)} s "
                f"(drain {fmt(drain or 0)} s + objective {fmt(age)} s): it expires messages before they are processed."]
    return []


def check_visibility_covers_processing(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if is_dlq(view):
        return []
    visibility = as_number(view.props.get("visibilityTimeoutSeconds"))
    if visibility is None:
        visibility = float(limits.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS)
    out = []
    if visibility > limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS:
        out.append(f"SQS queue `{view.name}` has visibilityTimeoutSeconds {fmt(visibility)}; SQS allows at most "
                   f"{limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} (12 h).")
    p99 = view.tag_number(TAG_PROCESSING_P99_SECONDS)
    if p99 is not None:
        factor = float(config["processingFactor"])
        # A consumer holds a whole receive batch; with c slots it works through it in ceil(batch / c) rounds.
        # Untagged, assume SQS's largest batch (10) on one slot: the worst a consumer can do.
        batch = view.tag_number(TAG_RECEIVE_BATCH) or float(limits.SQS_MAX_RECEIVE_BATCH)
        concurrency = view.tag_number(TAG_CONCURRENCY_PER_TASK) or 1.0
        rounds = math.ceil(batch / concurrency)
        needed = factor * rounds * p99
        if visibility < needed:
            out.append(f"SQS queue `{view.name}` has visibilityTimeoutSeconds {fmt(visibility)}, under {fmt(factor)} x "
                       f"ceil(receive batch {fmt(batch)} / concurrency {fmt(concurrency)}) x processing p99 {fmt(p99)} s "
                       f"= {fmt(needed)} s: the last messages of a batch reappear while still waiting or being "
                       "processed, are handled twice and burn their receive count.")
    return out


def check_max_message_size_set(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if view.props.get("maxMessageSize") is None:
        return [f"SQS queue `{view.name}` leaves maxMessageSize unset: pulumi-aws defaults it to "
                f"{limits.PULUMI_AWS_DEFAULT_MAX_MESSAGE_BYTES} bytes, not SQS's {limits.SQS_MAX_MESSAGE_BYTES}."]
    return []


def check_fifo_throughput(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if not is_true(view.props.get("fifoQueue")) or is_dlq(view):
        return []
    peak = view.tag_number(TAG_PEAK_PER_SECOND)
    if peak is None:
        return []
    high = (view.props.get("deduplicationScope") == FIFO_HIGH_THROUGHPUT_SCOPE
            and view.props.get("fifoThroughputLimit") == FIFO_HIGH_THROUGHPUT_LIMIT)
    allowed = (limits.SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND if high
               else limits.SQS_FIFO_MESSAGES_PER_SECOND_BATCHED)
    if peak > allowed:
        mode = "high-throughput mode" if high else "standard FIFO mode (300 calls/s x batches of 10)"
        return [f"FIFO queue `{view.name}` must take a peak of {fmt(peak)} msg/s but {mode} allows {fmt(allowed)} msg/s."]
    return []


# --- Cloudflare Queues ----------------------------------------------------------------

_CLOUDFLARE_LIMITS = (
    ("batchSize", limits.CLOUDFLARE_MAX_BATCH_SIZE, "messages per batch"),
    ("maxWaitTimeMs", limits.CLOUDFLARE_MAX_WAIT_TIME_MS, "ms of batch wait"),
    ("maxConcurrency", limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY, "concurrent consumer invocations"),
    ("maxRetries", limits.CLOUDFLARE_MAX_RETRIES, "retries"),
)


def check_cloudflare_consumer_limits(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    settings = as_mapping(view.props.get("settings")) or {}
    out = []
    for key, allowed, what in _CLOUDFLARE_LIMITS:
        value = as_number(settings.get(key))
        if value is not None and value > allowed:
            out.append(f"Cloudflare consumer `{view.name}` sets settings.{key} {fmt(value)}; Cloudflare allows at "
                       f"most {allowed} {what}.")
    return out


def _cloudflare_dlq_names(views: Sequence[ResourceView]) -> set[str]:
    named = {str(c.props.get("deadLetterQueue")) for c in of_type(views, CLOUDFLARE_CONSUMER)
             if c.props.get("deadLetterQueue")}
    return named | {str(q.props.get("queueName")) for q in of_type(views, CLOUDFLARE_QUEUE)
                    if str(q.props.get("queueName") or "").endswith("-dlq")}


def _consumers_of(queue: ResourceView, views: Sequence[ResourceView]) -> list[ResourceView]:
    queue_id = queue.known("queueId") or queue.known("id")
    return [c for c in of_type(views, CLOUDFLARE_CONSUMER)
            if depends_on(c, queue) or (queue_id and c.known("queueId") == queue_id)]


def check_cloudflare_queue_has_dlq(views: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    dlq_names = _cloudflare_dlq_names(views)
    for queue in of_type(views, CLOUDFLARE_QUEUE):
        if str(queue.props.get("queueName")) in dlq_names:
            continue
        consumers = _consumers_of(queue, views)
        if not any(c.props.get("deadLetterQueue") for c in consumers):
            out.append((queue.urn, f"Cloudflare queue `{queue.props.get('queueName') or queue.name}` has no consumer "
                                   "with a deadLetterQueue: after the last retry a failing message is deleted."))
    for consumer in of_type(views, CLOUDFLARE_CONSUMER):
        if not consumer.props.get("deadLetterQueue") and not any(
            c is consumer for q in of_type(views, CLOUDFLARE_QUEUE) for c in _consumers_of(q, views)
        ):
            out.append((consumer.urn, f"Cloudflare consumer `{consumer.name}` has no deadLetterQueue."))
    return out


def check_objective_tagged(view: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if is_dlq(view):
        return []
    missing = [k for k in (TAG_MAX_AGE_SECONDS, TAG_PROCESSING_P99_SECONDS, TAG_DRAIN_SECONDS) if view.tag(k) is None]
    if missing:
        return [f"SQS queue `{view.name}` lacks the tags {', '.join(missing)}: the retention and visibility rules "
                "cannot check it against its objective."]
    return []


_NUMBER = {"type": "number"}

RULES: tuple[Rule, ...] = (
    Rule(
        id="sqs-queue-has-dlq",
        description="Every SQS queue consumers read has a redrive policy to a dead-letter queue in the stack.",
        level=MANDATORY,
        why="Without a DLQ a poison message is retried until retention deletes it, silently.",
        remediation="Create the queue with qcap's SqsQueue component (it adds `<name>-dlq` and the redrive policy), "
                    "or set `redrivePolicy` with `deadLetterTargetArn` = the DLQ's ARN.",
        check=check_queue_has_dlq, stack=True, anchor="cdk-nag SQS3",
    ),
    Rule(
        id="sqs-dlq-referenced",
        description="Every dead-letter queue is the redrive target of some queue.",
        level=ADVISORY,
        why="An orphaned DLQ costs alarms and suggests the redrive points somewhere else.",
        remediation="Point the source queue's `redrivePolicy.deadLetterTargetArn` at it, or delete it.",
        check=check_dlq_referenced, stack=True,
    ),
    Rule(
        id="sqs-dlq-outlives-source",
        description="A dead-letter queue keeps messages longer than its source queue.",
        level=MANDATORY,
        why="Standard queues keep the original enqueue time when dead-lettering, so a DLQ with the same or shorter "
            "retention deletes dead letters on arrival.",
        remediation=f"Set the DLQ's `messageRetentionSeconds` to {limits.DLQ_RETENTION_SECONDS} (14 days) and keep the "
                    f"source at most {limits.MAX_SOURCE_RETENTION_SECONDS}.",
        check=check_dlq_outlives_source, stack=True,
    ),
    Rule(
        id="sqs-retention-covers-objective",
        description="A queue's retention covers the backlog drain time plus the age objective it is tagged with.",
        level=MANDATORY,
        why="A message that waits longer than retention is deleted unprocessed.",
        remediation="Raise `messageRetentionSeconds` (overrides.retention_seconds) or drain faster "
                    "(more max_capacity); `qcap plan` shows the longest wait.",
        check=check_retention_covers_objective, resource_types=(SQS_QUEUE,),
        config_schema={"retentionMargin": {**_NUMBER, "minimum": 1, "default": limits.POLICY_RETENTION_MARGIN,
                                           "description": "Multiple of (drain + objective) retention must cover."}},
    ),
    Rule(
        id="sqs-visibility-covers-processing",
        description="Visibility timeout is at least twice the tagged processing p99 and at most 12 hours.",
        level=MANDATORY,
        why="A message that becomes visible while still being processed is delivered again, processed twice, and "
            "its receive count runs out into the DLQ.",
        remediation="Set `visibilityTimeoutSeconds` to the plan's value (overrides.visibility_timeout_seconds), or "
                    "heartbeat ChangeMessageVisibility for work longer than 6 hours.",
        check=check_visibility_covers_processing, resource_types=(SQS_QUEUE,),
        config_schema={"processingFactor": {**_NUMBER, "minimum": 1,
                                            "default": limits.VISIBILITY_TIMEOUT_SAFETY_FACTOR,
                                            "description": "Required multiple of the processing p99."}},
    ),
    Rule(
        id="sqs-max-receive-count",
        description="maxReceiveCount is within 1-1000, and not 1 in prod.",
        level=MANDATORY,
        why="Out of range the redrive is rejected; 1 dead-letters a message on its first transient failure.",
        remediation="Set `retries.max_receives` in the profile (default 5).",
        check=check_max_receive_count, resource_types=(SQS_QUEUE, SQS_REDRIVE_POLICY),
        config_schema={"minProdMaxReceiveCount": {"type": "integer", "minimum": 1,
                                                  "default": limits.POLICY_MIN_PROD_MAX_RECEIVE_COUNT,
                                                  "description": "Smallest maxReceiveCount allowed in prod."}},
    ),
    Rule(
        id="sqs-max-message-size-set",
        description="maxMessageSize is set explicitly.",
        level=ADVISORY,
        why="pulumi-aws defaults it to 256 KiB although SQS accepts 1 MiB; large messages are refused.",
        remediation=f"Set `maxMessageSize` (qcap sets {limits.SQS_MAX_MESSAGE_BYTES}).",
        check=check_max_message_size_set, resource_types=(SQS_QUEUE,),
    ),
    Rule(
        id="sqs-fifo-throughput",
        description="A FIFO queue can take the tagged peak rate.",
        level=MANDATORY,
        why="Past FIFO's quota SendMessage is throttled and producers drop or stall messages.",
        remediation="Enable high-throughput FIFO (`deduplicationScope: messageGroup`, "
                    "`fifoThroughputLimit: perMessageGroupId`), or partition the workload.",
        check=check_fifo_throughput, resource_types=(SQS_QUEUE,),
    ),
    Rule(
        id="sqs-objective-tagged",
        description="Source queues carry the qcap objective tags the capacity rules read.",
        level=ADVISORY,
        why="Without them the retention and visibility rules cannot check the queue.",
        remediation="Create queues with qcap's components, or add the qcap:* tags from docs/policies.md.",
        check=check_objective_tagged, resource_types=(SQS_QUEUE,),
    ),
    Rule(
        id="cloudflare-consumer-within-limits",
        description="Cloudflare consumer settings are within the service's limits.",
        level=MANDATORY,
        why=f"Cloudflare rejects batch > {limits.CLOUDFLARE_MAX_BATCH_SIZE}, wait > 60 s, concurrency > "
            f"{limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY}, retries > {limits.CLOUDFLARE_MAX_RETRIES}; a plan that "
            "needs more is not feasible as configured.",
        remediation="Shard the queue (overrides.shards) so each consumer needs less, or shorten processing.",
        check=check_cloudflare_consumer_limits, resource_types=(CLOUDFLARE_CONSUMER,),
    ),
    Rule(
        id="cloudflare-queue-has-dlq",
        description="Every Cloudflare queue's consumer has a dead-letter queue.",
        level=MANDATORY,
        why="Cloudflare deletes a message after its last retry unless a DLQ is set.",
        remediation="Set the consumer's `deadLetterQueue` to `<name>-dlq`.",
        check=check_cloudflare_queue_has_dlq, stack=True,
    ),
)
