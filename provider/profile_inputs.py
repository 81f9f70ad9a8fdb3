"""The capacity profile as typed component inputs: one TypedDict per profile section.

Field names, requiredness and descriptions are the profile models' own (capacity/profile.py,
capacity/profile_sections.py); tests/test_provider_profile_inputs.py keeps them equal. Every
value is checked by the profile's validation, not here, so a component reports the same
problems `qcap plan` does. No `from __future__ import annotations`: the schema inference
reads these annotations as objects.
"""

from enum import Enum
from typing import NotRequired, TypedDict

from capacity.contract import Broker, ConsumerMode, Environment

__all__ = [
    "Alerts", "Architecture", "Autoscaling", "Broker", "Cache", "Consumer", "ConsumerMode", "DailyShape", "Environment", "Objective",
    "Overrides", "PredictiveMode", "Priority", "Profile", "Retries", "Sink", "Traffic", "Workload",
]


class Architecture(Enum):
    """CPU architecture of the consumer task."""

    x86_64 = "x86_64"
    """Intel or AMD (the default)."""
    arm64 = "arm64"
    """Graviton: about 20% cheaper per vCPU-hour."""


class Alerts(TypedDict):
    """Where the stack's alarms go."""

    emails: NotRequired[list[str]]
    """Addresses subscribed to the stack's alarm topic."""


class DailyShape(TypedDict):
    """How the day's traffic is shaped: one multiplier of the daily average per hour, in a time zone."""

    hourly_multipliers: list[float]
    ("24 numbers, hour 0 (local midnight to 1 am) first, each hour's rate against the others; they are rescaled\n"
     "to average exactly 1, so each becomes that hour's multiple of messages_per_day's average rate.")
    time_zone: NotRequired[str]
    """IANA time zone the hours are in (also the scheduled actions' time zone), e.g. Europe/London. Default: UTC."""


class Traffic(TypedDict):
    """What arrives: rates, peak, trough, message size and backlog."""

    messages_per_day: float
    """Messages arriving per day on average."""
    peak_messages_per_second: NotRequired[float]
    """Highest sustained arrival rate (a few minutes or more). Give this or peak_to_average."""
    peak_to_average: NotRequired[float]
    """Peak rate as a multiple of the daily average. Give this or peak_messages_per_second."""
    trough_to_average: NotRequired[float]
    """Quietest rate as a fraction of the average (0 = nights with no traffic). Default: 1."""
    message_bytes: int
    """Typical message size in bytes, body plus attributes."""
    backlog_messages: NotRequired[int]
    """Messages already waiting that the fleet must drain. Default: 0."""
    daily_shape: NotRequired[DailyShape]
    """The day's shape by hour; lets the plan schedule min capacity for tight objectives. Default: none."""


class Consumer(TypedDict):
    """Who processes the messages: per-message time, concurrency, task size and mode."""

    mode: NotRequired[ConsumerMode]
    """`service`: long-running tasks that autoscale; `scheduled`: a task started every interval. Default: service."""
    processing_seconds: float
    """Mean seconds to process one message (for `broker: cloudflare`, one batch: a consumer invocation)."""
    processing_p99_seconds: NotRequired[float]
    """99th percentile of the same; when left out, 2 x processing_seconds."""
    concurrency_per_task: NotRequired[int]
    """Messages one task processes at the same time. Default: 1."""
    receive_batch: NotRequired[int]
    """Messages per receive call (SQS: 1-10; Cloudflare: the largest batch to allow, 1-100). Default: 10."""
    task_cpu: NotRequired[int]
    """Fargate CPU units per task: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256."""
    task_memory_mib: NotRequired[int]
    """Fargate memory per task in MiB; must be a valid pair with task_cpu. Default: 512."""
    architecture: NotRequired[Architecture]
    """CPU architecture of the task (ARM is about 20% cheaper). Default: x86_64."""
    image: NotRequired[str]
    """Container image of the consumer (AWS brokers). Required there."""
    script_name: NotRequired[str]
    """Name of the consumer Worker script (`broker: cloudflare`). Required there."""
    interval_seconds: NotRequired[int]
    """Scheduled mode: seconds between runs (EventBridge Scheduler's finest rate is 1 minute)."""
    batch_limit: NotRequired[int]
    """Scheduled mode: most messages one run takes."""
    receive_overhead_seconds: NotRequired[float]
    ("Seconds a slot waits for its next message after finishing one (receive round trips); the per-task rate is "
     "concurrency / (processing + this). Default: from the broker's request latency (docs/plan.md); measure yours "
     "with benchmarks/bench_worker.py.")
    current_tasks: NotRequired[int]
    """Tasks running today, if any: the plan says whether they keep up and drain the backlog."""


class Objective(TypedDict):
    """What the workload must achieve: the age of the oldest message and the backlog drain time."""

    max_age_seconds: float
    """The latency objective: the oldest waiting message should never be older than this."""
    drain_backlog_within_hours: NotRequired[float]
    """Hours allowed to drain backlog_messages while new traffic keeps arriving. Default: 24."""


class Sink(TypedDict):
    """The downstream system the consumers write to, and its limits."""

    name: str
    """What the consumers write to (for messages: \"Tinybird Events API\")."""
    requests_per_second: NotRequired[float]
    """Request rate the sink accepts (its quota)."""
    messages_per_request: NotRequired[int]
    """Messages the consumer packs into one sink request. Default: 1."""
    bytes_per_second: NotRequired[float]
    """Bytes per second the sink accepts."""
    max_request_bytes: NotRequired[int]
    """Largest request the sink accepts, in bytes."""
    max_connections: NotRequired[int]
    """Connections the sink allows in all (a database's max_connections)."""
    connections_per_slot: NotRequired[float]
    """Connections one in-flight message holds. Default: 1."""


class Retries(TypedDict):
    """The retry budget before the dead-letter queue."""

    max_receives: NotRequired[int]
    """Deliveries before a message moves to the dead-letter queue (1-1000). Default: 5."""


class Cache(TypedDict):
    """Redis connection and memory settings (broker redis only)."""

    pool_size_per_task: NotRequired[int]
    """Redis connections each consumer task opens (its pool size). Default: 10."""
    producer_connections: NotRequired[int]
    """Connections the producers hold in all. Default: 0."""
    max_clients: NotRequired[int]
    """Connection budget of the server (ElastiCache: up to 65,000). Default: 65000."""
    item_overhead_bytes: NotRequired[int]
    """Memory Redis spends per queued item beyond the message (sorted-set entry). Default: 100."""


class Priority(TypedDict):
    """A priority level: a queue of its own with its share of the traffic and its own objective."""

    name: str
    """Level name, used in resource names (lowercase, up to 10 characters)."""
    share: float
    """Fraction of the workload's traffic at this level."""
    max_age_seconds: float
    """This level's own latency objective."""


class PredictiveMode(Enum):
    """What Application Auto Scaling's predictive scaling does with its forecast."""

    forecast_only = "forecast_only"
    """Forecasts each hour's tasks, scales nothing (to compare with the plan first)."""
    forecast_and_scale = "forecast_and_scale"
    """Launches the forecast hour's tasks ahead of it, beside target tracking."""


class Autoscaling(TypedDict):
    """How a service fleet scales beyond the plan's target tracking and scheduled floors."""

    predictive: NotRequired[PredictiveMode]
    """Add Application Auto Scaling's predictive scaling, forecasting each hour's tasks from the queue's last 14 days: `forecast_only` (forecasts, no scaling) or `forecast_and_scale`. Default: none."""
    scheduling_buffer_seconds: NotRequired[int]
    """With predictive: seconds before each forecast hour its tasks are launched (0-3600). Default: 240."""


class Overrides(TypedDict):
    """Derived values set by hand. The plan uses them and reports any objective they break."""

    min_capacity: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    max_capacity: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    target_backlog_per_task: NotRequired[float]
    """Set this derived value by hand (see the plan's field of the same name)."""
    scale_out_cooldown_seconds: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    scale_in_cooldown_seconds: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    visibility_timeout_seconds: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    retention_seconds: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    dlq_retention_seconds: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    max_receive_count: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    alarm_age_seconds: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    alarm_saturation_messages: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    shards: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    batch_size: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    max_wait_time_ms: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    max_concurrency: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""
    cache_node_type: NotRequired[str]
    """Set this derived value by hand (see the plan's field of the same name)."""
    batch_limit: NotRequired[int]
    """Set this derived value by hand (see the plan's field of the same name)."""


class Workload(TypedDict):
    """One queue workload: what arrives, who processes it and what it must achieve."""

    name: str
    """Workload name: lowercase letters, digits and hyphens, starting with a letter, up to 40."""
    broker: Broker
    """sqs, sqs-fifo, cloudflare or redis."""
    traffic: Traffic
    """What arrives: rates, peak, trough, message size, backlog."""
    consumer: Consumer
    """Who processes it: per-message time, concurrency, task size, mode."""
    objective: Objective
    """What it must achieve: the age of the oldest message, the backlog drain time."""
    sink: NotRequired[Sink]
    """The downstream system's limits (rate, bandwidth, request size, connections), if any."""
    retries: NotRequired[Retries]
    """The retry budget before the dead-letter queue."""
    cache: NotRequired[Cache]
    """Redis connection and memory settings; only for `broker: redis`."""
    partitions: NotRequired[int]
    """Queues sharing the traffic by a hash of a key (each with its own consumers). Default: 1."""
    priorities: NotRequired[list[Priority]]
    """Named levels, each a queue with its own share of traffic and objective."""
    autoscaling: NotRequired[Autoscaling]
    """Predictive scaling on top of target tracking (service fleets on ECS)."""
    overrides: NotRequired[Overrides]
    """Derived values set by hand (min/max workers, target, cooldowns, retention); applied to every lane."""


class Profile(TypedDict):
    """A capacity profile, as in stacks/<stack>.yaml: the environment, where alarms go, and the workloads."""

    environment: Environment
    """dev, staging or prod: prod protects queues, enables cache failover, forbids single retries."""
    alerts: NotRequired[Alerts]
    """Where alarms go."""
    workloads: list[Workload]
    """The queues of this stack, each planned and provisioned on its own."""
