"""What `qcap doctor` reads from a live stack, as plain frozen data: queues, metric history, service, scaling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Level = Literal["ok", "warn", "critical"]
LEVEL_ORDER: dict[str, int] = {"ok": 0, "warn": 1, "critical": 2}
QUEUE_MISSING_CODES = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")

Series = tuple[tuple[float, float], ...]
"""(epoch seconds, value) datapoints, oldest first."""


@dataclass(frozen=True)
class QueueFacts:
    """What GetQueueAttributes and ListQueueTags say about one queue."""

    url: str
    name: str
    arn: str
    visible: int
    in_flight: int
    delayed: int
    retention_seconds: int
    visibility_timeout_seconds: int
    max_message_bytes: int
    dlq_arn: str | None
    max_receive_count: int | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def backlog(self) -> int:
        """Messages not yet deleted: visible, in flight and delayed."""
        return self.visible + self.in_flight + self.delayed


@dataclass(frozen=True)
class History:
    """CloudWatch datapoints over the window [start, end) at one-minute periods."""

    start_epoch: float
    end_epoch: float
    sent: Series = ()
    deleted: Series = ()
    oldest_age: Series = ()
    dlq_visible: Series = ()

    @property
    def window_seconds(self) -> float:
        return self.end_epoch - self.start_epoch


@dataclass(frozen=True)
class ServiceFacts:
    """The ECS service's task counts (found=False when the cluster or service does not exist)."""

    cluster: str
    service: str
    found: bool
    running: int = 0
    desired: int = 0
    pending: int = 0


@dataclass(frozen=True)
class ScalingFacts:
    """The scalable target and the target-tracking policy on the service."""

    resource_id: str
    target_found: bool
    min_capacity: int | None = None
    max_capacity: int | None = None
    policy_name: str | None = None
    target_backlog_per_task: float | None = None
    # When the target was read (UTC): a scheduled min capacity is judged against the floor of that hour.
    read_at: datetime | None = None
    # Whether the target-tracking policy has scale-in disabled, and the step policies that remove tasks
    # (a scale-in band: capacity/scale_in_band.py); None when not read.
    scale_in_disabled: bool | None = None
    scale_in_step_policies: tuple[str, ...] | None = None


@dataclass(frozen=True)
class WorkloadFacts:
    """Everything read live about one workload; None means not checked (see notes)."""

    workload: str
    queue_name: str
    queue: QueueFacts | None
    dlq_name: str | None
    dlq_visible: int | None
    history: History
    service: ServiceFacts | None
    scaling: ScalingFacts | None
    aws_calls: int = 0
    aws_retries: int = 0
    notes: tuple[str, ...] = ()
