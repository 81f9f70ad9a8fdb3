"""Moving a workload's dead-lettered messages back to its queue with SQS's StartMessageMoveTask.

`find_redrive` reads both queues (by the contract's names) and the DLQ's depth; `default_rate`
picks a pace the fleet can absorb; `start_redrive` starts the task. SQS moves the messages
itself, asynchronously, at most 500 a second, one task per queue at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from capacity import limits, names
from capacity.plan import WorkloadPlan, num
from capacity.profile import Broker
from qcap.live.aws import AwsError, error_code, is_html_answer
from qcap.live.doctor import queue_name
from qcap.live.facts import QUEUE_MISSING_CODES


@dataclass(frozen=True)
class RedriveTarget:
    """The DLQ to empty and the queue it feeds back into."""

    queue_name: str
    queue_arn: str
    dlq_name: str
    dlq_arn: str
    dlq_visible: int
    dlq_in_flight: int


def dlq_name(stack: str, plan: WorkloadPlan) -> str:
    """qcap-<stack>-<workload>-dlq, with .fifo after it for FIFO queues (the contract)."""
    return names.queue_name(stack, plan.name, fifo=plan.broker == Broker.sqs_fifo, dlq=True)


def _attributes(sqs: Any, name: str, wanted: list[str]) -> dict[str, str]:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=wanted)["Attributes"]
    except ClientError as exc:
        if error_code(exc) in QUEUE_MISSING_CODES:
            raise AwsError(f"queue {name} does not exist in this account and region: deploy the stack first") from None
        raise


def find_redrive(sqs: Any, stack: str, plan: WorkloadPlan) -> RedriveTarget:
    """Both queues' ARNs and the DLQ's depth, read live."""
    source = queue_name(stack, plan)
    dlq = dlq_name(stack, plan)
    queue_attrs = _attributes(sqs, source, ["QueueArn"])
    dlq_attrs = _attributes(
        sqs, dlq, ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    return RedriveTarget(
        queue_name=source,
        queue_arn=queue_attrs["QueueArn"],
        dlq_name=dlq,
        dlq_arn=dlq_attrs["QueueArn"],
        dlq_visible=int(dlq_attrs.get("ApproximateNumberOfMessages", 0)),
        dlq_in_flight=int(dlq_attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


@dataclass(frozen=True)
class RedriveRate:
    per_second: int
    reason: str


def default_rate(plan: WorkloadPlan) -> RedriveRate:
    """The fleet's spare throughput at max capacity: max_capacity x mu - average arrivals, 1-500 msg/s."""
    spare = plan.max_capacity * plan.per_task_messages_per_second - plan.arrival_average_per_second
    value = min(limits.SQS_MAX_MOVE_TASK_MESSAGES_PER_SECOND, max(1, math.floor(spare)))
    reason = (
        f"{value} msg/s = the fleet's spare throughput floor({plan.max_capacity} tasks x "
        f"{num(plan.per_task_messages_per_second)} msg/s - {num(round(plan.arrival_average_per_second, 2))} arriving), "
        f"between 1 and SQS's {limits.SQS_MAX_MOVE_TASK_MESSAGES_PER_SECOND}"
    )
    return RedriveRate(value, reason)


def check_rate(rate: int) -> None:
    if not 1 <= rate <= limits.SQS_MAX_MOVE_TASK_MESSAGES_PER_SECOND:
        raise ValueError(
            f"--rate {rate} is out of range; allowed: 1-{limits.SQS_MAX_MOVE_TASK_MESSAGES_PER_SECOND} "
            "messages per second (StartMessageMoveTask's limit)"
        )


def move_seconds(messages: int, rate: int) -> float:
    return messages / rate


def start_redrive(sqs: Any, target: RedriveTarget, rate: int) -> str:
    """Start moving the DLQ's messages back to the source queue; returns the task handle."""
    check_rate(rate)
    try:
        response = sqs.start_message_move_task(
            SourceArn=target.dlq_arn, DestinationArn=target.queue_arn, MaxNumberOfMessagesPerSecond=rate
        )
    except NotImplementedError:
        # moto answers an action it does not implement this way; real SQS and LocalStack implement it.
        raise AwsError(
            "this endpoint does not implement StartMessageMoveTask (moto does not, as of moto 5.2): "
            "run the redrive against SQS itself or LocalStack"
        ) from None
    except ClientError as exc:
        if is_html_answer(exc):  # moto 5.2 fails inside with an HTML 500 page
            raise AwsError(
                "this endpoint does not implement StartMessageMoveTask (it answered HTTP "
                f"{exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode', '?')} with a web page; moto does "
                "not implement it, as of moto 5.2): run the redrive against SQS itself or LocalStack"
            ) from None
        if error_code(exc) in ("UnsupportedOperation", "InvalidParameterValue", "ResourceNotFoundException"):
            raise AwsError(f"SQS refused the redrive: {error_code(exc)}: {exc.response['Error'].get('Message', '')}") from None
        raise
    return str(response["TaskHandle"])
