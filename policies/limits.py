"""The service limits and thresholds the rules read, shipped inside the pack.

The pack must run on its own (`pulumi policy publish` uploads this directory and nothing
else), so it cannot import `capacity`. Each constant here is a copy of the one of the same
name in `capacity/limits.py`, where its source is cited; `tests/test_pack_limits.py` fails
when the two disagree, so a limit that changes is still changed in one place first and the
test points at the copy. Only what the rules need lives here.
"""

from __future__ import annotations

# --- Amazon SQS (SQS API reference, quotas) --------------------------------------------
SQS_MAX_MESSAGE_BYTES = 1_048_576
PULUMI_AWS_DEFAULT_MAX_MESSAGE_BYTES = 262_144
SQS_MAX_RECEIVE_BATCH = 10
SQS_DEFAULT_RETENTION_SECONDS = 345_600
SQS_MAX_RETENTION_SECONDS = 1_209_600
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200
SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30
SQS_FIFO_MESSAGES_PER_SECOND_BATCHED = 3_000
SQS_FIFO_HIGH_THROUGHPUT_MESSAGES_PER_SECOND = 70_000
SQS_MIN_MAX_RECEIVE_COUNT = 1
SQS_MAX_MAX_RECEIVE_COUNT = 1_000
SECONDS_PER_DAY = 86_400
DLQ_RETENTION_SECONDS = SQS_MAX_RETENTION_SECONDS
MAX_SOURCE_RETENTION_SECONDS = SQS_MAX_RETENTION_SECONDS - SECONDS_PER_DAY

# --- Application Auto Scaling, ECS, CloudWatch ---------------------------------------
ECS_MAX_TASKS_PER_SERVICE = 5_000
TARGET_TRACKING_DATAPOINT_SECONDS = 60
TASK_START_SECONDS = 60
CLOUDWATCH_METRIC_DELAY_SECONDS = 60
SCALE_TO_ZERO_OBJECTIVE_MARGIN = 2.0
VISIBILITY_TIMEOUT_SAFETY_FACTOR = 2.0
LOG_RETENTION_DAYS = 30
LOG_RETENTION_DAYS_PROD = 365

# --- ElastiCache --------------------------------------------------------------------
ELASTICACHE_MAX_CONNECTIONS_PER_NODE = 65_000
ELASTICACHE_MIN_NODES_FOR_FAILOVER = 2

# --- Cloudflare Queues ---------------------------------------------------------------
CLOUDFLARE_MAX_BATCH_SIZE = 100
CLOUDFLARE_MAX_WAIT_TIME_MS = 60_000
CLOUDFLARE_MAX_CONSUMER_CONCURRENCY = 250
CLOUDFLARE_MAX_RETRIES = 100

# --- the policies' own thresholds (capacity/limits.py says why each) --------------------
POLICY_RETENTION_MARGIN = 1.0
POLICY_MIN_PROD_MAX_RECEIVE_COUNT = 2
POLICY_MIN_PROD_SNAPSHOT_RETENTION_DAYS = 1

# --- the pack's own thresholds (no planner constant: the planner never builds these) ---------------
# An untagged age alarm at a day or more hears of a backlog after a day of missed objectives.
POLICY_MAX_AGE_ALARM_SECONDS = SECONDS_PER_DAY

# Seconds a fleet at zero needs to run its first task: metric delay + one datapoint + start.
COLD_START_SECONDS = CLOUDWATCH_METRIC_DELAY_SECONDS + TARGET_TRACKING_DATAPOINT_SECONDS + TASK_START_SECONDS
