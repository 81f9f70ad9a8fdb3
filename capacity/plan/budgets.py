"""Shared budgets: a sink's rate, bandwidth and connections, and Redis maxclients, split across who uses them.

A sink serves every lane of a workload (its partitions and priority levels) and every
workload that names the same sink (`sink.name`); a Redis server's maxclients serves every
lane of its workload. Judging each lane against the whole budget counts it once per lane.
Each lane gets the fraction of a budget that matches its share of the demand at the peak
(or, for a lane with a backlog, at the rate it drains it, when that is higher):
- sink request rate: peak / messages per request (requests/s; a Cloudflare batch goes out in
  ceil(batch / messages_per_request) requests; a scheduled run sends at concurrency /
  processing_seconds / messages_per_request);
- sink bandwidth: peak x message_bytes (bytes/s);
- sink connections: peak x processing_seconds x connections_per_slot (connections busy at
  the peak, by Little's law); a scheduled run holds concurrency x connections_per_slot;
- Redis maxclients: the lane's share of the workload's traffic.
Within one workload every lane has the same per-message figures, so its fraction is its
traffic share (1/partitions, or a priority's share).
"""

from __future__ import annotations

import math
from collections import defaultdict

from capacity import limits
from capacity.plan.lanes import Lane, LaneBudgets, Share, lanes_of
from capacity.profile import Broker, ConsumerMode, Profile, Workload

BUDGETS = ("requests", "bandwidth", "connections")




def _demand(w: Workload, lane: Lane, budget: str) -> float:
    """What one lane asks of a budget at its peak (or while it drains its backlog, if that asks more)."""
    t, c, sink = w.traffic, w.consumer, w.sink
    assert sink is not None
    average = t.messages_per_day / limits.SECONDS_PER_DAY
    draining = average + t.backlog_messages / (w.objective.drain_backlog_within_hours * limits.SECONDS_PER_HOUR)
    peak = max(t.peak_messages_per_second or average * (t.peak_to_average or 1.0), draining) * lane.share
    scheduled = c.mode is ConsumerMode.scheduled
    fit = max(1, sink.max_request_bytes // t.message_bytes) if sink.max_request_bytes else None
    if budget == "requests":
        if w.broker is Broker.cloudflare:
            batch = w.overrides.batch_size or min(limits.CLOUDFLARE_MAX_BATCH_SIZE, c.receive_batch, fit or c.receive_batch)
            return peak / batch * math.ceil(batch / sink.messages_per_request)
        if scheduled:  # a run sends at the consumer's pace, whatever the arrivals
            return c.concurrency_per_task / c.processing_seconds / sink.messages_per_request
        return peak / min(sink.messages_per_request, fit or sink.messages_per_request)
    if budget == "bandwidth":
        return peak * t.message_bytes
    if scheduled:
        return c.concurrency_per_task * sink.connections_per_slot
    return peak * c.processing_seconds * sink.connections_per_slot


def _uses(w: Workload, budget: str) -> bool:
    sink = w.sink
    if sink is None:
        return False
    if budget == "requests":
        return sink.requests_per_second is not None
    if budget == "bandwidth":
        return sink.bytes_per_second is not None and w.consumer.mode is not ConsumerMode.scheduled
    return sink.max_connections is not None and w.broker is not Broker.cloudflare


def shared_budgets(profile: Profile) -> dict[str, LaneBudgets]:
    """Each lane's (by queue name) shares of the budgets it shares with other lanes."""
    lanes = [(w, lane) for w in profile.workloads for lane in lanes_of(w)]
    shares: dict[str, dict[str, Share]] = defaultdict(dict)
    for budget in BUDGETS:
        users: dict[str, list[tuple[Workload, Lane, float]]] = defaultdict(list)
        for w, lane in lanes:
            if _uses(w, budget):
                users[w.sink.name].append((w, lane, _demand(w, lane, budget)))
        for sink_name, group in users.items():
            if len(group) < 2:
                continue
            total = sum(demand for _, _, demand in group) or 1.0
            workloads = sorted({w.name for w, _, _ in group})
            if len(workloads) == 1:
                note = f"{len(group)} lanes of {workloads[0]} share {sink_name}"
            else:
                note = (f"{len(group)} queues of {', '.join(workloads)} share {sink_name}, split by their demand "
                        "at the peak")
            for w, lane, demand in group:
                fraction = demand / total if total else 1 / len(group)
                shares[lane.name][budget] = Share(fraction, note)
    for w, lane_list in ((w, lanes_of(w)) for w in profile.workloads):
        if w.broker is Broker.redis and len(lane_list) > 1:
            for lane in lane_list:
                shares[lane.name]["redis_clients"] = Share(
                    lane.share, f"{len(lane_list)} lanes of {w.name} share its Redis maxclients"
                )
    return {
        name: LaneBudgets(**{k: v for k, v in by_budget.items()})
        for name, by_budget in shares.items()
    }
