"""`qcap plan`: readable tables, a JSON contract, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from qcap.cli import app
from tests.factories import profile_data

runner = CliRunner()
STACKS = Path(__file__).resolve().parent.parent / "stacks"


def run(*args: str):
    return runner.invoke(app, ["plan", *args])


def test_plan_prints_values_with_reasons_and_exits_zero_for_a_feasible_stack():
    result = run("event-backlog")
    assert result.exit_code == 0, result.output
    assert "events (sqs, service) feasible" in result.output
    assert "20 = the larger of" in result.output
    assert "never: 15 tasks x 0.495 = 7.43 msg/s" in result.output
    assert "monthly cost" in result.output


def test_plan_json_is_a_contract_with_reasons_per_field():
    result = run("session-events", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    (w,) = data["workloads"]
    assert data["stack"] == "session-events"
    assert (w["shards"], w["batch_size"], w["max_wait_time_ms"], w["max_concurrency"]) == (1, 100, 200, 13)
    assert w["binding_limit"].startswith("sink request rate (Tinybird")
    assert set(w["reasons"]) >= {"shards", "batch_size", "max_wait_time_ms", "max_concurrency", "retention_seconds"}


def test_plan_exits_one_and_names_the_fix_when_a_workload_is_infeasible(tmp_path):
    path = tmp_path / "tight.yaml"
    path.write_text(yaml.safe_dump(profile_data(sink={"name": "db", "requests_per_second": 10})))
    result = run(str(path))
    assert result.exit_code == 1
    assert "INFEASIBLE" in result.output
    assert "fix: pack more messages per sink request" in result.output


def test_plan_exits_two_with_one_line_per_problem_and_no_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    data = profile_data(consumer__processing_seconds="fast")
    data["workloads"][0]["consumer"]["task_memory_mb"] = 512
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}: workloads[0].consumer.processing_seconds: " in result.output
    assert f"{path}: workloads[0].consumer.task_memory_mb: unknown key" in result.output


def test_plan_of_an_unknown_stack_says_file_not_found():
    result = run("no-such-stack")
    assert result.exit_code == 2
    assert "no-such-stack.yaml: file not found" in result.output


# --- the table adapts to the terminal; errors are whole lines at any width ----------


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_plan_output_fits_the_terminal_width_and_cuts_no_field_name(columns):
    result = CliRunner().invoke(app, ["plan", "event-backlog"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= columns
    assert "…" not in result.stdout
    assert "target_backlog_per_task" in result.stdout and "0.9 msgs/task" in result.stdout


def test_plan_json_is_the_same_at_any_width():
    narrow = CliRunner().invoke(app, ["plan", "event-backlog", "--json"], env={"COLUMNS": "40"})
    wide = CliRunner().invoke(app, ["plan", "event-backlog", "--json"], env={"COLUMNS": "300"})
    assert narrow.stdout == wide.stdout and json.loads(narrow.stdout)["stack"] == "event-backlog"


def test_profile_errors_are_whole_lines_at_40_columns_under_a_long_path(tmp_path):
    deep = tmp_path / ("a-directory-name-long-enough-to-wrap-any-forty-column-line" * 2)
    deep.mkdir()
    path = deep / "bad.yaml"
    path.write_text((STACKS / "event-backlog.yaml").read_text().replace("max_age_seconds: 300", "max_age_seconds: yes"))
    result = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}: 1 problem",
        f"{path}: workloads[0].objective.max_age_seconds: True is a YAML boolean (yes/no/on/off/true/false), "
        "not a number; write the number; allowed: a number >= 1 and <= 1,209,600",
    ]


def test_one_message_is_1_msg_not_1_msgs():
    result = CliRunner().invoke(app, ["plan", "event-backlog"], env={"COLUMNS": "200"})
    assert "1 msg " in result.stdout
    assert not re.search(r"(?<![\d,.])1 msgs", result.stdout)  # "2,971 msgs" is plural and fine


def test_qcap_version_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("qcap 0.")


@pytest.mark.parametrize("command", [["plan"], ["simulate", "--days", "0.02"], ["preview"]])
@pytest.mark.parametrize(("old", "new"), [
    ("max_age_seconds: 300", "max_age_seconds: .inf"),
    ("max_age_seconds: 300", "max_age_seconds: Infinity"),
    ("processing_seconds: 2.0", "processing_seconds: 5e-324"),
    ("messages_per_day: 600000", "messages_per_day: 1e15"),
])
def test_absurd_numbers_exit_2_with_one_line_in_plan_simulate_and_preview(tmp_path, command, old, new):
    text = (STACKS / "event-backlog.yaml").read_text()
    assert old in text
    path = tmp_path / "absurd.yaml"
    path.write_text(text.replace(old, new, 1))
    result = CliRunner().invoke(app, [command[0], str(path), *command[1:]], env={"COLUMNS": "40"})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: 1 problem" and len(lines) == 2 and lines[1].startswith(f"{path}: workloads[0].")


def test_plan_verify_says_what_it_is_doing_when_output_is_not_a_terminal():
    result = CliRunner().invoke(app, ["plan", "dev", "--verify"])
    lines = result.stderr.splitlines()
    # On a loaded machine a "still verifying ... (N s)" line may follow the first.
    started = lines.index("qcap plan: verifying 1 queue(s) against the standard scenarios...")
    assert all(re.fullmatch(r"qcap plan: still verifying .*\(\d+ s\)", line) for line in lines[started + 1:]), lines
    assert all(line.startswith("qcap plan: ") for line in lines) and "\x1b" not in result.stderr


def test_plan_of_a_file_with_five_problems_prints_all_five_and_exits_two():
    from tests.item_profiles import profile_path

    path = profile_path("five_problems")
    result = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "80"})
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"{path}: 5 problems",
        f"{path}: workloads[0].traffic.trough_to_average: 1.5 is out of range; allowed: <= 1",
        f"{path}: workloads[0].traffic: give one peak, not both: peak_messages_per_second (50.0) and "
        "peak_to_average (3.0)",
        f"{path}: workloads[0].consumer.concurrency_per_task: 0 is out of range; allowed: >= 1",
        f"{path}: workloads[0].consumer: task_cpu 300 is not a Fargate size; allowed: 256, 512, 1024, 2048, 4096, "
        "8192, 16384",
        f"{path}: workloads[0]: consumer.receive_batch (20) is over SQS's 10 messages per receive; allowed: 1-10",
    ]
    assert result.stdout == ""
