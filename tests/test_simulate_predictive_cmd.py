"""`qcap simulate STACK --predictive`: the three fleets' figures on two days and the verdict."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from qcap.commands import simulate as simulate_cmd
from qcap.commands.simulate_predictive import verdict
from capacity.simulation_predictive import compare_predictive
from capacity.stacks import load_stack


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """qcap (test app with the simulate command only)."""

    simulate_cmd.register(app)
    return app


def test_predictive_prints_both_days_and_says_when_the_plans_floors_suffice():
    result = CliRunner().invoke(cli(), ["simulate", "track-points", "--predictive"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "the day the profile describes" in out and "a day 1.3x busier, 1 h later" in out
    assert "predictive (learned floors)" in out and "target tracking alone" in out
    assert "the plan's floors suffice" in out and "predictive scaling is worth it" in out


def test_the_verdict_names_the_figures_it_stands_on():
    lane = load_stack("track-points").plan.workloads[0]
    text = verdict(lane, compare_predictive(lane))
    first, second = text.splitlines()
    assert first.startswith("the day the profile describes: the plan's floors suffice (oldest")
    assert "of the 60 s objective where learned floors hold" in second and "task-hours against" in second


def test_an_unknown_workload_with_predictive_names_the_ones_the_stack_has_and_exits_2():
    result = CliRunner().invoke(cli(), ["simulate", "track-points", "--predictive", "--workload", "nope"])
    assert result.exit_code == 2
    assert "no workload 'nope' in this stack; have: track-points" in result.stderr


def test_options_that_predictive_would_ignore_are_refused_by_name():
    result = CliRunner().invoke(cli(), ["simulate", "track-points", "--predictive", "--json", "--seed", "3"])
    assert result.exit_code == 2
    assert "--predictive runs its own two days and takes none of: --seed, --json" in result.stderr


def test_a_stack_without_an_autoscaled_service_is_told_predictive_has_nothing_to_compare():
    result = CliRunner().invoke(cli(), ["simulate", "scheduled-questions", "--predictive"])
    assert result.exit_code == 2 and "no autoscaled service fleet to compare" in result.stderr
