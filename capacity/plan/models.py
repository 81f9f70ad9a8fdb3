"""The plan's shape: a Finding, one WorkloadPlan per queue (a core plus typed sections), and a stack's Plan.

Each section belongs to one consumer kind (service, scheduled, Cloudflare) or one resource family
(scaling, alarms, cache); a section that does not apply is None. Sections forbid unknown fields,
so a misspelt field fails when the plan is built, and a derived value (marked `Derived`) cannot be
built without its reason. `Plan.as_json()` keeps the flat shape `qcap plan --json` documents.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from capacity.profile import SQS_BROKERS, Broker, ConsumerMode, Environment

Severity = Literal["error", "warning"]
# A patch: profile field paths (`workloads[0].consumer.receive_batch`) and the values to set.
Patch = dict[str, Any]


class _DerivedMark:
    """Marks a field the planner derives: when it has a value, `reasons` must explain it."""


DERIVED = _DerivedMark()
_SECTION = ConfigDict(frozen=True, extra="forbid")


class Finding(BaseModel):
    """Something the plan cannot do (error) or does with less margin than it should (warning)."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    limit: str
    message: str
    fix: str | None = None
    patch: Patch | None = None
    """The one change that removes this finding, checked against the profile's validation and a re-plan."""
    candidates: tuple[Patch, ...] = Field(default=(), exclude=True, repr=False)
    """Patches the planner proposes, best first, before they are checked (not part of the contract)."""


class ScheduledCapacity(BaseModel):
    """A scheduled action on the scalable target: from `hour` (local time) on, min capacity is `min_capacity`."""

    model_config = _SECTION

    hour: int
    min_capacity: int
    cron: str
    time_zone: str


class PredictivePlan(BaseModel):
    """Predictive scaling of a service: its mode, how early it launches, and the messages a task handles at target."""

    model_config = _SECTION

    mode: str  # ForecastOnly or ForecastAndScale, as the API spells it
    scheduling_buffer_seconds: int
    target_messages_per_task_per_minute: float


class ScalingPlan(BaseModel):
    """A service fleet's target tracking: the backlog-per-task target, cooldowns and scheduled floors."""

    model_config = _SECTION

    target_backlog_per_task: Annotated[float, DERIVED]
    scale_out_cooldown_seconds: Annotated[int, DERIVED]
    scale_in_cooldown_seconds: Annotated[int, DERIVED]
    target_utilization: float
    scheduled_capacity: Annotated[tuple[ScheduledCapacity, ...], DERIVED]
    # With scheduled actions: the scalable target's min when it is created, before the first action fires.
    deploy_min_capacity: Annotated[int | None, DERIVED] = None
    # A scale-in band (capacity/scale_in_band.py): target tracking only scales out, and a step policy scales in
    # below this backlog per task (None: target tracking scales in on its own, below about 90% of the target).
    scale_in_backlog_per_task: Annotated[float | None, DERIVED] = None
    hourly_arrival_per_second: tuple[float, ...] | None
    time_zone: str | None
    predictive: PredictivePlan | None = None


class ServicePlan(BaseModel):
    """What only a long-running service fleet has: its stop timeout, FIFO throughput mode, today's fleet."""

    model_config = _SECTION

    stop_timeout_seconds: Annotated[int, DERIVED]
    fifo_high_throughput: bool
    current_tasks: Annotated[int | None, DERIVED]
    current_drain_seconds: Annotated[float | None, DERIVED]
    # The analytic cross-check: the fewest tasks an M/M/c queue needs at the steady peak (Erlang C).
    erlang_peak_tasks: Annotated[int | None, DERIVED] = None


class ScheduledPlan(BaseModel):
    """A scheduled batch consumer: how much one run takes, how long it lasts, how often it starts."""

    model_config = _SECTION

    batch_limit: Annotated[int, DERIVED]
    run_seconds: Annotated[float, DERIVED]
    interval_seconds: Annotated[int, DERIVED]
    max_concurrency: Annotated[int, DERIVED]
    run_deadline_seconds: Annotated[int, DERIVED]


class CloudflarePlan(BaseModel):
    """Cloudflare Queues: shards and the consumer's batch, wait, concurrency and retries."""

    model_config = _SECTION

    shards: Annotated[int, DERIVED]
    batch_size: Annotated[int, DERIVED]
    max_wait_time_ms: Annotated[int, DERIVED]
    max_concurrency: Annotated[int, DERIVED]
    max_retries: Annotated[int, DERIVED]
    retry_delay_seconds: Annotated[int, DERIVED]


class AlarmPlan(BaseModel):
    """Alarm thresholds on the queue and the fleet; None where an alarm does not apply to the consumer kind."""

    model_config = _SECTION

    age_seconds: Annotated[int | None, DERIVED] = Field(serialization_alias="alarm_age_seconds")
    dlq_messages: Annotated[int, DERIVED] = Field(serialization_alias="alarm_dlq_messages")
    saturation_messages: Annotated[int | None, DERIVED] = Field(serialization_alias="alarm_saturation_messages")
    max_tasks: Annotated[int | None, DERIVED] = Field(serialization_alias="alarm_max_tasks")
    # The tasks-at-max alarm pages only while the oldest message is also past this age (None: no such alarm).
    max_tasks_age_seconds: Annotated[int | None, DERIVED] = Field(
        default=None, serialization_alias="alarm_max_tasks_age_seconds")
    stalled_minutes: Annotated[int | None, DERIVED] = Field(serialization_alias="alarm_stalled_minutes")


class CachePlan(BaseModel):
    """The ElastiCache Redis of a Redis-brokered queue: node size and count, memory and connection budget."""

    model_config = _SECTION

    node_type: Annotated[str, DERIVED] = Field(serialization_alias="cache_node_type")
    nodes: Annotated[int, DERIVED] = Field(serialization_alias="cache_nodes")
    memory_bytes: Annotated[int, DERIVED] = Field(serialization_alias="cache_memory_bytes")
    connections: Annotated[int, DERIVED] = Field(serialization_alias="cache_connections")
    connections_budget: Annotated[int, DERIVED] = Field(serialization_alias="cache_connections_budget")
    alarm_connections: Annotated[int, DERIVED] = Field(serialization_alias="alarm_cache_connections")
    pool_size_per_task: int = Field(serialization_alias="cache_pool_size_per_task")
    producer_connections: int = Field(serialization_alias="cache_producer_connections")


class Derived(BaseModel):
    """What every broker's planner derives for one lane: rates, fleet bounds, delivery, cost, and its sections."""

    model_config = _SECTION

    arrival_average_per_second: Annotated[float, DERIVED]
    arrival_peak_per_second: Annotated[float, DERIVED]
    arrival_trough_per_second: Annotated[float, DERIVED]
    per_task_messages_per_second: Annotated[float, DERIVED]
    receive_overhead_seconds: Annotated[float, DERIVED]
    backlog_messages: int
    min_capacity: Annotated[int, DERIVED]
    max_capacity: Annotated[int, DERIVED]
    visibility_timeout_seconds: Annotated[int | None, DERIVED]
    retention_seconds: Annotated[int, DERIVED]
    dlq_retention_seconds: Annotated[int, DERIVED]
    max_receive_count: Annotated[int, DERIVED]
    drain_seconds: Annotated[float | None, DERIVED]
    sink_requests_per_second: Annotated[float | None, DERIVED]
    monthly_cost_usd: Annotated[float, DERIVED]
    alarms: AlarmPlan
    scaling: ScalingPlan | None = None
    service: ServicePlan | None = None
    scheduled: ScheduledPlan | None = None
    cloudflare: CloudflarePlan | None = None
    cache: CachePlan | None = None


SECTIONS: dict[str, type[BaseModel]] = {
    "scaling": ScalingPlan, "service": ServicePlan, "scheduled": ScheduledPlan, "cloudflare": CloudflarePlan,
    "alarms": AlarmPlan, "cache": CachePlan,
}

# The flat `qcap plan --json` shape, in its documented order; absent sections give these values.
JSON_FIELDS: tuple[str, ...] = (
    "name", "group", "lane", "broker", "mode", "environment", "feasible", "binding_limit", "shortfall", "fix",
    "arrival_average_per_second", "arrival_peak_per_second", "arrival_trough_per_second",
    "per_task_messages_per_second", "max_age_seconds", "processing_seconds", "processing_p99_seconds",
    "receive_overhead_seconds", "message_bytes", "backlog_messages", "min_capacity", "max_capacity",
    "target_backlog_per_task", "scale_out_cooldown_seconds", "scale_in_cooldown_seconds", "scale_in_backlog_per_task",
    "concurrency_per_task",
    "receive_batch", "receive_wait_seconds", "task_cpu", "task_memory_mib", "architecture", "image", "script_name",
    "stop_timeout_seconds", "visibility_timeout_seconds", "retention_seconds", "dlq_retention_seconds",
    "max_receive_count", "max_message_bytes", "fifo_high_throughput", "drain_seconds", "alarm_age_seconds",
    "alarm_dlq_messages", "alarm_saturation_messages", "alarm_max_tasks", "alarm_max_tasks_age_seconds", "alarm_stalled_minutes", "shards",
    "batch_size", "max_wait_time_ms", "max_concurrency", "max_retries", "retry_delay_seconds",
    "sink_requests_per_second", "cache_node_type", "cache_nodes", "cache_memory_bytes", "cache_connections",
    "cache_connections_budget", "alarm_cache_connections", "cache_pool_size_per_task", "cache_producer_connections",
    "sink_name", "sink_max_connections", "sink_connections_per_slot", "batch_limit", "run_seconds",
    "interval_seconds", "run_deadline_seconds", "current_tasks", "current_drain_seconds", "erlang_peak_tasks", "monthly_cost_usd", "reasons", "findings",
    "target_utilization", "hourly_arrival_per_second", "time_zone", "scheduled_capacity", "deploy_min_capacity",
)
_ABSENT_JSON: dict[str, Any] = {"fifo_high_throughput": False, "scheduled_capacity": []}


def json_key(section: type[BaseModel], field: str) -> str:
    """The flat JSON key (and reasons key) of a section's field: its serialization alias, or its name."""
    return section.model_fields[field].serialization_alias or field


def _derived_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if any(m is DERIVED for m in info.metadata)]


class WorkloadPlan(Derived):
    """Every derived number for one queue (a workload, or one partition or priority level of it)."""

    name: str
    group: str
    lane: str | None
    broker: Broker
    mode: ConsumerMode
    environment: Environment
    feasible: bool
    binding_limit: Annotated[str, DERIVED]
    shortfall: str | None
    fix: str | None
    max_age_seconds: float
    processing_seconds: float
    processing_p99_seconds: float
    message_bytes: int
    concurrency_per_task: int
    receive_batch: int
    receive_wait_seconds: int
    task_cpu: int
    task_memory_mib: int
    architecture: str
    image: str | None
    script_name: str | None
    max_message_bytes: Annotated[int, DERIVED]
    sink_name: str | None
    sink_max_connections: int | None
    sink_connections_per_slot: float | None
    reasons: dict[str, str]
    findings: tuple[Finding, ...]

    @model_validator(mode="after")
    def check_every_derived_value_has_its_reason(self) -> WorkloadPlan:
        missing = [key for key, value in self._derived_values() if value not in (None, ()) and key not in self.reasons]
        if missing:
            raise ValueError(f"plan of {self.name!r}: derived values without a reason: {', '.join(missing)}")
        return self

    def _derived_values(self) -> list[tuple[str, Any]]:
        found = [(name, getattr(self, name)) for name in _derived_fields(type(self))]
        for attribute, section in SECTIONS.items():
            part = getattr(self, attribute)
            if part is not None:
                found += [(json_key(section, name), getattr(part, name)) for name in _derived_fields(section)]
        return found

    @property
    def hourly_arrival_per_second(self) -> tuple[float, ...] | None:
        """The design day's rate by local hour, where the profile gives a daily shape (services only)."""
        return self.scaling.hourly_arrival_per_second if self.scaling else None

    @property
    def sqs_like(self) -> bool:
        """Whether the queue is an SQS queue (standard or FIFO)."""
        return self.broker in SQS_BROKERS

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def as_json(self) -> dict[str, Any]:
        """The flat documented shape: core fields and every section's fields side by side."""
        flat = self.model_dump(mode="json", exclude=set(SECTIONS))
        for attribute, section in SECTIONS.items():
            part = getattr(self, attribute)
            if part is None:
                for name in section.model_fields:
                    key = json_key(section, name)
                    flat.setdefault(key, _ABSENT_JSON.get(key))
            else:
                flat.update(part.model_dump(mode="json", by_alias=True))
        return {key: flat[key] for key in JSON_FIELDS}


class Plan(BaseModel):
    """The plan of a whole stack: one WorkloadPlan per queue, plus how producers route."""

    model_config = ConfigDict(frozen=True)

    environment: str
    alert_emails: tuple[str, ...]
    workloads: tuple[WorkloadPlan, ...]
    routing: dict[str, str]

    @property
    def feasible(self) -> bool:
        return all(w.feasible for w in self.workloads)

    @property
    def monthly_cost_usd(self) -> float:
        return round(sum(w.monthly_cost_usd for w in self.workloads), 2)

    def workload(self, name: str) -> WorkloadPlan:
        for w in self.workloads:
            if w.name == name:
                return w
        raise KeyError(f"no workload {name!r} in this plan; have: {', '.join(w.name for w in self.workloads)}")

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "feasible": self.feasible,
            "monthly_cost_usd": self.monthly_cost_usd,
            "alert_emails": list(self.alert_emails),
            "routing": self.routing,
            "workloads": [w.as_json() for w in self.workloads],
        }
