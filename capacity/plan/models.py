"""The plan's shape: a Finding, one WorkloadPlan per queue, and the Plan of a whole stack."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning"]
# A patch: profile field paths (`workloads[0].consumer.receive_batch`) and the values to set.
Patch = dict[str, Any]


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

    model_config = ConfigDict(frozen=True)

    hour: int
    min_capacity: int
    cron: str
    time_zone: str


class WorkloadPlan(BaseModel):
    """Every derived number for one queue (a workload, or one partition or priority level of it)."""

    model_config = ConfigDict(frozen=True)

    name: str
    group: str
    lane: str | None
    broker: str
    mode: str
    environment: str
    feasible: bool
    binding_limit: str
    shortfall: str | None
    fix: str | None
    arrival_average_per_second: float
    arrival_peak_per_second: float
    arrival_trough_per_second: float
    per_task_messages_per_second: float
    max_age_seconds: float
    processing_seconds: float
    processing_p99_seconds: float
    receive_overhead_seconds: float
    message_bytes: int
    backlog_messages: int
    min_capacity: int
    max_capacity: int
    target_backlog_per_task: float | None
    scale_out_cooldown_seconds: int | None
    scale_in_cooldown_seconds: int | None
    concurrency_per_task: int
    receive_batch: int
    receive_wait_seconds: int
    task_cpu: int
    task_memory_mib: int
    architecture: str
    image: str | None
    script_name: str | None
    stop_timeout_seconds: int | None
    visibility_timeout_seconds: int | None
    retention_seconds: int
    dlq_retention_seconds: int
    max_receive_count: int
    max_message_bytes: int
    fifo_high_throughput: bool
    drain_seconds: float | None
    alarm_age_seconds: int | None
    alarm_dlq_messages: int
    alarm_saturation_messages: int | None
    alarm_max_tasks: int | None
    alarm_stalled_minutes: int | None
    shards: int | None
    batch_size: int | None
    max_wait_time_ms: int | None
    max_concurrency: int | None
    max_retries: int | None
    retry_delay_seconds: int | None
    sink_requests_per_second: float | None
    cache_node_type: str | None
    cache_nodes: int | None
    cache_memory_bytes: int | None
    cache_connections: int | None
    cache_connections_budget: int | None
    alarm_cache_connections: int | None
    cache_pool_size_per_task: int | None
    cache_producer_connections: int | None
    sink_name: str | None
    sink_max_connections: int | None
    sink_connections_per_slot: float | None
    batch_limit: int | None
    run_seconds: float | None
    interval_seconds: int | None
    current_tasks: int | None
    current_drain_seconds: float | None
    monthly_cost_usd: float
    reasons: dict[str, str]
    findings: tuple[Finding, ...]
    target_utilization: float | None = None
    hourly_arrival_per_second: tuple[float, ...] | None = None
    time_zone: str | None = None
    scheduled_capacity: tuple[ScheduledCapacity, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")


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
            "workloads": [w.model_dump(mode="json") for w in self.workloads],
        }


# --- number formatting for reasons ----------------------------------------------------

