"""The derived numbers of one workload (backlog, flow, drain ETA, tasks needed, ...), each checkable from its facts.

What every verdict is computed from; the formulas are in qcap.live.drain, stated in docs/doctor.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capacity.plan import WorkloadPlan
from qcap.live.drain import (
    DlqGrowth,
    Flow,
    TasksNeeded,
    clear_seconds,
    dlq_growth,
    drain_eta_seconds,
    flow,
    is_steady,
    latest,
    messages_at_risk,
    tasks_needed,
    wait_seconds,
)
from qcap.live.facts import WorkloadFacts


@dataclass(frozen=True)
class Computed:
    """The derived numbers of one workload, each checkable from the facts."""

    backlog: int
    oldest_age_seconds: float
    flow: Flow
    eta_seconds: float
    wait_seconds: float
    clear_seconds: float
    at_risk: int
    tasks: TasksNeeded
    fleet_per_second: float | None
    dlq: DlqGrowth
    age_measured: bool = True
    """False when CloudWatch had no ApproximateAgeOfOldestMessage datapoint in the window."""

    @property
    def keeps_pace(self) -> bool:
        """Outflow matches inflow and what waits clears within the objective's reach: no backlog to drain."""
        return math.isinf(self.eta_seconds) and is_steady(self.flow.inflow_per_second, self.flow.outflow_per_second)


def compute(plan: WorkloadPlan, facts: WorkloadFacts) -> Computed:
    """Every derived number for a workload whose queue exists."""
    queue = facts.queue
    assert queue is not None
    f = flow(facts.history)
    backlog = queue.backlog
    age = latest(facts.history.oldest_age) or 0.0
    eta = drain_eta_seconds(backlog, f.inflow_per_second, f.outflow_per_second)
    clear = clear_seconds(backlog, f.inflow_per_second, f.outflow_per_second)
    tasks = tasks_needed(
        f.inflow_per_second,
        backlog,
        age,
        queue.retention_seconds,
        plan.max_age_seconds,
        plan.per_task_messages_per_second,
    )
    fleet = (
        facts.service.running * plan.per_task_messages_per_second if facts.service and facts.service.found else None
    )
    return Computed(
        backlog=backlog,
        oldest_age_seconds=age,
        age_measured=bool(facts.history.oldest_age),
        flow=f,
        eta_seconds=eta,
        wait_seconds=wait_seconds(backlog, f.outflow_per_second),
        clear_seconds=clear,
        at_risk=messages_at_risk(backlog, age, clear, queue.retention_seconds),
        tasks=tasks,
        fleet_per_second=fleet,
        dlq=dlq_growth(facts.history.dlq_visible, facts.dlq_visible),
    )
