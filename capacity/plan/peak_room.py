"""Max capacity with room for the fleet target tracking rests at in the peak, under the chosen utilization.

Max capacity is first sized for the peak at the planning utilization; when simulation then
chooses a lower utilization, target tracking rests above that size at the peak and the fleet
sits at its ceiling (and pages) while the objective holds. This step raises max capacity to
that resting fleet, unless a downstream limit caps it, and then says so.
"""

from __future__ import annotations

from dataclasses import replace

from capacity.plan.autoscaling import resting_peak_tasks
from capacity.plan.caps import Cap
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num


def room_for_resting_peak(record: Derivation, fleet, caps: list[Cap], peak: float, mu: float, utilization: float):
    """The fleet with max capacity >= the resting fleet at the peak (as far as the tightest cap allows)."""
    resting = resting_peak_tasks(peak, mu, utilization)
    if resting <= fleet.max_capacity:
        return fleet
    head = (f"target tracking at utilization {utilization:g} rests at ceil(peak {num(round(peak, 3))} / "
            f"({num(mu)} x {utilization:g})) = {resting} tasks at the peak")
    if record.overridden("max_capacity"):
        record.warn("peak resting fleet",
                    f"max_capacity {fleet.max_capacity} (set in overrides) is below the resting fleet: {head}, so the "
                    "fleet sits at its ceiling every peak",
                    f"set overrides.max_capacity to {resting} (or remove it)", {"overrides.max_capacity": resting})
        return fleet
    tightest = min(caps, key=lambda cap: cap.tasks, default=None)
    value = resting if tightest is None else min(resting, tightest.tasks)
    if value > fleet.max_capacity:
        why = f"{record.reasons['max_capacity']}; raised to {value}: {head}, and max capacity leaves room for it"
        if value < resting:
            why += f" as far as {tightest.limit} allows ({tightest.tasks} tasks)"
        record.values["max_capacity"] = record.planned["max_capacity"] = value
        record.reasons["max_capacity"] = why
        binding = tightest.limit if value < resting else fleet.binding
        record.binding = binding
        fleet = replace(fleet, max_capacity=value, capped_by=tightest if value < resting else fleet.capped_by,
                        binding=binding)
    if value < resting:
        record.reasons["max_capacity"] += (f"; short of the resting fleet {resting} at the peak: {tightest.limit} "
                                           f"caps it at {tightest.tasks} ({tightest.detail})")
        record.warn("peak resting fleet",
                    f"{head}, but {tightest.limit} caps max_capacity at {tightest.tasks} ({tightest.detail}): the "
                    "fleet sits at its ceiling every peak and runs hotter than the chosen utilization",
                    tightest.fix)
    return fleet
