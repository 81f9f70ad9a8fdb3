"""`qcap simulate` through the CLI: the table, --json, --png, bad input; and render_verification."""

from __future__ import annotations

import io
import json

from rich.console import Console
from typer.testing import CliRunner

from capacity.plan import num, plan
from capacity.profile import load_profile, resolve_stack
from qcap.cli import app
from qcap.commands.simulate import render_verification

runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_simulate_prints_each_fleet_side_by_side_with_its_figures():
    result = runner.invoke(app, ["simulate", "event-backlog"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for heading in ("plan autoscaling", "static 15 tasks (the fewest that hold)", "CDK default scaling", "task-hours / lower bound",
                    "max age of oldest", "p99 age of oldest", "minutes over 5 min", "peak backlog", "drain time",
                    "cost (USD)", "task launches", "scaling actions (out / in)", "longest at one size"):
        assert heading in result.output
    assert "1.14x" in result.output  # plan autoscaling against the lower bound, seed 004's diurnal day
    assert "16-16" in result.output and "24 h" in result.output  # the plan's fleet holds its raised min all day
    assert "360" in result.output  # the static fleet: 15 tasks x 24 h


def test_simulate_json_has_one_result_per_fleet_with_every_figure():
    result = runner.invoke(app, ["simulate", "event-backlog", "--scenario", "spike", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (workload,) = data["workloads"]
    assert workload["scenario"] == "spike"
    assert [r["fleet"] for r in workload["results"]] == ["plan autoscaling", "static 15 tasks (the fewest that hold)",
                                                         "CDK default scaling"]
    keys = {"max_age_seconds", "p99_age_seconds", "minutes_over_objective", "peak_backlog_messages", "drain_seconds",
            "task_hours", "cost_usd", "lower_bound_task_hours", "task_hours_ratio", "objective_met"}
    assert keys <= set(workload["results"][0])
    static = workload["results"][1]
    assert static["task_hours"] == 15 * 24 and static["objective_met"]


def test_the_static_peer_is_the_fewest_tasks_that_hold_the_run_and_one_fewer_misses():
    from capacity import scenarios as sc
    from capacity.simulate import Settings, StaticFleet, simulate
    from capacity.simulation_inputs import model_from_plan

    profile = load_profile(resolve_stack("event-backlog"))
    lane = plan(profile).workloads[0]
    model = model_from_plan(lane, profile.workloads[0].sink)
    shape = (lane.arrival_average_per_second, lane.arrival_peak_per_second, lane.arrival_trough_per_second,
             lane.scaling.hourly_arrival_per_second)
    result = runner.invoke(app, ["simulate", "event-backlog", "--seed", "7", "--json"])
    assert result.exit_code == 0, result.output
    static = json.loads(result.stdout)["workloads"][0]["results"][1]
    tasks = int(static["fleet"].split()[1])
    assert static["objective_met"] and tasks < lane.max_capacity
    fewer = simulate(model, StaticFleet(tasks - 1), sc.design_day(*shape), Settings(random_seed=7))
    # Held, as the search judges it: the objective met, and what is left cleared before its oldest is due.
    left_clears_seconds = fewer.messages_left / ((tasks - 1) * model.per_task_messages_per_second)
    assert not (fewer.objective_met and fewer.timeline.max_age_seconds[-1] + left_clears_seconds
                <= fewer.objective_seconds)


def test_simulate_png_writes_a_png_figure(tmp_path):
    path = tmp_path / "run.png"
    result = runner.invoke(app, ["simulate", "dev", "--scenario", "drain", "--png", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_simulate_exits_2_and_lists_the_workloads_when_the_workload_is_unknown():
    result = runner.invoke(app, ["simulate", "job-queues", "--workload", "nope"])
    assert result.exit_code == 2
    assert "no workload 'nope' in this stack; have: jobs, jobs-0" in result.output
    assert "notify-high" in result.output


def test_simulate_exits_2_naming_the_line_when_the_trace_is_bad(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T00:00:00Z,x\n")
    result = runner.invoke(app, ["simulate", "dev", "--scenario", "trace", "--trace", str(path)])
    assert result.exit_code == 2
    assert "line 2, column 2 (Sum): 'x' is not a number" in result.output


def test_simulate_exits_2_when_a_trace_scenario_has_no_file():
    result = runner.invoke(app, ["simulate", "dev", "--scenario", "trace"])
    assert result.exit_code == 2
    assert "--scenario trace needs --trace FILE" in result.output


def test_simulate_runs_a_trace_split_across_partitions_by_share(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("Messages\n" + "\n".join(["600"] * 120) + "\n")
    result = runner.invoke(app, ["simulate", "job-queues", "--workload", "jobs", "--scenario", "trace",
                                 "--trace", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["workloads"]) == 4
    assert data["workloads"][0]["results"][0]["messages_arrived"] == 600 * 120 / 4


def _flat_trace(path, start: str | None, minutes: int = 120, per_minute: int = 6000):
    """A CSV of a flat rate, with timestamps from `start` (ISO 8601) or none."""
    from datetime import datetime, timedelta

    if start is None:
        path.write_text("NumberOfMessagesSent\n" + f"{per_minute}\n" * minutes)
        return path
    first = datetime.fromisoformat(start)
    rows = [f"{(first + timedelta(minutes=m)).isoformat()},{per_minute}" for m in range(minutes)]
    path.write_text("Timestamp,NumberOfMessagesSent\n" + "\n".join(rows) + "\n")
    return path


def _own_fleet(tmp_path, name, start):
    trace = _flat_trace(tmp_path / f"{name}.csv", start)
    result = runner.invoke(app, ["simulate", "track-points", "--scenario", "trace", "--trace", str(trace), "--json"])
    assert result.exit_code == 0, result.output
    (workload,) = json.loads(result.stdout)["workloads"]
    return workload["description"], workload["results"][0]


def test_a_timestamped_trace_meets_the_schedule_in_force_at_its_own_hour(tmp_path):
    # track-points schedules 1 task at night and 5 from 16:00 London: the same traffic costs more in the evening.
    night_says, night = _own_fleet(tmp_path, "night", "2026-03-02T03:00:00+00:00")
    evening_says, evening = _own_fleet(tmp_path, "evening", "2026-03-02T16:00:00+00:00")
    assert "starts 2026-03-02 03:00 Europe/London" in night_says
    assert "starts 2026-03-02 16:00 Europe/London" in evening_says
    assert night["smallest_fleet"] < 5 <= evening["smallest_fleet"]
    assert evening["task_hours"] > night["task_hours"]


def test_a_trace_in_another_offset_is_read_in_the_schedules_time_zone(tmp_path):
    says, _ = _own_fleet(tmp_path, "new-york", "2026-07-01T09:00:00-04:00")
    assert "starts 2026-07-01 14:00 Europe/London" in says  # 13:00 UTC, British Summer Time


def test_a_trace_without_timestamps_says_it_assumes_local_midnight(tmp_path):
    says, plain = _own_fleet(tmp_path, "plain", None)
    _, midnight = _own_fleet(tmp_path, "midnight", "2026-03-02T00:00:00+00:00")
    assert "starts 00:00 Europe/London (no timestamps: assumed)" in says
    assert plain["task_hours"] == midnight["task_hours"]


def test_start_hour_sets_when_a_trace_without_timestamps_starts(tmp_path):
    trace = _flat_trace(tmp_path / "plain.csv", None)
    result = runner.invoke(app, ["simulate", "track-points", "--scenario", "trace", "--trace", str(trace),
                                 "--start-hour", "16", "--json"])
    assert result.exit_code == 0, result.output
    (workload,) = json.loads(result.stdout)["workloads"]
    _, evening = _own_fleet(tmp_path, "evening", "2026-03-02T16:00:00+00:00")
    assert workload["description"].endswith("; starts 16:00 Europe/London")
    assert workload["results"][0]["task_hours"] == evening["task_hours"]


def test_start_hour_is_refused_for_a_trace_whose_timestamps_say_when_it_starts(tmp_path):
    trace = _flat_trace(tmp_path / "night.csv", "2026-03-02T03:00:00+00:00")
    result = runner.invoke(app, ["simulate", "track-points", "--scenario", "trace", "--trace", str(trace),
                                 "--start-hour", "9"])
    assert result.exit_code == 2
    assert "--start-hour: the trace's timestamps already say when it starts" in result.output


def _night_run(*extra):
    result = runner.invoke(app, ["simulate", "track-points", "--start-hour", "2", "--days", "0.02", "--json",
                                 *extra])
    assert result.exit_code == 0, result.output
    (workload,) = json.loads(result.stdout)["workloads"]
    return workload


def test_a_first_deploy_at_night_runs_the_tasks_the_service_is_created_with_until_the_first_action():
    running, deployed = _night_run(), _night_run("--first-deploy")
    assert running["description"].endswith("; starts 02:00 Europe/London")
    assert running["results"][0]["smallest_fleet"] == 1  # the night's floor
    assert deployed["results"][0]["smallest_fleet"] == 5  # created at the busiest floor, until 05:00


def test_render_verification_prints_each_scenario_and_returns_whether_all_hold():
    profile = load_profile(resolve_stack("session-events"))
    console = Console(record=True, width=200)
    assert render_verification(console, profile, plan(profile)) is True
    text = console.export_text()
    assert "sessions: objective holds" in text
    assert "drain" in text and "not tuned" in text


def test_render_verification_returns_false_when_an_objective_misses():
    profile = load_profile(resolve_stack("scheduled-questions"))
    console = Console(record=True, width=200)
    assert render_verification(console, profile, plan(profile)) is False
    assert "misses" in console.export_text()


def test_simulate_json_reports_churn_per_fleet():
    result = runner.invoke(app, ["simulate", "event-backlog", "--scenario", "constant", "--peak-fraction", "0.5",
                                 "--json"])
    assert result.exit_code == 0, result.output
    (workload,) = json.loads(result.stdout)["workloads"]
    assert "0.5 x the peak" in workload["description"]
    plan_run = workload["results"][0]
    assert {"task_launches", "scale_out_actions", "scale_in_actions", "longest_hold_seconds"} <= set(plan_run)
    # from ceil(3.47 / 0.5) = 7 tasks to the resting point ceil(3.47 x 2 s / 0.9) = 8 in the first hour, then still
    assert plan_run["scale_out_actions"] + plan_run["scale_in_actions"] <= 4
    assert plan_run["longest_hold_seconds"] > 22 * 3600


def test_simulate_spike_is_the_design_spike_unless_a_multiplier_asks_for_a_stress_beyond_the_peak():
    design = runner.invoke(app, ["simulate", "event-backlog", "--scenario", "spike", "--json"])
    assert json.loads(design.output)["workloads"][0]["description"].startswith("spike: 3.472 msg/s, then 6.944")
    stress = runner.invoke(app, ["simulate", "event-backlog", "--scenario", "spike", "--spike-multiplier", "3",
                                 "--json"])
    (workload,) = json.loads(stress.output)["workloads"]
    assert workload["scenario"] == "stress"
    assert workload["description"].startswith("stress (beyond the design peak 6.944 msg/s)")


def test_simulate_exits_2_when_the_peak_fraction_is_not_positive():
    result = runner.invoke(app, ["simulate", "dev", "--scenario", "constant", "--peak-fraction", "0"])
    assert result.exit_code == 2
    assert "--peak-fraction must be > 0" in result.output


def test_simulate_refuses_a_png_in_a_missing_directory_before_simulating(tmp_path):
    target = tmp_path / "missing" / "run.png"
    result = runner.invoke(app, ["simulate", "dev", "--png", str(target)], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"--png {target}: directory {target.parent} does not exist; create it first"
    ]


def test_simulate_png_without_a_suffix_reports_the_file_matplotlib_writes(tmp_path):
    result = runner.invoke(app, ["simulate", "dev", "--days", "0.05", "--png", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.png").is_file()
    assert f"figure written to {tmp_path / 'out.png'}" in result.stdout


def test_simulate_refuses_more_days_than_the_longest_retention_plus_one():
    result = runner.invoke(app, ["simulate", "dev", "--days", "1e9"])
    assert result.exit_code == 2
    assert "--days must be > 0 and <= 15 (got 1000000000.0)" in result.stderr


def test_simulate_trace_errors_are_one_line_at_40_columns_under_a_long_path(tmp_path):
    deep = tmp_path / ("a-long-directory-name-so-a-wrapped-line-would-show" * 2)
    deep.mkdir()
    path = deep / "sent.csv"
    path.write_text("Timestamp,Sum\n2025-03-01T00:00:00Z,1\n2026-03-01T00:00:00Z,1\n")
    result = runner.invoke(app, ["simulate", "dev", "--scenario", "trace", "--trace", str(path)], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"dev: {path}: the trace covers 730.0 days (2 periods of 525,600 min) from 2025-03-01")
    assert "over the 16 days allowed" in line


def test_a_long_simulation_says_each_stage_on_stderr_when_output_is_not_a_terminal(monkeypatch):
    from qcap.commands import progress

    monkeypatch.setattr(progress, "PIPE_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(progress, "PIPE_EVERY_SECONDS", 0.0)
    result = runner.invoke(app, ["simulate", "dev", "--days", "0.05", "--json"])
    assert result.exit_code == 0, result.output
    stages = result.stderr.splitlines()
    assert stages[0] == "qcap simulate: planning dev..."
    assert "qcap simulate: simulating orders: plan autoscaling..." in stages
    assert json.loads(result.stdout)["stack"] == "dev"


def test_the_results_keep_every_figure_and_fleet_name_whole_at_80_and_40_columns():
    from capacity.simulate import Settings
    from qcap.commands.progress import Progress
    from qcap.commands.simulate import ScenarioName, build_scenario, render_results, run_simulations

    profile = load_profile(resolve_stack("event-backlog"))
    stack_plan = plan(profile)
    lane = stack_plan.workloads[0]
    scenario = build_scenario(stack_plan, lane, ScenarioName.drain, 0.05, None, None, None)
    with Progress("test") as progress:
        results = run_simulations(profile, stack_plan, lane, scenario, progress, Settings())
    for width in (80, 40):
        out = io.StringIO()
        render_results(Console(file=out, width=width), lane, scenario, results)
        text = out.getvalue()
        assert "…" not in text and max(len(line.rstrip()) for line in text.splitlines()) <= width
        for r in results:
            assert all(word in text for word in r.fleet.split())  # a header may wrap between its words
            assert num(round(r.task_hours, 1)) in text and num(round(r.peak_backlog_messages)) in text
            assert f"{r.scale_out_actions} / {r.scale_in_actions}" in text
