"""An SQS queue with its dead-letter queue, every setting taken from a WorkloadPlan.

Retention, DLQ retention, visibility timeout, max receive count and max message size are the
plan's numbers (max message size is set explicitly: pulumi-aws still defaults it to 256 KiB).
Both queues use SSE, deny non-TLS access, and are protected in prod stacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from capacity import names
from capacity.contract import SQS_BROKERS, Broker, Environment
from capacity.plan import WorkloadPlan
from components.stack_key import known_arn, known_queue_url
from components.tags import workload_tags

FIFO_BROKER = Broker.sqs_fifo
SQS_ACTIONS_ALL = "sqs:*"


def queue_name(stack: str, plan: WorkloadPlan, dlq: bool = False) -> str:
    """The physical queue name from the shared contract: qcap-<stack>-<workload>[-dlq][.fifo].

    Fitted to SQS's 80 characters: a longer name is cut and ends in a hash of the full name,
    before its `-dlq` / `.fifo` suffix.
    """
    return names.queue_name(stack, plan.name, fifo=plan.broker == FIFO_BROKER, dlq=dlq)


def deny_insecure_transport_policy(queue_arn: str) -> str:
    """A queue policy that denies every SQS action over plain HTTP (aws:SecureTransport false)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": SQS_ACTIONS_ALL,
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def redrive_policy(dlq_arn: str, max_receive_count: int) -> str:
    """The source queue's redrive policy: after max_receive_count deliveries, move to the DLQ."""
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def redrive_allow_policy(source_arn: str) -> str:
    """The DLQ's redrive-allow policy: only this source queue may use it as its dead-letter queue."""
    return json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]})


@dataclass(frozen=True)
class QueueWithDlqArgs:
    """What a QueueWithDlq needs: the plan of its workload and the stack it belongs to.

    `plan` gives every number (broker `sqs` or `sqs-fifo`); `stack` goes into the physical
    names (`qcap-<stack>-<workload>`) and the tags.
    """

    plan: WorkloadPlan
    stack: str

    def __post_init__(self) -> None:
        plan = self.plan
        if plan.broker not in SQS_BROKERS:
            raise ValueError(
                f"QueueWithDlq: workload {plan.name!r} has broker {str(plan.broker)!r}; allowed: {', '.join(SQS_BROKERS)}"
            )
        if plan.visibility_timeout_seconds is None:
            raise ValueError(f"QueueWithDlq: workload {plan.name!r} has no visibility_timeout_seconds in its plan")

    @property
    def fifo(self) -> bool:
        return self.plan.broker == FIFO_BROKER

    @property
    def protect(self) -> bool:
        """Queues in prod stacks are protected from deletion."""
        return self.plan.environment == Environment.prod


class QueueWithDlq(pulumi.ComponentResource):
    """A source queue and its dead-letter queue with redrive, redrive-allow, SSE and TLS-only policies."""

    queue: aws.sqs.Queue
    dlq: aws.sqs.Queue
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    dlq_name: pulumi.Output[str]

    def __init__(self, name: str, args: QueueWithDlqArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("qcap:aws:QueueWithDlq", name, None, opts)
        plan = args.plan
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)
        fifo_settings = self._fifo_settings(args)
        # ARNs and URLs from the names chosen here, so redrive and queue policies are known at the first
        # preview of a new stack and the policy pack can check them before anything is created.
        source_name, dlq_name = queue_name(args.stack, plan), queue_name(args.stack, plan, dlq=True)
        source_arn, dlq_arn = known_arn("sqs", source_name), known_arn("sqs", dlq_name)

        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=dlq_name,
            message_retention_seconds=plan.dlq_retention_seconds,
            visibility_timeout_seconds=plan.visibility_timeout_seconds,
            max_message_size=plan.max_message_bytes,
            receive_wait_time_seconds=plan.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            tags=workload_tags(plan, args.stack, "dlq"),
            **fifo_settings,
            opts=protected,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=source_name,
            message_retention_seconds=plan.retention_seconds,
            visibility_timeout_seconds=plan.visibility_timeout_seconds,
            max_message_size=plan.max_message_bytes,
            receive_wait_time_seconds=plan.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            redrive_policy=dlq_arn.apply(lambda arn: redrive_policy(arn, plan.max_receive_count)),
            tags=workload_tags(plan, args.stack, "queue"),
            **fifo_settings,
            # The redrive names the DLQ by its ARN built above, so the dependency is stated here.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[self.dlq]),
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=self.dlq.url,
            redrive_allow_policy=source_arn.apply(redrive_allow_policy),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-queue-policy",
            queue_url=self.queue.url,
            policy=source_arn.apply(deny_insecure_transport_policy),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=self.dlq.url,
            policy=dlq_arn.apply(deny_insecure_transport_policy),
            opts=child,
        )

        # Known before creation (the names are ours); each equals what SQS returns for the queue.
        self.queue_url = known_queue_url(source_name)
        self.queue_arn = source_arn
        self.queue_name = self.queue.name
        self.dlq_url = known_queue_url(dlq_name)
        self.dlq_arn = dlq_arn
        self.dlq_name = self.dlq.name
        self.register_outputs(
            {
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "queue_name": self.queue_name,
                "dlq_url": self.dlq_url,
                "dlq_arn": self.dlq_arn,
                "dlq_name": self.dlq_name,
            }
        )

    @staticmethod
    def _fifo_settings(args: QueueWithDlqArgs) -> dict[str, object]:
        if not args.fifo:
            return {}
        settings: dict[str, object] = {"fifo_queue": True, "content_based_deduplication": True}
        if args.plan.service is not None and args.plan.service.fifo_high_throughput:
            settings.update(deduplication_scope="messageGroup", fifo_throughput_limit="perMessageGroupId")
        return settings
