"""The sections of a workload in a capacity profile: traffic, consumer, objective, sink and the rest.

Each is a Section, so every cross-field check (`check_*`) of one runs and reports, not just the first.
"""

from __future__ import annotations

from typing import Annotated, Iterator, Literal

from pydantic import Field

from capacity import limits
from capacity.contract import ConsumerMode
from capacity.fargate import fargate_size_problem
from capacity.profile_base import Count, Number, ObjectiveSeconds, PositiveSeconds, Section, given


class DailyShape(Section):
    """How the day's traffic is shaped: one multiplier of the daily average per hour, in a time zone."""

    hourly_multipliers: tuple[Annotated[Number, Field(ge=0, le=limits.DAILY_SHAPE_MAX_MULTIPLIER)], ...]
    """24 numbers, hour 0 (local midnight to 1 am) first, each hour's rate against the others; they are rescaled
    to average exactly 1, so each becomes that hour's multiple of messages_per_day's average rate."""
    time_zone: str = "UTC"
    """IANA time zone the hours are in (also the scheduled actions' time zone), e.g. Europe/London. Default: UTC."""

    def check_hour_count(self) -> Iterator[str]:
        count = len(self.hourly_multipliers)
        if count != limits.HOURS_PER_DAY:
            yield f"hourly_multipliers needs {limits.HOURS_PER_DAY} values, hour 0 first (got {count})"

    def check_some_traffic(self) -> Iterator[str]:
        if not sum(self.hourly_multipliers) > 0:
            yield "hourly_multipliers are all 0: give at least one hour with traffic"

    def check_time_zone(self) -> Iterator[str]:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            yield f"time_zone {self.time_zone!r} is not an IANA time zone name such as 'UTC' or 'Europe/London'"

    def hourly_fractions(self) -> tuple[float, ...]:
        """Each hour's rate over the day's average (the multipliers scaled to average exactly 1)."""
        mean = sum(self.hourly_multipliers) / len(self.hourly_multipliers)
        return tuple(m / mean for m in self.hourly_multipliers)


class Traffic(Section):
    messages_per_day: Number = Field(ge=0, le=limits.MAX_PLANNABLE_MESSAGES_PER_DAY)
    """Messages arriving per day on average."""
    peak_messages_per_second: Number | None = Field(
        default=None, gt=0, le=limits.MAX_PLANNABLE_MESSAGES_PER_SECOND
    )
    """Highest sustained arrival rate (a few minutes or more). Give this or peak_to_average."""
    peak_to_average: Number | None = Field(default=None, ge=1, le=limits.MAX_PEAK_TO_AVERAGE)
    """Peak rate as a multiple of the daily average. Give this or peak_messages_per_second."""
    trough_to_average: Number = Field(default=1.0, ge=0, le=1)
    """Quietest rate as a fraction of the average (0 = nights with no traffic). Default: 1."""
    message_bytes: Count = Field(gt=0, le=limits.SQS_MAX_MESSAGE_BYTES)
    """Typical message size in bytes, body plus attributes."""
    backlog_messages: Count = Field(default=0, ge=0, le=limits.MAX_PLANNABLE_BACKLOG_MESSAGES)
    """Messages already waiting that the fleet must drain. Default: 0."""
    daily_shape: DailyShape | None = None
    """The day's shape by hour; lets the plan schedule min capacity for tight objectives. Default: none."""

    def check_one_peak(self) -> Iterator[str]:
        if self.peak_messages_per_second is None and self.peak_to_average is None:
            yield (
                "give the peak: set peak_messages_per_second (messages/s) "
                "or peak_to_average (a multiple of the daily average, >= 1)"
            )
        if self.peak_messages_per_second is not None and self.peak_to_average is not None:
            yield (
                f"give one peak, not both: peak_messages_per_second ({self.peak_messages_per_second!r}) "
                f"and peak_to_average ({self.peak_to_average!r})"
            )

    def check_peak_not_below_average(self) -> Iterator[str]:
        average = self.messages_per_day / limits.SECONDS_PER_DAY
        if self.peak_messages_per_second is not None and self.peak_messages_per_second < average * (1 - 1e-9):
            yield (
                f"peak_messages_per_second ({self.peak_messages_per_second!r}) is below the daily "
                f"average ({average:.3f} msg/s from messages_per_day {self.messages_per_day!r})"
            )

    def check_shape_within_peak(self) -> Iterator[str]:
        shape = self.daily_shape
        if shape is None or shape.problems() or [*self.check_one_peak(), *self.check_peak_not_below_average()]:
            return  # a wrong shape or peak is reported already; comparing the two would repeat it
        busiest = max(shape.hourly_fractions())
        average = self.messages_per_day / limits.SECONDS_PER_DAY
        peak = self.peak_messages_per_second / average if self.peak_messages_per_second and average else self.peak_to_average
        if peak is not None and busiest > peak * (1 + limits.DAILY_SHAPE_PEAK_TOLERANCE):
            yield (
                f"daily_shape's busiest hour is {busiest:.3g} x the average, above the peak ({peak:.3g} x): "
                "raise the peak or flatten the shape"
            )


class Consumer(Section):
    mode: ConsumerMode = ConsumerMode.service
    """`service`: long-running tasks that autoscale; `scheduled`: a task started every interval. Default: service."""
    processing_seconds: PositiveSeconds
    """Mean seconds to process one message (for `broker: cloudflare`, one batch: a consumer invocation)."""
    processing_p99_seconds: PositiveSeconds | None = None
    """99th percentile of the same; when left out, 2 x processing_seconds."""
    concurrency_per_task: Count = Field(default=1, ge=1, le=10_000)
    """Messages one task processes at the same time. Default: 1."""
    receive_batch: Count = Field(default=limits.SQS_MAX_RECEIVE_BATCH, ge=1, le=limits.CLOUDFLARE_MAX_BATCH_SIZE)
    """Messages per receive call (SQS: 1-10; Cloudflare: the largest batch to allow, 1-100). Default: 10."""
    task_cpu: Count = 256
    """Fargate CPU units per task: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256."""
    task_memory_mib: Count = 512
    """Fargate memory per task in MiB; must be a valid pair with task_cpu. Default: 512."""
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    """CPU architecture of the task (ARM is about 20% cheaper). Default: x86_64."""
    image: str | None = None
    """Container image of the consumer (AWS brokers). Required there."""
    script_name: str | None = None
    """Name of the consumer Worker script (`broker: cloudflare`). Required there."""
    interval_seconds: Count | None = Field(default=None, ge=60, le=86_400)
    """Scheduled mode: seconds between runs (EventBridge Scheduler's finest rate is 1 minute)."""
    batch_limit: Count | None = Field(default=None, ge=1, le=100_000)
    """Scheduled mode: most messages one run takes."""
    receive_overhead_seconds: Number | None = Field(default=None, ge=0, le=limits.MAX_RECEIVE_OVERHEAD_SECONDS)
    """Seconds a slot waits for its next message after finishing one (receive round trips); the per-task rate is concurrency / (processing + this). Default: from the broker's request latency (docs/plan.md); measure yours with benchmarks/bench_worker.py."""
    current_tasks: Count | None = Field(default=None, ge=0, le=limits.ECS_MAX_TASKS_PER_SERVICE)
    """Tasks running today, if any: the plan says whether they keep up and drain the backlog."""

    def check_fargate_size(self) -> Iterator[str]:
        problem = fargate_size_problem(self.task_cpu, self.task_memory_mib)
        if problem:
            yield problem

    def check_p99_not_below_mean(self) -> Iterator[str]:
        if self.processing_p99_seconds is not None and self.processing_p99_seconds < self.processing_seconds:
            yield (
                f"processing_p99_seconds ({self.processing_p99_seconds!r}) must be >= "
                f"processing_seconds ({self.processing_seconds!r})"
            )

    def check_interval_whole_minutes(self) -> Iterator[str]:
        if self.interval_seconds is not None and self.interval_seconds % 60:
            yield (
                f"interval_seconds {self.interval_seconds!r} is not a whole number of minutes; EventBridge "
                f"Scheduler runs rate(N minutes): use {self.interval_seconds // 60 * 60 or 60} or "
                f"{(self.interval_seconds // 60 + 1) * 60}"
            )

    def check_scheduled_fields(self) -> Iterator[str]:
        if self.mode is ConsumerMode.scheduled:
            missing = [f for f in ("interval_seconds", "batch_limit") if not given(self, f)]
            if missing:
                yield f"mode scheduled needs {' and '.join(missing)}"
        else:
            extra = [f for f in ("interval_seconds", "batch_limit") if given(self, f)]
            if extra:
                yield f"{' and '.join(extra)} only apply to mode scheduled (mode is service)"

    @property
    def p99_seconds(self) -> float:
        """The p99 processing time, defaulting to twice the mean."""
        return self.processing_p99_seconds or 2 * self.processing_seconds


class Objective(Section):
    max_age_seconds: ObjectiveSeconds
    """The latency objective: the oldest waiting message should never be older than this."""
    drain_backlog_within_hours: Number = Field(default=24.0, ge=limits.MIN_DRAIN_HOURS, le=24 * 14)
    """Hours allowed to drain backlog_messages while new traffic keeps arriving. Default: 24."""


class Sink(Section):
    name: str = Field(min_length=1)
    """What the consumers write to (for messages: "Tinybird Events API")."""
    requests_per_second: Number | None = Field(
        default=None, ge=limits.MIN_SINK_REQUESTS_PER_SECOND, le=limits.MAX_SINK_REQUESTS_PER_SECOND
    )
    """Request rate the sink accepts (its quota)."""
    messages_per_request: Count = Field(default=1, ge=1, le=limits.MAX_SINK_MESSAGES_PER_REQUEST)
    """Messages the consumer packs into one sink request. Default: 1."""
    bytes_per_second: Number | None = Field(
        default=None, ge=limits.MIN_SINK_BYTES_PER_SECOND, le=limits.MAX_SINK_BYTES_PER_SECOND
    )
    """Bytes per second the sink accepts."""
    max_request_bytes: Count | None = Field(default=None, gt=0, le=limits.MAX_SINK_REQUEST_BYTES)
    """Largest request the sink accepts, in bytes."""
    max_connections: Count | None = Field(default=None, ge=1, le=limits.MAX_SINK_CONNECTIONS)
    """Connections the sink allows in all (a database's max_connections)."""
    connections_per_slot: Number = Field(
        default=1.0, ge=limits.MIN_CONNECTIONS_PER_SLOT, le=limits.MAX_CONNECTIONS_PER_SLOT
    )
    """Connections one in-flight message holds. Default: 1."""


class Retries(Section):
    max_receives: Count = Field(
        default=limits.DEFAULT_MAX_RECEIVES,
        ge=limits.SQS_MIN_MAX_RECEIVE_COUNT,
        le=limits.SQS_MAX_MAX_RECEIVE_COUNT,
    )
    """Deliveries before a message moves to the dead-letter queue (1-1000). Default: 5."""


class Cache(Section):
    pool_size_per_task: Count = Field(default=10, ge=1, le=10_000)
    """Redis connections each consumer task opens (its pool size). Default: 10."""
    producer_connections: Count = Field(default=0, ge=0, le=limits.ELASTICACHE_MAX_CONNECTIONS_PER_NODE)
    """Connections the producers hold in all. Default: 0."""
    max_clients: Count = Field(
        default=limits.ELASTICACHE_MAX_CONNECTIONS_PER_NODE,
        ge=1,
        le=limits.ELASTICACHE_MAX_CONNECTIONS_PER_NODE,
    )
    """Connection budget of the server (ElastiCache: up to 65,000). Default: 65000."""
    item_overhead_bytes: Count = Field(default=100, ge=0, le=limits.SQS_MAX_MESSAGE_BYTES)
    """Memory Redis spends per queued item beyond the message (sorted-set entry). Default: 100."""


class Priority(Section):
    name: str = Field(pattern=r"^[a-z][a-z0-9]{0,9}$")
    """Level name, used in resource names (lowercase, up to 10 characters)."""
    share: Number = Field(gt=0, le=1)
    """Fraction of the workload's traffic at this level."""
    max_age_seconds: ObjectiveSeconds
    """This level's own latency objective."""


class Autoscaling(Section):
    """How a service fleet scales beyond the plan's target tracking and scheduled floors."""

    predictive: Literal["forecast_only", "forecast_and_scale"] | None = None
    """Add Application Auto Scaling's predictive scaling, forecasting each hour's tasks from the queue's last 14 days: `forecast_only` (forecasts, no scaling) or `forecast_and_scale`. Default: none."""
    scheduling_buffer_seconds: Count = Field(default=limits.PREDICTIVE_DEFAULT_SCHEDULING_BUFFER_SECONDS, ge=0,
                                             le=limits.PREDICTIVE_MAX_SCHEDULING_BUFFER_SECONDS)
    """With predictive: seconds before each forecast hour its tasks are launched (0-3600). Default: 240."""


class Overrides(Section):
    """Derived values set by hand. The plan uses them and reports any objective they break."""

    min_capacity: Count | None = Field(default=None, ge=0, le=limits.ECS_MAX_TASKS_PER_SERVICE)
    max_capacity: Count | None = Field(default=None, ge=1, le=limits.ECS_MAX_TASKS_PER_SERVICE)
    target_backlog_per_task: Number | None = Field(default=None, gt=0, le=limits.MAX_OVERRIDE_MESSAGES)
    scale_out_cooldown_seconds: Count | None = Field(default=None, ge=0, le=3_600)
    scale_in_cooldown_seconds: Count | None = Field(default=None, ge=0, le=3_600)
    visibility_timeout_seconds: Count | None = Field(default=None, ge=0, le=limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS)
    retention_seconds: Count | None = Field(
        default=None, ge=limits.SQS_MIN_RETENTION_SECONDS, le=limits.SQS_MAX_RETENTION_SECONDS
    )
    dlq_retention_seconds: Count | None = Field(
        default=None, ge=limits.SQS_MIN_RETENTION_SECONDS, le=limits.SQS_MAX_RETENTION_SECONDS
    )
    max_receive_count: Count | None = Field(
        default=None, ge=limits.SQS_MIN_MAX_RECEIVE_COUNT, le=limits.SQS_MAX_MAX_RECEIVE_COUNT
    )
    alarm_age_seconds: Count | None = Field(default=None, gt=0, le=limits.MAX_OBJECTIVE_SECONDS)
    alarm_saturation_messages: Count | None = Field(default=None, gt=0, le=limits.MAX_OVERRIDE_MESSAGES)
    shards: Count | None = Field(default=None, ge=1, le=limits.CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT)
    batch_size: Count | None = Field(default=None, ge=1, le=limits.CLOUDFLARE_MAX_BATCH_SIZE)
    max_wait_time_ms: Count | None = Field(default=None, ge=0, le=limits.CLOUDFLARE_MAX_WAIT_TIME_MS)
    max_concurrency: Count | None = Field(default=None, ge=1, le=limits.MAX_OVERRIDE_MESSAGES)
    cache_node_type: str | None = None
    batch_limit: Count | None = Field(default=None, ge=1, le=limits.MAX_OVERRIDE_MESSAGES)

    def check_capacity_order(self) -> Iterator[str]:
        if self.min_capacity is not None and self.max_capacity is not None and self.max_capacity < self.min_capacity:
            yield f"max_capacity ({self.max_capacity}) must be >= min_capacity ({self.min_capacity})"

    def check_cache_node_type(self) -> Iterator[str]:
        if self.cache_node_type is not None and self.cache_node_type not in limits.ELASTICACHE_NODE_MEMORY_GIB:
            yield (
                f"cache_node_type {self.cache_node_type!r} is not one qcap knows; allowed: "
                f"{', '.join(limits.ELASTICACHE_NODE_MEMORY_GIB)}"
            )
