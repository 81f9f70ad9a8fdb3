"""The figure `qcap simulate --png` writes: arrivals and throughput, backlog, age of the oldest, the fleet.

Each fleet has its own colour and its own line style (solid, dashed, dotted) so overlapping
fleets stay apart; the age axis turns logarithmic when the run's ages span more than
AGE_LOG_SCALE_SPAN times the objective; the objective, the retention and the end of each
fleet's drain are marked; task ticks are whole tasks; titles say what the broker's "tasks" are.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from capacity import scenarios as sc
from capacity.plan import WorkloadPlan, duration
from capacity.profile import Broker, ConsumerMode
from capacity.simulate import SimulationResult

FIGURE_SIZE_INCHES = (13, 11)
FIGURE_TITLE_CHARS = 110
FIGURE_DPI = 110
# Fleets drawn in this order: colour, line style, line width. The first (the plan) is widest and
# lowest, each later one narrower and on top, so fleets that coincide still all show.
FLEET_STYLES = (("tab:blue", "-", 3.0), ("tab:orange", "--", 1.8), ("tab:green", ":", 1.8), ("tab:purple", "-.", 1.2))
# The age axis goes logarithmic when the largest age is more than this many objectives.
AGE_LOG_SCALE_SPAN = 20
# Smallest age drawn on a log axis (ages of 0 s sit here).
AGE_LOG_FLOOR_SECONDS = 1.0
MINUTES_PER_HOUR = 60


def tasks_title(lane: WorkloadPlan) -> str:
    """What the fleet panel shows, by broker and mode."""
    if lane.broker == Broker.cloudflare:
        return "Busy consumer invocations (Cloudflare Workers)"
    if lane.mode == ConsumerMode.scheduled:
        return "Running tasks (one scheduled run at a time)"
    return f"Running tasks ({'Redis' if lane.broker == 'redis' else 'SQS'} consumers on Fargate)"


def drain_end_hours(result: SimulationResult) -> float | None:
    """Hours from the start to the end of the drain after the peak backlog (None: none, or it never ends)."""
    backlog = result.timeline.backlog_messages
    if backlog.size == 0 or result.drain_seconds is None or result.peak_backlog_messages < 1:
        return None
    peak_minute = int(np.argmax(backlog))
    return (peak_minute * 60 + result.drain_seconds) / 3600


def _legend_label(lane: WorkloadPlan, r: SimulationResult) -> str:
    if lane.broker == Broker.cloudflare or lane.mode == ConsumerMode.scheduled:
        return f"{r.fleet} ({r.task_launches} {'invocations' if lane.broker == 'cloudflare' else 'runs'} started)"
    return f"{r.fleet} ({r.task_launches} launches, {r.scale_out_actions + r.scale_in_actions} scaling actions)"


def write_figure(path: Path, lane: WorkloadPlan, scenario: sc.Scenario, results: list[SimulationResult]) -> None:
    """Arrivals vs throughput, backlog, age of oldest against objective and retention, and the fleet, over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(4, 1, figsize=FIGURE_SIZE_INCHES, sharex=True)
    first = results[0]
    hours = first.timeline.minutes / MINUTES_PER_HOUR
    largest_age = max(float(r.timeline.max_age_seconds.max()) if r.timeline.max_age_seconds.size else 0.0 for r in results)
    log_age = largest_age > AGE_LOG_SCALE_SPAN * lane.max_age_seconds
    for index, r in enumerate(results):
        colour, style, width = FLEET_STYLES[index % len(FLEET_STYLES)]
        common = dict(color=colour, ls=style, lw=width, zorder=2 + index)
        axes[0].plot(hours, r.timeline.throughput_per_second, label=f"throughput: {r.fleet}", **common)
        axes[1].plot(hours, r.timeline.backlog_messages, label=r.fleet, **common)
        ages = r.timeline.max_age_seconds
        axes[2].plot(hours, np.maximum(ages, AGE_LOG_FLOOR_SECONDS) if log_age else ages, label=r.fleet, **common)
        axes[3].step(hours, np.rint(r.timeline.tasks), where="post", label=_legend_label(lane, r), **common)
        end = drain_end_hours(r)
        if end is not None and scenario.name == "drain":
            for ax in axes:
                ax.axvline(end, color=colour, ls=style, lw=0.9, alpha=0.8)
            axes[1].annotate(f"drained: {duration(r.drain_seconds)}", (end, 0), xytext=(4, 12 + 12 * index),
                             textcoords="offset points", color=colour, fontsize=8)
    axes[0].plot(hours, first.timeline.arrivals_per_second, color="black", ls=(0, (4, 2)), lw=1.0, label="arrivals", zorder=5)
    axes[2].axhline(lane.max_age_seconds, color="red", ls="--", lw=1.2, label=f"objective {duration(lane.max_age_seconds)}")
    if log_age or largest_age > lane.retention_seconds / 10:
        axes[2].axhline(lane.retention_seconds, color="darkred", ls="-.", lw=1.2,
                        label=f"retention {duration(lane.retention_seconds)} (older messages are deleted)")
    if log_age:
        axes[2].set_yscale("log")
        axes[2].set_ylim(bottom=AGE_LOG_FLOOR_SECONDS)
    axes[0].set_ylim(bottom=0)
    axes[1].set_ylim(bottom=0, top=max(1.0, max(float(r.timeline.backlog_messages.max(initial=0)) for r in results) * 1.05))
    axes[0].set_ylabel("messages / s")
    axes[0].set_title("Arrivals and throughput")
    axes[1].set_ylabel("messages waiting")
    axes[1].set_title("Backlog (visible messages)")
    axes[2].set_ylabel("seconds" + (" (log scale)" if log_age else ""))
    axes[2].set_title("Age of the oldest message against the objective")
    axes[3].set_ylabel("tasks" if lane.broker != Broker.cloudflare else "invocations")
    axes[3].set_title(tasks_title(lane))
    axes[3].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[3].set_ylim(bottom=0)
    axes[3].set_xlabel("time since start (hours)")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
    title = textwrap.fill(f"qcap simulate: {lane.name} ({lane.broker}), {scenario.description}", FIGURE_TITLE_CHARS)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)
