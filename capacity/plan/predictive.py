"""Predictive scaling of a service fleet (`autoscaling.predictive`): the policy's numbers and when it is worth it.

Application Auto Scaling forecasts each hour's load from the queue's last 14 days and launches the
tasks that load needs, `scheduling_buffer_seconds` before the hour. The load metric is the messages
arriving (SQS NumberOfMessagesSent; a Redis queue's MessagesProcessed), the scaling metric the
messages a running task handles a minute, its target per_task x target utilization x 60. Scheduled
floors (plan/floors.py) do the same from the profile's daily_shape; which suffices is a matter of
how alike the days are, which `qcap doctor --learn` measures and `qcap simulate --predictive` compares.
"""

from __future__ import annotations

from capacity import limits
from capacity.learning import HIGH_CONFIDENCE_SPREAD
from capacity.plan.autoscaling import Autoscaling, reaction_seconds
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import duration, num
from capacity.plan.models import PredictivePlan
from capacity.profile import Workload

SECONDS_PER_MINUTE = limits.SECONDS_PER_MINUTE


def plan_predictive(d: Derivation, workload: Workload, per_task: float, scaling: Autoscaling,
                    age: float) -> PredictivePlan | None:
    """The predictive policy the profile asks for (None when it asks for none), with its reason and advice."""
    choice = workload.autoscaling.predictive
    if choice is None:
        return None
    utilization = scaling.target_utilization or limits.TARGET_UTILIZATION
    target = round(per_task * utilization * SECONDS_PER_MINUTE, 4)
    buffer = workload.autoscaling.scheduling_buffer_seconds
    d.reasons["predictive"] = (
        f"{limits.PREDICTIVE_MODES[choice]}: launch {duration(buffer)} before each forecast hour; a task handles "
        f"{num(target)} messages a minute at target = per_task {num(per_task)} x utilization {num(utilization)} x 60. "
        + predictive_advice(workload, scaling, age)
    )
    return PredictivePlan(mode=limits.PREDICTIVE_MODES[choice], scheduling_buffer_seconds=buffer,
                          target_messages_per_task_per_minute=target)


def predictive_advice(workload: Workload, scaling: Autoscaling, age: float) -> str:
    """When scheduled floors from the daily shape suffice, and when predictive scaling is worth it."""
    reaction = reaction_seconds()
    if age >= reaction:
        return (f"The objective ({duration(age)}) outlasts the autoscaler's reaction ({duration(reaction)}), so "
                "target tracking alone keeps up: predictive scaling only saves the backlog a surge builds")
    if workload.traffic.daily_shape is None:
        return (f"The objective ({duration(age)}) is shorter than the autoscaler's reaction ({duration(reaction)}) "
                "and the profile has no daily_shape for scheduled floors: predictive scaling learns the shape "
                "itself (after 24 h of history) and is worth it")
    floors = "scheduled floors follow the daily_shape" if scaling.scheduled else "the plan needs no scheduled floors"
    return (f"The objective ({duration(age)}) is shorter than the autoscaler's reaction ({duration(reaction)}); "
            f"{floors}. They suffice while the days repeat the shape (qcap doctor --learn: spread of days within "
            f"{HIGH_CONFIDENCE_SPREAD:.0%}, weekends alike); predictive scaling is worth it when they do not, since "
            f"it follows the last {limits.PREDICTIVE_FORECAST_HISTORY_DAYS} days instead")
