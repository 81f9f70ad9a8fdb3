"""The planner: derive every provisioned number from a profile, each with its reason.

`plan(profile)` never raises for a profile that validated: a plan that cannot meet its
objective is a result (`feasible: false`) naming the binding limit, the shortfall and the
fix. docs/plan.md states every formula in words; docs/architecture.md says where each is decided.

Where each number is decided:
- `service.py`: a service fleet's max capacity (peak, backlog drain, caps from `caps.py`);
- `autoscaling.py`: min capacity, the backlog-per-task target, cooldowns;
- `retention.py` / `delivery.py`: retention and DLQ retention / visibility and receives;
- `scheduled.py`, `cloudflare.py`, `cache.py`: the other consumer kinds and the Redis cache;
- `alarms.py`, `costs.py`: alarm thresholds and the monthly cost.
"""

from capacity.plan.formatting import duration, num
from capacity.plan.models import Finding, Plan, ScheduledCapacity, WorkloadPlan
from capacity.plan.stack import plan

__all__ = ["Finding", "Plan", "ScheduledCapacity", "WorkloadPlan", "duration", "num", "plan"]
