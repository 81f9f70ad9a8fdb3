"""Every service limit, behaviour and price the planner, simulator and policies rely on.

One named constant each, with its source in the comment beside it. A limit that changes is
changed here, once; a rule and the planner that agree on a limit both read it from this module.
"""

from __future__ import annotations

# --- Amazon SQS ------------------------------------------------------------------------

# SQS quotas-messages; AWS What's New 2025-08 (raised from 256 KiB). pulumi-aws still
# defaults `max_message_size` to 262,144, so components set it explicitly.
SQS_MAX_MESSAGE_BYTES = 1_048_576
# SQS SetQueueAttributes MaximumMessageSize: from 1,024 bytes.
SQS_MIN_MAX_MESSAGE_BYTES = 1_024
PULUMI_AWS_DEFAULT_MAX_MESSAGE_BYTES = 262_144
# SQS API reference, ReceiveMessage: MaxNumberOfMessages 1-10, WaitTimeSeconds 0-20.
SQS_MAX_RECEIVE_BATCH = 10
SQS_MAX_RECEIVE_WAIT_SECONDS = 20
# SQS API reference, SendMessageBatch / DeleteMessageBatch: 10 entries, 1 MiB in all.
SQS_MAX_BATCH_ENTRIES = 10
# SQS API reference, SetQueueAttributes MessageRetentionPeriod: 60 s to 14 days, 4 days default.
SQS_MIN_RETENTION_SECONDS = 60
SQS_DEFAULT_RETENTION_SECONDS = 345_600
SQS_MAX_RETENTION_SECONDS = 1_209_600
# SQS API reference, VisibilityTimeout: 0 to 43,200 s (12 h), default 30.
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200
SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30
# SQS API reference, DelaySeconds: 0-900.
SQS_MAX_DELAY_SECONDS = 900
# SQS quotas-queues: about 120,000 in-flight messages per standard queue (FIFO: same order).
SQS_MAX_IN_FLIGHT_MESSAGES = 120_000
# SQS quotas-fifo: 300 API calls/s per action; 3,000 msg/s with batches of 10;
# high-throughput mode up to 70,000 transactions/s in the largest regions.
SQS_FIFO_API_CALLS_PER_SECOND = 300
SQS_FIFO_MESSAGES_PER_SECOND_BATCHED = 3_000
SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND = 70_000
# Our choice: producers are taken to send one message per SendMessage call. Nothing in a
# profile says they batch, and the cost (costs.sqs_requests_per_month) counts one send per
# message, so FIFO's 300 calls/s is judged against the peak in messages/s.
SQS_FIFO_PRODUCER_MESSAGES_PER_SEND = 1
# SQS RedrivePolicy maxReceiveCount: 1-1,000 (SQS dead-letter queue docs).
SQS_MIN_MAX_RECEIVE_COUNT = 1
SQS_MAX_MAX_RECEIVE_COUNT = 1_000
# SQS monitoring with CloudWatch: metrics every 1 min while the queue is active.
SQS_METRIC_PERIOD_SECONDS = 60
# SQS pricing (third-party copy): $0.40 per million requests standard, $0.50 FIFO;
# every 64 KB chunk of a payload is billed as one request.
SQS_STANDARD_USD_PER_MILLION_REQUESTS = 0.40
SQS_FIFO_USD_PER_MILLION_REQUESTS = 0.50
SQS_BILLING_CHUNK_BYTES = 65_536
# SQS Developer Guide, "Increasing throughput using horizontal scaling and action batching":
# from an EC2 client in the same Region a request takes "around 20 ms" on average. A worker
# that receives only into free slots pays it once per message (capacity/plan/receiving.py).
SQS_REQUEST_LATENCY_SECONDS = 0.020

# --- Application Auto Scaling (ECS) and Fargate ----------------------------------------

# Target tracking alarms (reported: aws-cdk #34472, copilot-cli #4233): scale out after 3
# of 3 one-minute datapoints above target, scale in after 15 of 15 below about 90% of it.
TARGET_TRACKING_SCALE_OUT_DATAPOINTS = 3
TARGET_TRACKING_SCALE_IN_DATAPOINTS = 15
TARGET_TRACKING_SCALE_IN_FRACTION = 0.9
TARGET_TRACKING_DATAPOINT_SECONDS = 60
# A scale-in band wider than target tracking's own (capacity/scale_in_band.py): the policy's
# scale-in is disabled (DisableScaleIn, Application Auto Scaling API reference) and a step policy
# scales in while its alarm holds 15 of 15 one-minute datapoints below this fraction of the
# target, in SCALE_IN_BAND_INTERVALS percent steps, at least one task (MinAdjustmentMagnitude).
# CloudWatch invokes an Auto Scaling action once a minute while its alarm stays in ALARM
# (CloudWatch User Guide, "Alarm actions"); the step policy's cooldown spaces the steps, and target
# tracking does not block its scale-in (PutScalingPolicy API reference: with both policy kinds, "the
# scale-in activity will not be blocked"). The
# planner tries these fractions, highest (cheapest) first, where the metric's noise would flap
# target tracking's own 90% band. Our choice.
SCALE_IN_BAND_FRACTIONS = (0.8, 0.7, 0.6, 0.5)
SCALE_IN_BAND_INTERVALS = 10
SCALE_IN_MIN_ADJUSTMENT_TASKS = 1
# Application Auto Scaling API: default cooldowns for ECS, 300 s out and in.
ECS_DEFAULT_SCALE_OUT_COOLDOWN_SECONDS = 300
ECS_DEFAULT_SCALE_IN_COOLDOWN_SECONDS = 300
# ECS service quotas: tasks per service.
ECS_MAX_TASKS_PER_SERVICE = 5_000
# ECS throttling: 500 Fargate task launches per service per minute.
FARGATE_MAX_LAUNCHES_PER_SERVICE_PER_MINUTE = 500
# ECS container definition stopTimeout: at most 120 s on Fargate.
FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120
# Reported: no official figure; 30-90 s is typical for small images. We plan with 60 s.
TASK_START_SECONDS = 60
# Reported: CloudWatch publishes a minute's SQS datapoint about a minute after it ends.
CLOUDWATCH_METRIC_DELAY_SECONDS = 60

# ECS RegisterTaskDefinition: Fargate CPU units -> allowed memory (MiB).
FARGATE_MEMORY_MIB_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
FARGATE_CPU_UNITS_PER_VCPU = 1024

# Fargate price, us-east-1 (third-party copies of the price page), per hour.
FARGATE_X86_USD_PER_VCPU_HOUR = 0.04048
FARGATE_X86_USD_PER_GB_HOUR = 0.004445
FARGATE_ARM_USD_PER_VCPU_HOUR = 0.03238
FARGATE_ARM_USD_PER_GB_HOUR = 0.00356

# --- CloudWatch alarms -----------------------------------------------------------------

# PutMetricAlarm: period 10/20/30 s or a multiple of 60; period x evaluations <= 1 day
# when the period is under an hour.
CLOUDWATCH_ALARM_PERIOD_SECONDS = 60
CLOUDWATCH_MAX_ALARM_WINDOW_SECONDS = 86_400
# PutMetricAlarm TreatMissingData values.
CLOUDWATCH_TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
# CloudWatch alarm limits: metric math with <= 10 metrics, exactly one ReturnData.
CLOUDWATCH_MAX_METRICS_PER_ALARM = 10
# Third-party copy of CloudWatch pricing: $0.10 per standard alarm-month.
CLOUDWATCH_USD_PER_ALARM_MONTH = 0.10

# --- ElastiCache (Redis OSS / Valkey) --------------------------------------------------

# ElastiCache best practices, connections: up to 65,000 per node.
ELASTICACHE_MAX_CONNECTIONS_PER_NODE = 65_000
# ElastiCache memory management: reserved-memory-percent 25% by default.
ELASTICACHE_RESERVED_MEMORY_FRACTION = 0.25
# CreateReplicationGroup: AUTH token 16-128 printable characters, needs transit encryption.
ELASTICACHE_AUTH_TOKEN_MIN_CHARS = 16
ELASTICACHE_AUTH_TOKEN_MAX_CHARS = 128
# CreateReplicationGroup: automatic failover needs >= 2 cache clusters; at most 6.
ELASTICACHE_MIN_NODES_FOR_FAILOVER = 2
ELASTICACHE_MAX_NODES_PER_SHARD = 6
# Node memory in GiB (third-party table; about 75% usable after the reserve).
ELASTICACHE_NODE_MEMORY_GIB: dict[str, float] = {
    "cache.t4g.micro": 0.5,
    "cache.t4g.small": 1.37,
    "cache.t4g.medium": 3.09,
    "cache.m7g.large": 6.38,
    "cache.r7g.large": 13.07,
}
# On-demand node price, Redis OSS, us-east-1 (AWS ElastiCache pricing page as read in
# 2026: check the page for your region before trusting a cost).
ELASTICACHE_NODE_USD_PER_HOUR: dict[str, float] = {
    "cache.t4g.micro": 0.016,
    "cache.t4g.small": 0.032,
    "cache.t4g.medium": 0.065,
    "cache.m7g.large": 0.158,
    "cache.r7g.large": 0.219,
}
# redis-benchmark reference: LPUSH ~79k ops/s without pipelining. The
# planner warns when a workload needs more than this from one primary.
REDIS_OPS_PER_SECOND_NO_PIPELINE = 74_000
# Operations one queued item costs a sorted-set queue: add, pop, ack/remove.
REDIS_OPS_PER_MESSAGE = 3

# --- Cloudflare Queues -----------------------------------------------------------------

# Cloudflare Queues limits.
CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT = 10_000
CLOUDFLARE_MAX_MESSAGE_BYTES = 128_000
CLOUDFLARE_MAX_MESSAGES_PER_SECOND_PER_QUEUE = 5_000
CLOUDFLARE_MAX_BATCH_SIZE = 100
CLOUDFLARE_MAX_WAIT_TIME_MS = 60_000
CLOUDFLARE_MAX_SEND_BATCH_MESSAGES = 100
CLOUDFLARE_MAX_SEND_BATCH_BYTES = 256_000
CLOUDFLARE_MAX_CONSUMER_CONCURRENCY = 250
CLOUDFLARE_MAX_CONSUMER_WALL_SECONDS = 900
CLOUDFLARE_MIN_RETENTION_SECONDS = 60
CLOUDFLARE_DEFAULT_RETENTION_SECONDS = 345_600
CLOUDFLARE_MAX_RETENTION_SECONDS = 1_209_600
CLOUDFLARE_MAX_BACKLOG_BYTES = 25_000_000_000
CLOUDFLARE_MAX_RETRIES = 100
# Cloudflare Queues limits page (https://developers.cloudflare.com/queues/platform/limits/),
# "Maximum delay for a message (delivery delay or retry delay)": 12 hours. It was 24 h here,
# which let the retry-delay guard accept values the API refuses.
CLOUDFLARE_MAX_DELIVERY_DELAY_SECONDS = 43_200
# Queues pricing: one operation per 64 KB written, read or deleted (about 3 per
# message); $0.40 per million operations after 1 million a month.
CLOUDFLARE_OPERATIONS_PER_MESSAGE = 3
CLOUDFLARE_BILLING_CHUNK_BYTES = 64_000
CLOUDFLARE_USD_PER_MILLION_OPERATIONS = 0.40
CLOUDFLARE_FREE_OPERATIONS_PER_MONTH = 1_000_000

# --- Downstream sinks of the shipped stacks ---------------------------------------------

TINYBIRD_EVENTS_REQUESTS_PER_SECOND = 100
TINYBIRD_EVENTS_BYTES_PER_SECOND = 20_000_000
TINYBIRD_EVENTS_MAX_REQUEST_BYTES = 10_000_000
WHATSAPP_CLOUD_API_MESSAGES_PER_SECOND = 1_000
SUPABASE_FREE_MAX_CONNECTIONS = 60

# --- Physical names ---------------------------------------------------------------------

# IAM CreateRole: RoleName 1-64 characters (IAM quotas, "Role name"; botocore roleNameType max 64).
IAM_ROLE_NAME_MAX_CHARS = 64
# ElastiCache CreateReplicationGroup: ReplicationGroupId 1-40 characters, a letter first,
# no trailing hyphen and no two hyphens in a row (ElastiCache API reference).
ELASTICACHE_REPLICATION_GROUP_ID_MAX_CHARS = 40
# EventBridge Scheduler CreateSchedule: Name 1-64 characters, [0-9a-zA-Z-_.]+ (Scheduler API reference).
SCHEDULER_SCHEDULE_NAME_MAX_CHARS = 64
# SQS CreateQueue: QueueName up to 80 characters, ".fifo" included (SQS API reference).
SQS_QUEUE_NAME_MAX_CHARS = 80
# SQS CreateQueue: a FIFO queue's name must end in ".fifo" (SQS API reference, FifoQueue).
SQS_FIFO_QUEUE_SUFFIX = ".fifo"
# CloudWatch PutMetricAlarm: AlarmName 1-255 characters (CloudWatch API reference).
CLOUDWATCH_ALARM_NAME_MAX_CHARS = 255
# CloudWatch Logs CreateLogGroup: logGroupName 1-512 characters (CloudWatch Logs API reference).
LOG_GROUP_NAME_MAX_CHARS = 512
# Pulumi autonaming: a resource without an explicit name gets "<logical name>-" plus 7 random
# hex characters (Pulumi docs, "Resource names: autonaming"), 8 characters in all.
PULUMI_AUTONAME_SUFFIX_CHARS = 8
# A name cut to fit its limit ends in "-" and this many hex characters of the SHA-256 of the
# full name, so two names that differ only after the cut stay distinct. Our choice.
NAME_HASH_CHARS = 6

# --- Planning policy (our choices, not vendor limits; each says why) ------------------

# Plan the fleet for 80% utilisation at peak so a burst has room before the age objective slips.
TARGET_UTILIZATION = 0.8
# `qcap doctor`: tasks are surely busy when the backlog per task passes their slots plus this
# share of the objective's work (the old backlog-per-task target, which had no resting point
# as an autoscaling target; the resting-point target replaced it there).
BACKLOG_TARGET_HEADROOM = 0.5
# Cloudflare: shard so each queue runs at 80% of its ingest cap at peak.
CLOUDFLARE_SHARD_UTILIZATION = 0.8
# Visibility timeout is at least twice the worst receive-to-delete time, never under 30 s.
VISIBILITY_TIMEOUT_SAFETY_FACTOR = 2.0
MIN_VISIBILITY_TIMEOUT_SECONDS = 30
# Retention covers the longest wait (drain time plus the age objective) with 20% margin,
# and never less than SQS's 4-day default so an outage over a weekend loses nothing.
RETENTION_MARGIN = 1.2
MIN_PLANNED_RETENTION_SECONDS = SQS_DEFAULT_RETENTION_SECONDS
# Dead-letter queues keep messages as long as the service allows.
DLQ_RETENTION_SECONDS = SQS_MAX_RETENTION_SECONDS
# Retry budget when the profile gives none.
DEFAULT_MAX_RECEIVES = 5
# Scale to zero only when the objective is at least this many times the cold start.
SCALE_TO_ZERO_OBJECTIVE_MARGIN = 2.0
# Alarm windows (docs/aws-components.md).
AGE_ALARM_EVALUATION_MINUTES = 3
SATURATION_ALARM_MINUTES = 15
MAX_TASKS_ALARM_MINUTES = 30
# The tasks-at-max alarm also needs the oldest message past this fraction of the objective: a fleet at its
# ceiling that still keeps messages young is draining a spike as planned, one whose backlog ages is falling
# behind before the age alarm says so (measured on 60 generated profiles: 5 of 119 design runs that held sat
# at max for 32-45 minutes, their oldest message peaking at 14-96% of the objective; in none was it past
# half the objective for 30 of those minutes).
MAX_TASKS_ALARM_AGE_FRACTION = 0.5
STALLED_ALARM_MINUTES = 15
# Scheduled consumer: a run should use at most half its interval (seed 002's rule of thumb
# is under a fifth); at p99 it must still end before the next run starts.
SCHEDULED_MAX_RUN_FRACTION_OF_INTERVAL = 0.5
# EventBridge Scheduler rate expressions: rate(N minutes), at least 1 minute; qcap runs a
# scheduled consumer at least once a day (the profile's interval_seconds bounds).
SCHEDULER_RATE_STEP_SECONDS = 60
SCHEDULED_MIN_INTERVAL_SECONDS = SCHEDULER_RATE_STEP_SECONDS
SCHEDULED_MAX_INTERVAL_SECONDS = 86_400
# Our choice: a workload splits into at most 100 partitions (the profile's `partitions` bound).
MAX_PARTITIONS = 100
# Hours in a billing month (365 x 24 / 12).
HOURS_PER_MONTH = 730
SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
SECONDS_PER_MINUTE = 60
# Redis cache alarms: CPU and memory warning levels (ElastiCache monitoring best practices).
REDIS_CPU_ALARM_PERCENT = 80
REDIS_MEMORY_ALARM_PERCENT = 80
REDIS_CONNECTIONS_ALARM_FRACTION = 0.8
# Log retention for consumer logs, days (CloudWatch Logs allowed values include 30 and 365):
# a month outside prod; a year in prod, what checkov CKV_AWS_338 asks for audits. Our choice.
LOG_RETENTION_DAYS = 30
LOG_RETENTION_DAYS_PROD = 365
# Scale-out cooldown: one minute lets a second step follow while the backlog still grows;
# target tracking's 3-datapoint alarm already debounces. Scale-in keeps ECS's 300 s.
PLANNED_SCALE_OUT_COOLDOWN_SECONDS = 60
PLANNED_SCALE_IN_COOLDOWN_SECONDS = ECS_DEFAULT_SCALE_IN_COOLDOWN_SECONDS
# Source queues keep at most 13 days so the 14-day dead-letter queue always outlives them
# (a standard queue keeps the original enqueue time when it dead-letters a message).
MAX_SOURCE_RETENTION_SECONDS = SQS_MAX_RETENTION_SECONDS - SECONDS_PER_DAY
# Cloudflare consumers: wait this long before retrying a failed batch, so a sink answering
# 429 with Retry-After (Tinybird does) gets room to recover. Our choice.
CLOUDFLARE_RETRY_DELAY_SECONDS = 10
# Alarms qcap creates per SQS queue: age of oldest, DLQ depth, saturation, tasks at max,
# stalled consumers; and per Redis cache: CPU, memory, evictions, connections.
ALARMS_PER_QUEUE = 5
ALARMS_PER_CACHE = 4
# Long polling: a receive waits up to 20 s, so an idle task makes 3 receive calls a minute.
IDLE_RECEIVES_PER_TASK_PER_MINUTE = 60 // SQS_MAX_RECEIVE_WAIT_SECONDS

# --- Live checks, load generator and redrive (qcap doctor / load / redrive) -----------

# SQS API reference, SendMessageBatch / DeleteMessageBatch: the whole batch at most 1 MiB.
SQS_MAX_BATCH_BYTES = 1_048_576
# SQS API reference, StartMessageMoveTask: MaxNumberOfMessagesPerSecond at most 500;
# one active move task per queue.
SQS_MAX_MOVE_TASK_MESSAGES_PER_SECOND = 500
# CloudWatch metric retention: one-minute datapoints are kept 15 days.
CLOUDWATCH_ONE_MINUTE_RETENTION_SECONDS = 15 * SECONDS_PER_DAY
# CloudWatch concepts, "Metrics retention": 5-minute datapoints are kept 63 days, one-hour datapoints 455 days
# (15 months); older data is only there rolled up to the coarser period.
CLOUDWATCH_FIVE_MINUTE_RETENTION_SECONDS = 63 * SECONDS_PER_DAY
CLOUDWATCH_ONE_HOUR_RETENTION_SECONDS = 455 * SECONDS_PER_DAY
# CloudWatch GetMetricData: at most 100,800 datapoints per call (the API pages past that).
CLOUDWATCH_MAX_DATAPOINTS_PER_GET_METRIC_DATA = 100_800
# Our choices for `qcap doctor` verdicts:
# a rate whose second half of the window differs from the first by more than 10% is a trend;
DOCTOR_TREND_TOLERANCE = 0.10
# warn when the oldest message's wait reaches 80% of the age objective or of retention;
DOCTOR_WARN_FRACTION = 0.8
# warn when tasks deliver less than half the rate the plan expects of them while busy.
DOCTOR_MIN_DELIVERY_FRACTION = 0.5
# Attempts per AWS call (first try included) in botocore's adaptive retry mode. Four tries
# of a 4 s read plus backoff (about 1 + 2 + 4 s) keep an endpoint that never answers under
# 30 s for an interactive command (botocore's own defaults: 60 s per try, 5 tries = 301 s).
AWS_MAX_ATTEMPTS = 4
# Our choices: seconds to open a connection and to wait for an answer (botocore: 60 each).
AWS_CONNECT_TIMEOUT_SECONDS = 3
AWS_READ_TIMEOUT_SECONDS = 4
# The most a user may set them to (QCAP_AWS_* or --timeout): 10 minutes, 10 tries.
AWS_MAX_TIMEOUT_SECONDS = 600
AWS_MAX_ATTEMPTS_ALLOWED = 10
# An AWS error message is shown on one line, cut at this many characters.
AWS_MESSAGE_MAX_CHARS = 300

# --- Policies ---------------------------------------------------------------------------

# Retention must cover (drain + age objective) x this; the planner adds its own margin
# (RETENTION_MARGIN) on top, so the policy only insists on the bare requirement. Our choice.
POLICY_RETENTION_MARGIN = 1.0
# Smallest maxReceiveCount allowed in prod: one transient failure must not dead-letter a
# message (capacity/profile.py, Profile.environment: prod "forbids single retries"). Our choice.
POLICY_MIN_PROD_MAX_RECEIVE_COUNT = 2
# Our choice: the deliveries the planner advises in prod when the profile allows only one
# (a transient failure and a retry, plus one more), above the policy's bare minimum.
ADVISED_PROD_MAX_RECEIVES = 3
# ElastiCache snapshots kept in prod, days: at least one day's snapshot so a lost primary
# does not lose the queued items (CreateReplicationGroup SnapshotRetentionLimit, 0 = off).
POLICY_MIN_PROD_SNAPSHOT_RETENTION_DAYS = 1
# How long `qcap preview` waits for the policy pack to print its port, and for each
# Analyzer call (seconds). A healthy pack starts in about a second.
POLICY_PACK_START_TIMEOUT_SECONDS = 30
POLICY_PACK_CALL_TIMEOUT_SECONDS = 30

# --- Simulator --------------------------------------------------------------------------
# The simulator reuses TASK_START_SECONDS, CLOUDWATCH_METRIC_DELAY_SECONDS and the
# TARGET_TRACKING_* constants above; what follows is what only it needs.

# CloudWatch alarm actions docs (and re:Post "autoscaling-policy-cloudwatch-alarm"): an alarm
# re-invokes an Auto Scaling action once a minute for as long as it stays in ALARM.
AUTOSCALING_ACTION_REPEAT_SECONDS = 60
# Our zero-to-one step policy (docs/aws-components.md): one one-minute datapoint of at
# least one visible message sets the service to one task.
ZERO_TO_ONE_VISIBLE_MESSAGES = 1
ZERO_TO_ONE_DATAPOINTS = 1
ZERO_TO_ONE_TASKS = 1
# aws-cdk aws-ecs-patterns QueueProcessingServiceBase: defaultScalingSteps
# [{upper: 0, change: -1}, {lower: 100, change: +1}, {lower: 500, change: +5}] on
# ApproximateNumberOfMessagesVisible, as (lower bound inclusive, upper bound exclusive, change).
CDK_QUEUE_SCALING_STEPS: tuple[tuple[float | None, float | None, int], ...] = (
    (None, 0, -1),
    (100, 500, 1),
    (500, None, 5),
)
# aws-cdk QueueProcessingServiceBase.configureAutoscalingForService: scaleOnCpuUtilization
# with targetUtilizationPercent 50.
CDK_QUEUE_CPU_TARGET_PERCENT = 50
# aws-cdk aws-sqs metricApproximateNumberOfMessagesVisible: "Maximum over 5 minutes"; the
# step alarms of StepScalingPolicy default to evaluationPeriods 1.
CDK_QUEUE_METRIC_PERIOD_SECONDS = 300
CDK_STEP_ALARM_EVALUATION_PERIODS = 1
# aws-cdk StepScalingPolicy sets no cooldown; Application Auto Scaling then applies its ECS
# default (StepScalingPolicyConfiguration Cooldown: 300 s for ECS services).
CDK_STEP_COOLDOWN_SECONDS = ECS_DEFAULT_SCALE_OUT_COOLDOWN_SECONDS
# Our assumption for CDK's CPU policy: a task's CPU is busy in proportion to its busy
# message slots (a CPU-bound worker; an I/O-bound one would read lower and scale less).
SIM_CPU_PERCENT_WHEN_ALL_SLOTS_BUSY = 100
# Scenarios (our choices, documented in docs/simulate.md): the diurnal peak falls at 16:00
# and the trough twelve hours earlier; `qcap simulate --scenario spike` multiplies the
# average by 2 for 30 minutes, starting after a 2-hour warm-up.
DIURNAL_PEAK_HOUR = 16
SPIKE_DEFAULT_MULTIPLIER = 2.0
SPIKE_DEFAULT_MINUTES = 30
SPIKE_WARMUP_SECONDS = 2 * SECONDS_PER_HOUR
# Verification's spike: from the trough straight to the planned peak for an hour.
VERIFY_SPIKE_MINUTES = 60
# Verification's drain when the profile has no backlog: the messages of a one-hour consumer
# outage at the peak rate.
DRAIN_OUTAGE_SECONDS = SECONDS_PER_HOUR
# A queue counts as drained when fewer than one message waits.
EMPTY_QUEUE_MESSAGES = 1.0
# The percentile of the age of the oldest message reported next to its maximum.
AGE_REPORT_PERCENTILE = 99
# Verification tunes the backlog-per-task target over these shares of the age objective
# (the planner uses BACKLOG_TARGET_HEADROOM); more than about 0.9 leaves no time to react.
VERIFY_TARGET_HEADROOMS = (0.25, 0.5, 0.75, 0.9)
# Verification reports a tuned setting only when it saves at least 1% of the task-hours.
VERIFY_MIN_SAVING_FRACTION = 0.01

# --- The reference worker (worker/) ---------------------------------------------------

# ECS container definition stopTimeout: 30 s when unset (SIGTERM, then SIGKILL after it).
ECS_DEFAULT_STOP_TIMEOUT_SECONDS = 30
# ECS task scale-in protection endpoint: ExpiresInMinutes 1 to 2,880 (48 h), 120 when unset.
ECS_TASK_PROTECTION_MIN_MINUTES = 1
ECS_TASK_PROTECTION_MAX_MINUTES = 2_880
# CloudWatch PutMetricData: at most 1,000 metric data items per call (we send a handful).
CLOUDWATCH_PUT_METRIC_MAX_ITEMS = 1_000
# CloudWatch PutMetricData, MetricDatum.Values: at most 150 distinct values (with their Counts) per datum.
CLOUDWATCH_MAX_VALUES_PER_DATUM = 150
# Application Auto Scaling API reference, PredictiveScalingPolicyConfiguration: SchedulingBufferTime is
# 0-3600 s (how far ahead of the forecast hour capacity is launched); the forecast needs 24 h of metric
# history and looks at up to 14 days; modes ForecastOnly and ForecastAndScale.
PREDICTIVE_MAX_SCHEDULING_BUFFER_SECONDS = 3_600
PREDICTIVE_MIN_HISTORY_SECONDS = SECONDS_PER_DAY
PREDICTIVE_FORECAST_HISTORY_DAYS = 14
PREDICTIVE_MODES = {"forecast_only": "ForecastOnly", "forecast_and_scale": "ForecastAndScale"}
# Our default buffer: a task's start and its first metric, twice over (ECS tasks start in about a minute).
PREDICTIVE_DEFAULT_SCHEDULING_BUFFER_SECONDS = 2 * (TASK_START_SECONDS + CLOUDWATCH_METRIC_DELAY_SECONDS)
# Our choices for the worker, documented in docs/workers.md: a failed message comes back
# after 2 s, doubling per receive up to 5 minutes; the visibility heartbeat extends a
# message once half its timeout has passed; scale-in protection is held 60 minutes at a time (renewed
# at half) and dropped after 2 s idle; Redis metrics every 60 s (one datapoint a minute,
# what the alarms read); an empty Redis queue is polled every 0.1 s.
WORKER_RETRY_BACKOFF_SECONDS = 2.0
WORKER_RETRY_BACKOFF_MAX_SECONDS = 300.0
WORKER_HEARTBEAT_FRACTION = 0.5
# The heartbeat looks for messages to extend this often.
WORKER_HEARTBEAT_CHECK_SECONDS = 0.5
WORKER_PROTECTION_MINUTES = 60
WORKER_PROTECTION_IDLE_SECONDS = 2.0
WORKER_METRIC_PERIOD_SECONDS = 60
WORKER_REDIS_EMPTY_POLL_SECONDS = 0.1
# Receivers per SQS worker: one per receive batch of slots, at most 4 polls in parallel.
WORKER_MAX_RECEIVERS = 4
# Our choices for the worker's calls (worker/calls.py, worker/aws.py, worker/redis_client.py).
# SQS answers a call in about 20 ms in-Region (SQS_REQUEST_LATENCY_SECONDS) and Redis in about
# 1 ms, so 1 s to connect and 2 s for an answer are 50-2,000 times what a healthy call takes.
# AWS calls get 3 tries in botocore's standard retry mode, whose backoff before try i + 1 is at
# most min(2^(i-1), 20) s (throttling; 50 ms x 2^(i-1) otherwise): a call fails in at most
# 3 x (1 + 2) + 1 + 2 = 12 s. A call that must land while a message is still leased (delete,
# visibility, extend, Redis ack) gets fewer tries or shorter waits, so that its worst case fits
# in the half of the lease the heartbeat leaves (worker/calls.py fit_timing), but never less
# than 1 s a try for AWS and 0.25 s for Redis (a Redis command answers in about 1 ms).
WORKER_CALL_CONNECT_TIMEOUT_SECONDS = 1.0
WORKER_CALL_READ_TIMEOUT_SECONDS = 2.0
WORKER_AWS_MAX_ATTEMPTS = 3
WORKER_AWS_MAX_BACKOFF_SECONDS = 20.0
WORKER_AWS_MIN_TRY_SECONDS = 1.0
WORKER_REDIS_MIN_TRY_SECONDS = 0.25
# redis-py's ExponentialBackoff between tries: min(cap, base x 2^failures), 3 tries in all.
WORKER_REDIS_MAX_ATTEMPTS = 3
WORKER_REDIS_BACKOFF_BASE_SECONDS = 0.05
WORKER_REDIS_BACKOFF_CAP_SECONDS = 0.5
# A pooled Redis connection idle this long is PINGed before it is used (redis-py's
# health_check_interval), so one the network dropped is replaced before a command is lost on it.
WORKER_REDIS_HEALTH_CHECK_SECONDS = 10
# A broker call that fails or hangs is logged as one line at once, then at most once per
# interval per endpoint and operation with the count since (no traceback per failure).
WORKER_FAULT_LOG_INTERVAL_SECONDS = 30.0
# A call still unanswered this long after it should have answered (its long-poll wait, if any,
# plus one connect and read timeout) is logged as hanging, before botocore gives up on it.
WORKER_CALL_HANG_SECONDS = WORKER_CALL_CONNECT_TIMEOUT_SECONDS + WORKER_CALL_READ_TIMEOUT_SECONDS
# Redis metrics wait in a queue of at most 10 periods (10 minutes at 60 s) for their own
# publishing thread; beyond that the newest is dropped and counted.
WORKER_METRIC_QUEUE_MAX = 10
# An acknowledgement that fails is retried, and its message's lease kept extended, for two
# minutes after the handler finished (a broker restart or failover takes tens of seconds);
# then it is given up and the message is delivered again. Our choice.
WORKER_ACK_RETRY_SECONDS = 120.0
# Shutdown (worker/shutdown.py): the last WORKER_SHUTDOWN_BUDGET_SECONDS of the stop timeout
# (at most half of a short one) are kept for teardown; handlers are waited for until then.
# Measured, benchmarks/bench_shutdown.py (5 runs each, loopback moto and redis-server, ECS
# agent stub, 2 shared cores): releasing 4 unfinished messages, the last deletes and the
# protection release, side by side, took 11-42 ms; the process exit after the stop line
# 9-53 ms (os._exit; the interpreter's own teardown took up to 0.37 s). Our budget: 1 s, of
# which the last WORKER_EXIT_SECONDS are for the exit and every teardown step is cut off
# before them; the protection release PUT gets at most 0.5 s (the agent is local and answers
# in milliseconds). The plan's stop timeout must add this budget to the longest batch.
WORKER_SHUTDOWN_BUDGET_SECONDS = 1.0
WORKER_SHUTDOWN_MAX_BUDGET_FRACTION = 0.5
WORKER_EXIT_SECONDS = 0.25
WORKER_PROTECTION_RELEASE_TIMEOUT_SECONDS = 0.5
# Measured, benchmarks/bench_worker.py on a loopback redis-server: the Redis worker's claim
# script answers in 0.3-0.6 ms, and a slot cycles in t + 0.6-1.9 ms once the worker's own
# dispatch is counted (c = 1-32, t = 0.005-0.05 s). We plan with 1 ms, a claim round trip
# plus dispatch; an in-VPC ElastiCache round trip is of the same order.
REDIS_CLAIM_LATENCY_SECONDS = 0.001
# A freed slot that finds every receiver busy waits, on average, for half of the receive in
# progress before its own (a uniform arrival into a round trip); docs/workers.md.
RECEIVE_WAIT_BUSY_FACTOR = 0.5
# Largest receive overhead a profile may state: a receive long-polls at most 20 s.
MAX_RECEIVE_OVERHEAD_SECONDS = SQS_MAX_RECEIVE_WAIT_SECONDS
# --- Settling autoscaling, churn and scheduled capacity -----------------------------------
# Resting-point target: the metric (visible + in flight) / running tasks equals
# utilization x concurrency while the fleet keeps up (Little's law), so target tracking
# rests at tasks = arrival x t / target only when target < concurrency; the target is
# concurrency x utilization. The planner simulates these utilizations (highest, cheapest,
# first) and keeps the cheapest that holds the objective without flapping. Our choice.
# Each candidate costs about 0.13 s of simulation (spike, day, noisy day) and `qcap plan`
# must stay under 2 s for every shipped stack, so the list stays short.
RESTING_UTILIZATION_CANDIDATES = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4)
# Scheduled min capacity (tight objectives with a known daily shape): the floor of an hour
# covers the busier of that hour and the next at a utilization from the same candidates,
# chosen with the target (one of the two at the highest candidate), proved in simulation.
HOURS_PER_DAY = 24
# Flapping (docs/simulate.md): at a constant rate, after FLAP_SETTLE_SECONDS, more than
# FLAP_MAX_ACTIONS scaling actions in the next FLAP_WINDOW_SECONDS; or, in a diurnal day,
# more task launches than 2 x (largest - smallest fleet) + FLAP_DIURNAL_SLACK_LAUNCHES.
FLAP_SETTLE_SECONDS = SECONDS_PER_HOUR
FLAP_WINDOW_SECONDS = 6 * SECONDS_PER_HOUR
FLAP_MAX_ACTIONS = 2
FLAP_DIURNAL_SLACK_LAUNCHES = 6
# Verification's constant-rate checks: these fractions of the planned peak.
FLAP_CHECK_PEAK_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
# SQS: "If an SQS queue is inactive for more than six hours, metrics can take up to 15
# minutes to be available after the queue is activated" (SQS developer guide, available
# CloudWatch metrics). The simulator delays the first datapoints after such a gap.
SQS_IDLE_AFTER_SECONDS = 6 * SECONDS_PER_HOUR
SQS_IDLE_METRIC_LAG_SECONDS = 15 * 60
# Random processing times (optional): lognormal with the profile's mean and p99; z of p99.
P99_STANDARD_SCORE = 2.3263478740408408
# Up to this many processing times are drawn per simulated minute; beyond, their mean is drawn
# from the normal the central limit theorem gives (floored at a tenth of the mean).
SIM_MAX_PROCESSING_DRAWS = 400
SIM_MIN_PROCESSING_FACTOR = 0.1
# A service run models each whole message (capacity/simulate/messages.py) when it holds up to this many
# (about 50 ns of compiled work each with its draws, so a quarter of a second); busier runs are a fluid, which agrees with the
# per-message queue within 2% once thousands of messages pass each minute (tests/test_simulate_service.py).
SIM_PER_MESSAGE_MAX_MESSAGES = 5_000_000
# Daily shape (profile): an hour may be at most 100 x the average; its busiest hour may
# exceed the stated peak by 1% (rounding of hand-written multipliers).
DAILY_SHAPE_MAX_MULTIPLIER = 100.0
DAILY_SHAPE_PEAK_TOLERANCE = 0.01
# `qcap simulate --scenario constant --peak-fraction F`: F up to 10 x the peak (a stress run).
MAX_PEAK_FRACTION = 10.0
# The planner re-runs each candidate's diurnal day with Poisson arrivals and p99 processing times
# drawn with each of these seeds: on none may the objective miss or the fleet flap. One seed is
# one draw of the day's noise; a fleet resting near its target flaps on some draws only (3 of 10
# for seed 004's first plan). `qcap plan --verify` then checks seeds 1-10, two the planner never
# saw. Our choice.
SETTLE_NOISE_SEEDS = tuple(range(1, 9))
# A static fleet the planner weighs against target tracking (capacity/plan/static_fleet.py) must
# hold the design day with Poisson arrivals and p99 processing times on each of these seeds too:
# one seed is one draw of the busy hours, and a static fleet has no autoscaler to cover a bad one.
# Our choice.
STATIC_NOISE_SEEDS = tuple(range(1, 9))
# Resting steadily (capacity/plan/resting.py, reported by `qcap plan --verify`): at a steady rate the
# one-minute means of visible + in flight are measured on a static fleet simulated message by
# message (queueing lifts their spread 1.2-5.6 x past the M/G/inf figure on the fleets checked),
# and taken as normal and independent from minute to minute, target tracking may expect at most
# this many scale-outs (3 minutes above its point) or scale-ins (15 below 90%, the last below the
# point of one task fewer) in the 6 h flap window. Calibrated on constant-rate runs over seeds
# 1-10 (docs/simulate.md). Our choice.
RESTING_MAX_EXPECTED_ACTIONS = 0.05
# A scale-out on noise lands at ceil(count / target) from the whole count of the datapoint that fired it: the
# largest of the flap window's 360 one-minute means sits about 2.8 standard deviations above their mean (normal
# order statistics), so a band is judged at the fleet that count lands on. Our choice.
SCALE_OUT_LANDING_DEVIATIONS = 3
# A fleet whose scale-out point is closer than this many M/G/inf deviations (scaled by
# RESTING_NOISE_BOUND_RATIO) above the busy count is rejected before it is simulated.
RESTING_QUICK_REJECT_DEVIATIONS = 1.0
# The static fleet the noise is measured on: this seed, after a warm-up, for an hour or for about
# RESTING_NOISE_MESSAGES messages (at least half an hour of datapoints).
RESTING_NOISE_SEED = 1
RESTING_NOISE_WARMUP_SECONDS = 300
RESTING_NOISE_SECONDS = SECONDS_PER_HOUR
RESTING_NOISE_MIN_SECONDS = 30 * 60
RESTING_NOISE_MESSAGES = 200_000
# The simulated deviation is at least this fraction of the M/G/inf one on the fleets checked (0.82 where
# processing outlasts the one-minute period), so a fleet the bound already rejects is not simulated.
RESTING_NOISE_BOUND_RATIO = 0.8
# A fleet whose measurement would simulate more messages than this (above about 476 msg/s) is not
# simulated: its metric's mean is the busy count plus the M/M/c queue (Erlang C), and its spread the
# M/G/inf deviation x RESTING_UNSIMULATED_SPREAD_RATIO, the widest ratio measured on the fleets we
# simulated (5.6, docs/simulate.md), so it is judged as noisy as any of them. Our choice: `qcap plan`
# stays under 2 s of CPU (one minute of 44k msg/s alone costs about 0.5 s to simulate).
RESTING_NOISE_MAX_SIMULATED_MESSAGES = 1_000_000
RESTING_UNSIMULATED_SPREAD_RATIO = 5.6
# A fleet within this many tasks of a whole number counts as that number (float rounding).
RESTING_ROUNDING_TASKS = 1e-9
# The simulator keeps the messages (arrivals and processing times) of this many recent runs, so the planner's
# candidates, run on the same days and seeds, draw them once (about 14 MB a day at 10 msg/s). Our choice.
DRAWN_CACHE_RUNS = 12
# `qcap plan --verify` runs the diurnal day, the spike and the constant rates again on each of these seeds.
VERIFY_SEEDS = tuple(range(1, 11))
# The search for scheduled floors and a target together (capacity/plan/settle.py) stops after
# this many simulated runs of a day (about 0.05 s each on our development machine), so that
# `qcap plan` stays under 2 s even for a workload no candidate holds. Our choice.
SETTLE_MAX_SCHEDULED_RUNS = 20
# --- Bounds on what a profile or a trace may say ----------------------------------------
# Not vendor limits but the edge of what any plan could mean: a value beyond them is a
# typo (1e12 for 1e2) and is rejected when the profile is read, naming the bound and why,
# so that no input can make the planner or simulator work beyond what the limits allow.

# The most messages per second one workload could plan against the largest limits: the
# 10,000 Cloudflare queues of an account at 5,000 msg/s each (50 million msg/s). SQS has
# no documented ceiling, but a fleet at the ECS cap (5,000 tasks) would need 10,000 msg/s
# per task to go further, which no consumer does.
MAX_PLANNABLE_MESSAGES_PER_SECOND = CLOUDFLARE_MAX_QUEUES_PER_ACCOUNT * CLOUDFLARE_MAX_MESSAGES_PER_SECOND_PER_QUEUE
MAX_PLANNABLE_MESSAGES_PER_DAY = MAX_PLANNABLE_MESSAGES_PER_SECOND * SECONDS_PER_DAY
# A backlog larger than the plannable rate could fill in the longest retention (14 days)
# cannot exist on any broker qcap plans.
MAX_PLANNABLE_BACKLOG_MESSAGES = MAX_PLANNABLE_MESSAGES_PER_SECOND * SQS_MAX_RETENTION_SECONDS
# A peak is sustained for minutes; a day's messages arriving in one second is the most a
# peak-to-average ratio can mean.
MAX_PEAK_TO_AVERAGE = SECONDS_PER_DAY
# Processing one message takes at least a microsecond (a unit mistake below that) and at
# most as long as the longest retention (the message is gone before it could finish).
MIN_PROCESSING_SECONDS = 1e-6
MAX_PROCESSING_SECONDS = SQS_MAX_RETENTION_SECONDS
# An age objective under a second cannot be observed (CloudWatch's finest metrics are
# 1 s) and one beyond the longest retention cannot be kept (the message is deleted first).
MIN_OBJECTIVE_SECONDS = 1
MAX_OBJECTIVE_SECONDS = SQS_MAX_RETENTION_SECONDS
# Sinks: a request rate under one a day (1 / 86,400 per second) is a unit mistake; the
# largest rate, bandwidth, request and connection count are what the plannable rate of
# the largest messages would need.
MIN_SINK_REQUESTS_PER_SECOND = 1 / SECONDS_PER_DAY
MAX_SINK_REQUESTS_PER_SECOND = MAX_PLANNABLE_MESSAGES_PER_SECOND
MIN_SINK_BYTES_PER_SECOND = 1
MAX_SINK_BYTES_PER_SECOND = MAX_PLANNABLE_MESSAGES_PER_SECOND * SQS_MAX_MESSAGE_BYTES
MAX_SINK_MESSAGES_PER_REQUEST = MAX_PLANNABLE_MESSAGES_PER_SECOND
MAX_SINK_REQUEST_BYTES = MAX_SINK_BYTES_PER_SECOND
# Connections: every task at the ECS cap holding 10,000 in-flight messages, each with a
# connection (5,000 x 10,000); a slot holds at least a thousandth and at most 1,000 of one.
MAX_SINK_CONNECTIONS = ECS_MAX_TASKS_PER_SERVICE * 10_000
MIN_CONNECTIONS_PER_SLOT = 0.001
MAX_CONNECTIONS_PER_SLOT = 1_000
# Overrides that count messages or requests share the plannable backlog's bound.
MAX_OVERRIDE_MESSAGES = MAX_PLANNABLE_BACKLOG_MESSAGES
# A trace CSV is one row per minute: at most the 15 days CloudWatch keeps one-minute data
# (plus a day of slack for time zones), so a gap of a year in its timestamps is an error,
# not 525,600 minutes to simulate.
MAX_TRACE_MINUTES = (CLOUDWATCH_ONE_MINUTE_RETENTION_SECONDS + SECONDS_PER_DAY) // 60
# Simulations run at most as long as the longest retention plus a day (a drain of a
# 14-day backlog); `--days` beyond that is rejected.
MAX_SIMULATION_DAYS = SQS_MAX_RETENTION_SECONDS // SECONDS_PER_DAY + 1
# A profile is a short YAML file (the largest shipped one is under 4 KB); reading stops at
# 1 MiB so a wrong path (a log, an image) fails at once instead of being parsed.
MAX_PROFILE_BYTES = 1_048_576
# A trace file at most 16 MiB (the longest trace, 23,040 one-minute rows, is under 1 MiB),
# and a row's count at most the plannable rate over a day (the coarsest sensible period).
MAX_TRACE_BYTES = 16 * 1_048_576
MAX_TRACE_MESSAGES_PER_ROW = MAX_PLANNABLE_MESSAGES_PER_DAY
# A backlog drained in under a minute cannot be planned for: one CloudWatch datapoint is a
# minute, and scaling out takes several (a smaller drain_backlog_within_hours is a typo).
MIN_DRAIN_HOURS = 1 / 60
