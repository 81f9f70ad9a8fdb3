"""`qcap doctor STACK --learn [--days N] [--fix [--write]]`: the profile beside what the queue and workers did.

Reads each service workload's history (qcap/live/learn_reading.py), estimates the profile's
quantities (capacity/learning.py) and prints profile against observed with how sure it is. With
--fix the observed values are patched into the profile (comments kept, capacity/fixing.py's
writer), the stack is planned again and what changes is printed: tasks, target, schedules,
monthly cost; --write writes the patched file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from capacity.learning import Learned, learn
from capacity.learning_profile import compare, learned_patch
from capacity.plan import Plan, WorkloadPlan, num, plan
from capacity.plan.models import Patch
from capacity.profile import Profile, ProfileError, parse_profile_yaml
from capacity.stacks import LoadedStack
from qcap.commands.tables import render_rows

# Exit 0 when every estimate is within this fraction of the profile: the profile holds.
PROFILE_HOLDS_WITHIN = 0.10


def learnable(loaded: LoadedStack, workload: str | None) -> tuple[list[tuple[int, WorkloadPlan]], list[str]]:
    """(profile index, the one lane's plan) of each workload --learn reads, and notes on those it cannot."""
    chosen, notes = [], []
    for index, w in enumerate(loaded.profile.workloads):
        if workload is not None and w.name != workload:
            continue
        lanes = [p for p in loaded.plan.workloads if p.group == w.name]
        if len(lanes) != 1:
            notes.append(f"{w.name}: {len(lanes)} queues (partitions or priorities); --learn reads one-queue workloads")
        elif lanes[0].scaling is None:
            notes.append(f"{w.name}: {lanes[0].broker} {lanes[0].mode}: --learn reads autoscaled services")
        else:
            chosen.append((index, lanes[0]))
    return chosen, notes


def profile_holds(learned: Learned, workload) -> bool:
    """Whether something was learned and every estimate is within PROFILE_HOLDS_WITHIN of the profile's value."""
    if learned.messages_per_day is None:
        return False
    return all(c.difference is None or abs(c.difference) <= PROFILE_HOLDS_WITHIN for c in compare(learned, workload))


def _value(value: float | str | None) -> str:
    return "not estimated" if value is None else value if isinstance(value, str) else num(round(value, 4))


def render_learned(console: Console, name: str, learned: Learned, profile: Profile, index: int) -> bool:
    """Print one workload's comparison; True when every estimate is within PROFILE_HOLDS_WITHIN of the profile."""
    gaps = f", {len(learned.missing_days)} day(s) missing" if learned.missing_days else ""
    console.print(f"\n[bold]{escape(name)}[/]: {learned.verdict}, confidence {learned.confidence}: "
                  f"{learned.complete_days} whole day(s) in {learned.days_asked:g} read{gaps}, "
                  f"{learned.missing_hours} hour(s) missing in them; hours in {learned.time_zone}", highlight=False)
    holds = learned.messages_per_day is not None
    if holds:
        rows, reasons = [], []
        for c in compare(learned, profile.workloads[index]):
            off = c.difference
            holds = holds and (off is None or abs(off) <= PROFILE_HOLDS_WITHIN)
            rows.append([escape(c.field), _value(c.profile), _value(c.observed),
                         "" if off is None else f"{off:+.0%}"])
            reasons.append(c.how_sure)
        render_rows(console, "profile against observed", [("field", "left"), ("profile", "right"),
                    ("observed", "right"), ("difference", "right")], rows, "how sure", reasons)
        shape = " ".join(f"{m:.2f}" for m in learned.hourly_multipliers or ())
        console.print(f"  observed hourly_multipliers (hour 0 first): {shape}", markup=False, highlight=False)
        if learned.weekend_hourly_multipliers:
            weekend = " ".join(f"{m:.2f}" for m in learned.weekend_hourly_multipliers)
            console.print(f"  weekend hourly_multipliers: {weekend}", markup=False, highlight=False)
    for note in learned.notes:
        console.print(f"  note: {note}", markup=False, highlight=False)
    return holds


def _fleet(w: WorkloadPlan) -> str:
    floors = ", ".join(f"{a.hour:02d}h:{a.min_capacity}" for a in w.scaling.scheduled_capacity) if w.scaling else ""
    target = num(w.scaling.target_backlog_per_task) if w.scaling else "n/a"
    return f"{w.min_capacity}-{w.max_capacity} tasks, target {target}" + (f", floors {floors}" if floors else "")


def render_changes(console: Console, before: Plan, after: Plan) -> None:
    """Tasks, target, schedules and monthly cost of each lane, before and after the patch."""
    old = {w.name: w for w in before.workloads}
    for w in after.workloads:
        was = old.get(w.name)
        if was is None:
            continue
        console.print(f"  {escape(w.name)}: {escape(_fleet(was))}, ${num(was.monthly_cost_usd)}/month\n"
                      f"    -> {escape(_fleet(w))}, ${num(w.monthly_cost_usd)}/month", highlight=False)
    console.print(f"  stack: ${num(before.monthly_cost_usd)}/month -> ${num(after.monthly_cost_usd)}/month",
                  highlight=False)


def patched(path: Path, text: str, patch: Patch) -> tuple[str, Profile, Plan]:
    """The profile text with the patch applied (comments kept), its profile and its plan; ProfileError if invalid."""
    from ruamel.yaml.comments import CommentedSeq

    from capacity.fixing import edit_yaml  # ruamel.yaml: only --fix edits a profile

    def flow(value: object) -> object:
        """A list written on one line, [a, b, ...], as profiles write their multipliers."""
        if not isinstance(value, list):
            return value
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()
        return seq

    new_text = edit_yaml(text, {path: flow(value) for path, value in patch.items()})
    profile = parse_profile_yaml(new_text, path)
    return new_text, profile, plan(profile)


def fix(console: Console, loaded: LoadedStack, patch: Patch, write: bool) -> Plan | None:
    """Print the diff and the changes the observed values make; write the file with `write`."""
    import difflib

    if not patch:
        console.print("\nnothing to patch: no workload was learned", highlight=False)
        return None
    text = loaded.path.read_text()
    try:
        new_text, _, new_plan = patched(loaded.path, text, patch)
    except ProfileError as exc:
        console.print(f"\n[yellow]not patched[/]: the observed values make an invalid profile: "
                      f"{escape('; '.join(exc.problems))}", highlight=False)
        return None
    diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                        fromfile=str(loaded.path), tofile=f"{loaded.path} (observed)"))
    console.print("")
    console.print(diff, markup=False, highlight=False, end="")
    if write:
        loaded.path.write_text(new_text)
    where = f"written to {loaded.path}" if write else "not written (add --write to apply it)"
    console.print(f"[bold]{len(patch)} value(s) set[/], {escape(where)}; the plan changes:", highlight=False)
    render_changes(console, loaded.plan, new_plan)
    return new_plan


def run_learn(console: Console, loaded: LoadedStack, chosen: list[tuple[int, WorkloadPlan]],
              histories: list, do_fix: bool, write: bool, as_json: bool) -> bool:
    """Learn each chosen workload from its history, print it (and the fix); True when the profile holds."""
    holds, patch, report = True, {}, []
    for (index, lane), history in zip(chosen, histories):
        w = loaded.profile.workloads[index]
        zone = w.traffic.daily_shape.time_zone if w.traffic.daily_shape else "UTC"
        learned = learn(history, zone)
        patch.update(learned_patch(learned, w, index))
        if as_json:
            report.append({"workload": w.name, **json.loads(json.dumps(asdict(learned), default=str))})
            holds = profile_holds(learned, w) and holds
        else:
            holds = render_learned(console, w.name, learned, loaded.profile, index) and holds
    if as_json:
        typer.echo(json.dumps({"stack": loaded.name, "learned": report, "patch": patch}, indent=2))
    elif do_fix or write:
        fix(console, loaded, patch, write)
    return holds
