"""The tag keys, roles and metric names the rules read, shipped inside the pack.

The pack must run on its own (`pulumi policy publish` uploads this directory and nothing
else), so it cannot import `capacity`. Each constant here is a copy of the one of the same
name in `capacity/contract.py`, which the components tag and alarm with;
`tests/test_pack_contract.py` fails when the two disagree. Only what the rules read lives here.
"""

from __future__ import annotations

# --- tag keys --------------------------------------------------------------------------
TAG_STACK = "qcap:stack"
TAG_ROLE = "qcap:role"
TAG_ENVIRONMENT = "qcap:environment"
TAG_WORKLOAD = "qcap:workload"
TAG_MAX_AGE_SECONDS = "qcap:max-age-seconds"
TAG_PROCESSING_P99_SECONDS = "qcap:processing-p99-seconds"
TAG_PER_TASK_RATE = "qcap:per-task-messages-per-second"
TAG_CONCURRENCY_PER_TASK = "qcap:concurrency-per-task"
TAG_DRAIN_SECONDS = "qcap:drain-seconds"
TAG_PEAK_PER_SECOND = "qcap:peak-messages-per-second"
TAG_RECEIVE_BATCH = "qcap:receive-batch"
TAG_SINK_NAME = "qcap:sink-name"
TAG_SINK_MAX_CONNECTIONS = "qcap:sink-max-connections"
TAG_SINK_CONNECTIONS_PER_SLOT = "qcap:sink-connections-per-slot"
TAG_CACHE_CONNECTIONS_BUDGET = "qcap:cache-connections-budget"
TAG_CACHE_POOL_SIZE = "qcap:cache-pool-size-per-task"
TAG_CACHE_PRODUCER_CONNECTIONS = "qcap:cache-producer-connections"

# --- values of qcap:role -------------------------------------------------------------
ROLE_DLQ = "dlq"
ROLE_TOPIC = "topic"

# --- CloudWatch ----------------------------------------------------------------------
SQS_NAMESPACE = "AWS/SQS"
SQS_VISIBLE_METRIC = "ApproximateNumberOfMessagesVisible"
SQS_IN_FLIGHT_METRIC = "ApproximateNumberOfMessagesNotVisible"
SQS_AGE_METRIC = "ApproximateAgeOfOldestMessage"
SQS_QUEUE_DIMENSION = "QueueName"
REDIS_OLDEST_AGE_METRIC = "OldestMessageAgeSeconds"
REDIS_NAMESPACE = "qcap/Redis"

# --- the reference worker's environment (the names of capacity.contract's EnvVar of the same name) ---
QUEUE_URL_VARIABLE = "QUEUE_URL"
METRIC_NAMESPACE_VARIABLE = "METRIC_NAMESPACE"
REDIS_HOST_VARIABLE = "REDIS_HOST"

# The reference worker's documented plain (not secret) variables, in capacity.contract's reading order:
# the secret detector never reports these names (tests/test_pack_contract.py keeps the list equal).
WORKER_PLAIN_VARIABLES = (
    "QCAP_STACK", "QCAP_WORKLOAD", "AWS_REGION", "CONCURRENCY", "RECEIVE_BATCH", "RECEIVE_WAIT_SECONDS",
    "VISIBILITY_TIMEOUT_SECONDS", "MAX_RECEIVE_COUNT", "STOP_TIMEOUT_SECONDS", "QUEUE_URL", "BATCH_LIMIT",
    "RUN_DEADLINE_SECONDS", "METRIC_NAMESPACE", "REDIS_POOL_SIZE", "REDIS_PORT", "REDIS_TLS", "ECS_AGENT_URI",
    "AWS_DEFAULT_REGION", "REDIS_QUEUE_KEY", "RECEIVERS", "RETRY_BACKOFF_SECONDS", "RETRY_BACKOFF_MAX_SECONDS",
    "PROTECTION_IDLE_SECONDS", "PUBLISH_METRICS", "METRIC_PERIOD_SECONDS",
)
