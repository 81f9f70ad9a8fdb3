"""The fewest static tasks that hold: bisection on whole-message runs checked against hand-computed bursts."""

from __future__ import annotations

import numpy as np

from capacity.scenarios import Scenario
from capacity.simulate import QueueModel, Settings, simulate
from capacity.simulate.sizing import fewest_static_tasks, lowest_static_tasks, static_label

# One slot per task, a second a message: a task clears one message a second, so 6,000 waiting take 6,000 / N s.
MODEL = QueueModel("q", processing_seconds=1.0, concurrency_per_task=1, max_age_seconds=650.0)


def burst(messages: float, seconds: int = 1_800) -> Scenario:
    """`messages` waiting at second 0 and nothing arriving after."""
    return Scenario("burst", f"{messages:g} waiting", np.zeros(seconds), messages)


def no_confirming(tasks, proved):
    return []


def test_no_static_fleet_slower_than_the_average_arrival_rate_counts_as_a_candidate():
    assert lowest_static_tasks(MODEL, 23.15) == 24
    assert lowest_static_tasks(MODEL, 10.0) == 11  # exactly the average never drains a day's backlog
    assert lowest_static_tasks(MODEL, 0.0) == 1


def test_the_fewest_tasks_are_those_that_clear_a_burst_within_the_objective():
    # 6,000 / 9 = 667 s misses 650 s; 6,000 / 10 = 600 s holds.
    sizing = fewest_static_tasks(simulate, MODEL, [(burst(6_000), Settings())], no_confirming, 1, 64)
    assert sizing is not None and sizing.tasks == 10
    assert sizing.results[0].max_age_seconds == 600.0
    assert sizing.runs <= 8  # the top, then a bisection of 1-64


def test_a_confirming_run_that_misses_adds_a_task_until_it_holds():
    # The proving burst needs 10 tasks; a confirming burst of 6,600 needs 11 (600 s), since 10 take 660 s.
    seen = []

    def confirming(tasks, proved):
        seen.append((tasks, [r.max_age_seconds for r in proved]))
        return [(burst(6_600), Settings())]

    sizing = fewest_static_tasks(simulate, MODEL, [(burst(6_000), Settings())], confirming, 1, 64)
    assert sizing is not None and sizing.tasks == 11
    assert [tasks for tasks, _ in seen] == [10, 11]
    assert seen[1][1] == [546.0]  # 11 tasks were proved on the proving burst too before they were confirmed


def test_none_when_even_the_most_tasks_allowed_miss():
    assert fewest_static_tasks(simulate, MODEL, [(burst(6_000), Settings())], no_confirming, 1, 9) is None
    assert fewest_static_tasks(simulate, MODEL, [(burst(6_000), Settings())], no_confirming, 5, 4) is None


def test_a_run_that_ends_before_its_backlog_is_due_is_judged_on_what_it_leaves():
    # After 300 s, 9 tasks leave 3,309 messages whose oldest is 300 s old: 300 + 3,309 / 9 = 668 s > 650 s,
    # though no minute of the run itself was over the objective. 10 tasks leave 3,010: 300 + 301 = 601 s.
    sizing = fewest_static_tasks(simulate, MODEL, [(burst(6_000, seconds=300), Settings())], no_confirming, 1, 64)
    assert sizing is not None and sizing.tasks == 10
    assert sizing.results[0].objective_met and sizing.results[0].messages_left == 3_010


def test_static_labels_count_tasks_as_a_person_writes_them():
    assert static_label(1) == "static 1 task"
    assert static_label(3) == "static 3 tasks"
