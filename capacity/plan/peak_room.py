"""Max capacity with room for the fleet target tracking rests at in the peak, under the chosen utilization.

Max capacity is first sized for the peak at the planning utilization; when simulation then
chooses a lower utilization, target tracking rests above that size at the peak and the fleet
sits at its ceiling (and pages) while the objective holds. This step raises max capacity to
one task above the band the fleet rests in at the peak, unless a downstream limit caps it, and
then says so in the reason and a warning.
"""

from __future__ import annotations

import math
from dataclasses import replace

from capacity import limits
from capacity.plan.caps import Cap
from capacity.plan.derivation import Derivation
from capacity.plan.formatting import num
from capacity.plan.resting import needs_peak_room, resting_peak_tasks


def room_ceiling(record: Derivation, caps: list[Cap]) -> float | None:
    """How far room_for_resting_peak may raise max capacity: the tightest cap's tasks (inf without a cap), or
    None where the user set max_capacity, which stays."""
    if record.overridden("max_capacity"):
        return None
    return min((cap.tasks for cap in caps), default=math.inf)


def room_for_resting_peak(record: Derivation, fleet, caps: list[Cap], peak: float, mu: float, utilization: float,
                          min_capacity: int):
    """The fleet with max capacity one task above the resting fleet at the peak (as far as the tightest cap
    allows), so a fleet resting at the peak is not at its ceiling; a fleet pinned at min = max = the resting
    fleet has no tasks-at-max alarm and keeps its size."""
    if not needs_peak_room(peak, mu, utilization, min_capacity, fleet.max_capacity):
        return fleet
    resting, top = resting_peak_tasks(peak, mu, utilization)
    band = f"{resting}" if top == resting else f"{resting}-{top}"
    head = (f"target tracking at utilization {utilization:g} rests at {band} tasks at the peak (from ceil(peak "
            f"{num(round(peak, 3))} / ({num(mu)} x {utilization:g})) up to the fleet scale-in may leave at "
            f"{round(limits.TARGET_TRACKING_SCALE_IN_FRACTION * 100)}% of the target)")
    wanted = top + 1
    if record.overridden("max_capacity"):
        record.warn("peak resting fleet",
                    f"max_capacity {fleet.max_capacity} (set in overrides) leaves no room above the resting fleet: "
                    f"{head}, so the fleet sits at its ceiling every peak and the tasks-at-max alarm pages",
                    f"set overrides.max_capacity to {wanted} (or remove it)", {"overrides.max_capacity": wanted})
        return fleet
    tightest = min(caps, key=lambda cap: cap.tasks, default=None)
    value = wanted if tightest is None else min(wanted, tightest.tasks)
    capped = value < wanted
    if value > fleet.max_capacity:
        why = (f"{record.reasons['max_capacity']}; raised to {value}: {head}, and one task more, so a fleet resting "
               "at the peak is below its ceiling and the tasks-at-max alarm pages only when it wants more")
        if capped:
            why = (f"{record.reasons['max_capacity']}; raised to {value}: {head}, as far as {tightest.limit} "
                   f"allows")
        record.values["max_capacity"] = record.planned["max_capacity"] = value
        record.reasons["max_capacity"] = why
        if capped:
            record.binding = tightest.limit
        fleet = replace(fleet, max_capacity=value, capped_by=tightest if capped else fleet.capped_by,
                        binding=tightest.limit if capped else fleet.binding)
    if capped:
        record.reasons["max_capacity"] += (f"; no room above the resting fleet {band} at the peak: "
                                           f"{tightest.limit} caps it at {tightest.tasks} ({tightest.detail})")
        hotter = " and runs hotter than the chosen utilization" if value < resting else ""
        record.warn("peak resting fleet",
                    f"{head}, but {tightest.limit} caps max_capacity at {tightest.tasks} ({tightest.detail}): the "
                    f"fleet sits at its ceiling every peak{hotter}, so the tasks-at-max alarm pages at each peak",
                    tightest.fix)
    return fleet
