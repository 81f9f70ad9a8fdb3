"""qcap/commands/simulate_figure.py: titles by broker, the drain's end, a log age axis when ages span far."""

from __future__ import annotations

from capacity import scenarios as sc
from capacity.plan import plan
from capacity.profile import load_profile, resolve_stack
from capacity.simulate import simulate
from capacity.simulation_inputs import comparison_fleets, model_from_plan
from qcap.commands.simulate_figure import drain_end_hours, tasks_title, write_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _lane(stack: str, name: str):
    return plan(load_profile(resolve_stack(stack))).workload(name)


def test_the_fleet_panel_is_titled_by_broker_and_mode():
    assert tasks_title(_lane("event-backlog", "events")) == "Running tasks (SQS consumers on Fargate)"
    assert tasks_title(_lane("track-points", "track-points")) == "Running tasks (Redis consumers on Fargate)"
    assert tasks_title(_lane("session-events", "sessions")) == "Busy consumer invocations (Cloudflare Workers)"
    assert "scheduled run" in tasks_title(_lane("scheduled-questions", "questions"))


def test_the_drain_ends_where_the_backlog_after_its_peak_first_empties(tmp_path):
    lane = _lane("event-backlog", "events")
    scenario = sc.drain(10_000, lane.arrival_average_per_second, days=0.25)
    results = [simulate(model_from_plan(lane), fleet, scenario) for fleet in comparison_fleets(lane)]
    # 10,000 / (20 x 0.495 - 6.94) = 3,382 s for the static fleet at max capacity
    spare = lane.max_capacity * lane.per_task_messages_per_second - lane.arrival_average_per_second
    assert round(10_000 / spare) == 3382
    assert abs(drain_end_hours(results[1]) - 10_000 / spare / 3600) < 0.05
    path = tmp_path / "drain.png"
    write_figure(path, lane, scenario, results)
    assert path.read_bytes()[:8] == PNG_MAGIC
