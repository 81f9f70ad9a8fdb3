"""What the components, the worker, the policy pack and the live checks must agree on, declared once.

The worker's environment (each variable's meaning, type, default and which consumers set
it), the `qcap:` tag keys, the CloudWatch namespaces, metrics and dimensions, and the exit
codes of the worker and the qcap CLI. Pure stdlib, so the worker image can import it; the
policy pack ships a copy of what it reads (policies/contract.py, kept equal by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from capacity import limits

# --- consumer kinds: the profile's enums, equal to their strings in an environment ----


class Environment(StrEnum):
    dev = "dev"
    staging = "staging"
    prod = "prod"


class Broker(StrEnum):
    sqs = "sqs"
    sqs_fifo = "sqs-fifo"
    cloudflare = "cloudflare"
    redis = "redis"


class ConsumerMode(StrEnum):
    service = "service"
    scheduled = "scheduled"


SERVICE = ConsumerMode.service
SCHEDULED = ConsumerMode.scheduled
MODES = (SERVICE, SCHEDULED)
SQS = Broker.sqs
SQS_FIFO = Broker.sqs_fifo
REDIS = Broker.redis
SQS_BROKERS = (SQS, SQS_FIFO)
"""The brokers that are SQS queues (standard or FIFO)."""
CONSUMER_BROKERS = (*SQS_BROKERS, REDIS)

# --- CloudWatch: namespaces, metrics, dimensions --------------------------------------

SQS_NAMESPACE = "AWS/SQS"
SQS_VISIBLE_METRIC = "ApproximateNumberOfMessagesVisible"
SQS_IN_FLIGHT_METRIC = "ApproximateNumberOfMessagesNotVisible"
SQS_AGE_METRIC = "ApproximateAgeOfOldestMessage"
SQS_SENT_METRIC = "NumberOfMessagesSent"
SQS_RECEIVED_METRIC = "NumberOfMessagesReceived"
SQS_DELETED_METRIC = "NumberOfMessagesDeleted"
SQS_QUEUE_DIMENSION = "QueueName"

CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
RUNNING_TASKS_METRIC = "RunningTaskCount"
CLUSTER_DIMENSION = "ClusterName"
SERVICE_DIMENSION = "ServiceName"

# What the Redis worker publishes every METRIC_PERIOD_SECONDS; autoscaling and alarms read it.
REDIS_NAMESPACE = "qcap/Redis"
REDIS_DEPTH_METRIC = "QueueDepth"
REDIS_OLDEST_AGE_METRIC = "OldestMessageAgeSeconds"
REDIS_DEAD_LETTER_METRIC = "DeadLetterDepth"
REDIS_METRICS = (REDIS_DEPTH_METRIC, REDIS_OLDEST_AGE_METRIC, REDIS_DEAD_LETTER_METRIC)
REDIS_STACK_DIMENSION = "Stack"
REDIS_WORKLOAD_DIMENSION = "Workload"
REDIS_DIMENSIONS = (REDIS_STACK_DIMENSION, REDIS_WORKLOAD_DIMENSION)
# What the reference worker measures of itself, in its METRIC_NAMESPACE with the Stack and Workload
# dimensions, one PutMetricData a metric period: `qcap doctor --learn` reads them. A Redis worker sends
# them with its queue metrics in qcap/Redis (one call, one namespace); an SQS worker in qcap/Worker.
WORKER_NAMESPACE = "qcap/Worker"
WORKER_PROCESSING_METRIC = "ProcessingTime"  # seconds per handler call, a histogram (Values/Counts)
WORKER_RECEIVE_METRIC = "ReceiveTime"  # seconds per receive that brought messages, a statistic set
WORKER_PROCESSED_METRIC = "MessagesProcessed"  # handler successes in the period
WORKER_METRICS = (WORKER_PROCESSING_METRIC, WORKER_RECEIVE_METRIC, WORKER_PROCESSED_METRIC)



def worker_namespace(broker: str) -> str:
    """Where the components tell a consumer of this broker to publish its metrics, and where --learn reads them."""
    return REDIS_NAMESPACE if broker == REDIS else WORKER_NAMESPACE


ELASTICACHE_NAMESPACE = "AWS/ElastiCache"
CACHE_CPU_METRIC = "EngineCPUUtilization"
CACHE_MEMORY_METRIC = "DatabaseMemoryUsagePercentage"
CACHE_CONNECTIONS_METRIC = "CurrConnections"
CACHE_EVICTIONS_METRIC = "Evictions"
CACHE_NODE_DIMENSION = "CacheClusterId"

# --- tags: keys every qcap resource carries, values in plain text ----------------------

TAG_PREFIX = "qcap:"
TAG_STACK = "qcap:stack"
TAG_ROLE = "qcap:role"
TAG_ENVIRONMENT = "qcap:environment"
TAG_WORKLOAD = "qcap:workload"
TAG_GROUP = "qcap:group"
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
TAG_KEYS = (
    TAG_STACK, TAG_ROLE, TAG_ENVIRONMENT, TAG_WORKLOAD, TAG_GROUP, TAG_MAX_AGE_SECONDS, TAG_PROCESSING_P99_SECONDS,
    TAG_PER_TASK_RATE, TAG_CONCURRENCY_PER_TASK, TAG_DRAIN_SECONDS, TAG_PEAK_PER_SECOND, TAG_RECEIVE_BATCH,
    TAG_SINK_NAME, TAG_SINK_MAX_CONNECTIONS, TAG_SINK_CONNECTIONS_PER_SLOT, TAG_CACHE_CONNECTIONS_BUDGET,
    TAG_CACHE_POOL_SIZE, TAG_CACHE_PRODUCER_CONNECTIONS,
)
# Values of qcap:role.
ROLE_QUEUE = "queue"
ROLE_DLQ = "dlq"
ROLE_TOPIC = "topic"
ROLE_KEY = "key"
ROLES = (ROLE_QUEUE, ROLE_DLQ, "service", "task", "scaling", "alarm", ROLE_TOPIC, "cache", "log", "role",
         "cluster", "schedule", ROLE_KEY)

# --- the worker's environment ----------------------------------------------------------

# Who gives a variable its value.
COMPONENT = "component"  # the consumer component, from the plan (for `modes` x `brokers`)
ECS_AGENT = "ecs-agent"
AWS_SDK = "aws"  # the AWS SDK's own convention
OPERATOR = "operator"  # optional, for whoever runs the worker


@dataclass(frozen=True)
class EnvVar:
    """One environment variable of the worker: `setting` is the WorkerConfig field it fills.

    `kind` is int, float, str or bool; `default` is the worker's value when it is unset
    (None: no value). A COMPONENT variable is set for every consumer whose mode is in
    `modes` and broker in `brokers` (`only_when` names a plan condition), as a container
    secret when `secret`.
    """

    name: str
    setting: str
    kind: type
    default: object
    meaning: str
    source: str = COMPONENT
    modes: tuple[str, ...] = MODES
    brokers: tuple[str, ...] = CONSUMER_BROKERS
    secret: bool = False
    only_when: str = ""

    def set_for(self, mode: str, broker: str) -> bool:
        """Whether the component sets this variable for a consumer of this mode and broker."""
        return self.source == COMPONENT and mode in self.modes and broker in self.brokers


def _extra(name: str, setting: str, kind: type, default: object, meaning: str, source: str = OPERATOR) -> EnvVar:
    return EnvVar(name, setting, kind, default, meaning, source, modes=(), brokers=())


QCAP_STACK = EnvVar("QCAP_STACK", "stack", str, "local", "the stack: a Redis metric dimension")
QCAP_WORKLOAD = EnvVar("QCAP_WORKLOAD", "workload", str, "worker",
                       "the workload: a Redis metric dimension and the Redis key prefix")
AWS_REGION = EnvVar("AWS_REGION", "region", str, None, "region of the SQS and CloudWatch clients")
CONCURRENCY = EnvVar("CONCURRENCY", "concurrency", int, 1,
                     "handlers at once (threads): concurrency_per_task (service), max_concurrency (scheduled)")
RECEIVE_BATCH = EnvVar("RECEIVE_BATCH", "receive_batch", int, limits.SQS_MAX_RECEIVE_BATCH,
                       "most messages per receive or claim: receive_batch")
RECEIVE_WAIT_SECONDS = EnvVar("RECEIVE_WAIT_SECONDS", "receive_wait_seconds", int,
                              limits.SQS_MAX_RECEIVE_WAIT_SECONDS,
                              "long-poll wait, capped at half the stop timeout: receive_wait_seconds")
VISIBILITY_TIMEOUT_SECONDS = EnvVar("VISIBILITY_TIMEOUT_SECONDS", "visibility_timeout_seconds", int,
                                    limits.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
                                    "SQS visibility per receive, the Redis lease: visibility_timeout_seconds")
MAX_RECEIVE_COUNT = EnvVar("MAX_RECEIVE_COUNT", "max_receive_count", int, 5,
                           "receives (SQS) or claims (Redis) before dead-lettering: max_receive_count")
STOP_TIMEOUT_SECONDS = EnvVar("STOP_TIMEOUT_SECONDS", "stop_timeout_seconds", float,
                              float(limits.ECS_DEFAULT_STOP_TIMEOUT_SECONDS),
                              "SIGTERM to SIGKILL: stop_timeout_seconds, else ECS's default")
QUEUE_URL = EnvVar("QUEUE_URL", "queue_url", str, None, "the SQS queue; its presence selects the SQS worker",
                   brokers=SQS_BROKERS)
BATCH_LIMIT = EnvVar("BATCH_LIMIT", "batch_limit", int, None, "most messages one scheduled run takes: batch_limit",
                     modes=(SCHEDULED,), brokers=SQS_BROKERS)
RUN_DEADLINE_SECONDS = EnvVar("RUN_DEADLINE_SECONDS", "run_deadline_seconds", float, None,
                              "seconds after its start a scheduled run stops receiving: the interval less the task's "
                              "start and its stop timeout", modes=(SCHEDULED,), brokers=SQS_BROKERS)
METRIC_NAMESPACE = EnvVar("METRIC_NAMESPACE", "metric_namespace", str, None,
                          "where the worker's metrics go: qcap/Redis (Redis, also its default there), qcap/Worker "
                          "(SQS; unset, an SQS worker publishes nothing)")
REDIS_POOL_SIZE = EnvVar("REDIS_POOL_SIZE", "redis_pool_size", int, 10,
                         "Redis connections per worker process (at least 2): cache.pool_size_per_task",
                         modes=(SERVICE,), brokers=(REDIS,), only_when="the plan has cache_pool_size_per_task")
REDIS_PORT = EnvVar("REDIS_PORT", "redis_port", int, 6379, "the cache's port", modes=(SERVICE,), brokers=(REDIS,))
REDIS_TLS = EnvVar("REDIS_TLS", "redis_tls", bool, False, "TLS to the cache", modes=(SERVICE,), brokers=(REDIS,))
REDIS_HOST = EnvVar("REDIS_HOST", "redis_host", str, None,
                    "the cache's primary endpoint (an SSM parameter); its presence selects the Redis worker",
                    modes=(SERVICE,), brokers=(REDIS,), secret=True)
REDIS_AUTH_TOKEN = EnvVar("REDIS_AUTH_TOKEN", "redis_auth_token", str, None, "the cache's AUTH token (Secrets Manager)",
                          modes=(SERVICE,), brokers=(REDIS,), secret=True)
ECS_AGENT_URI = _extra("ECS_AGENT_URI", "ecs_agent_uri", str, None,
                       "the task-protection endpoint; without it scale-in protection is off", ECS_AGENT)
AWS_DEFAULT_REGION = _extra("AWS_DEFAULT_REGION", "region", str, None, "region when AWS_REGION is unset", AWS_SDK)
REDIS_QUEUE_KEY = _extra("REDIS_QUEUE_KEY", "redis_queue_key", str, None,
                         "Redis key prefix; default qcap:{<workload>} (one cluster slot)")
RECEIVERS = _extra("RECEIVERS", "receivers", int, None, "parallel SQS long polls; default ceil(c / batch), at most 4")
RETRY_BACKOFF_SECONDS = _extra("RETRY_BACKOFF_SECONDS", "retry_backoff_seconds", float,
                               limits.WORKER_RETRY_BACKOFF_SECONDS, "first backoff after a failure")
RETRY_BACKOFF_MAX_SECONDS = _extra("RETRY_BACKOFF_MAX_SECONDS", "retry_backoff_max_seconds", float,
                                   limits.WORKER_RETRY_BACKOFF_MAX_SECONDS, "the backoff's cap")
PROTECTION_IDLE_SECONDS = _extra("PROTECTION_IDLE_SECONDS", "protection_idle_seconds", float,
                                 limits.WORKER_PROTECTION_IDLE_SECONDS,
                                 "idle time before scale-in protection is dropped")
PUBLISH_METRICS = _extra("PUBLISH_METRICS", "publish_metrics", bool, True,
                         "publish the worker's metrics (false: none, whatever METRIC_NAMESPACE says)")
METRIC_PERIOD_SECONDS = _extra("METRIC_PERIOD_SECONDS", "metric_period_seconds", float,
                               float(limits.WORKER_METRIC_PERIOD_SECONDS), "seconds between metric publishes")

# Every variable the worker reads, in reading order: of two filling one setting, the first set wins.
WORKER_ENVIRONMENT = (
    QCAP_STACK, QCAP_WORKLOAD, AWS_REGION, CONCURRENCY, RECEIVE_BATCH, RECEIVE_WAIT_SECONDS,
    VISIBILITY_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT, STOP_TIMEOUT_SECONDS, QUEUE_URL, BATCH_LIMIT, RUN_DEADLINE_SECONDS,
    METRIC_NAMESPACE, REDIS_POOL_SIZE, REDIS_PORT, REDIS_TLS, REDIS_HOST, REDIS_AUTH_TOKEN, ECS_AGENT_URI,
    AWS_DEFAULT_REGION, REDIS_QUEUE_KEY, RECEIVERS, RETRY_BACKOFF_SECONDS, RETRY_BACKOFF_MAX_SECONDS,
    PROTECTION_IDLE_SECONDS, PUBLISH_METRICS, METRIC_PERIOD_SECONDS,
)
ENV_BY_NAME = {v.name: v for v in WORKER_ENVIRONMENT}


def component_variables(mode: str, broker: str, *, secret: bool | None = None) -> frozenset[str]:
    """Names the component sets for a consumer of this mode and broker (only secrets, only plain, or both)."""
    return frozenset(v.name for v in WORKER_ENVIRONMENT
                     if v.set_for(mode, broker) and (secret is None or v.secret == secret))


def default_of(setting: str) -> object:
    """The worker's default for a WorkerConfig field: that of the first variable filling it."""
    return next(v.default for v in WORKER_ENVIRONMENT if v.setting == setting)


# --- exit codes ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExitCode:
    """What a process's exit status means."""

    code: int
    program: str
    meaning: str


EXIT_OK = 0
EXIT_NOT_OK = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
WORKER_EXIT_OK = 0
WORKER_EXIT_LOOP_FAILED = 1
WORKER_EXIT_BAD_SETUP = 2
EXIT_CODES = (
    ExitCode(EXIT_OK, "qcap", "the answer is yes: preview clean, plan feasible, doctor healthy, load and redrive done"),
    ExitCode(EXIT_NOT_OK, "qcap", "the answer is no: preview blocked, plan infeasible, doctor warns, redrive declined, "
                                  "load lost messages"),
    ExitCode(EXIT_BAD_INPUT, "qcap", "could not run: a bad profile or option, or an AWS problem"),
    ExitCode(EXIT_INTERRUPTED, "qcap", "interrupted (Ctrl-C) while sending or draining"),
    ExitCode(WORKER_EXIT_OK, "worker", "stopped after SIGTERM, or a scheduled run ended (its batch limit, an empty "
                                       "queue, its deadline), with every message finished or released (or --help)"),
    ExitCode(WORKER_EXIT_LOOP_FAILED, "worker", "one of the worker's own loops failed (not a handler)"),
    ExitCode(WORKER_EXIT_BAD_SETUP, "worker", "bad setup: a malformed variable or a handler that does not load"),
)
