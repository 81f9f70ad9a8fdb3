"""The slowest message of a day: its estimate against draws, and the error when it outlasts the objective."""

import numpy as np

from capacity.plan.tail import slowest_of_seconds
from capacity.simulate.messages import processing_times
from factories import plan_one


def test_the_slowest_of_n_draws_lands_near_the_estimate_for_the_simulators_own_lognormal():
    maxima = [processing_times(80_000, 7.5, 37.0, seed).max() for seed in range(1, 41)]
    estimate = slowest_of_seconds(7.5, 37.0, 80_000)
    assert 175 < estimate < 185
    assert abs(np.median(maxima) - estimate) / estimate < 0.1


def test_without_a_spread_the_slowest_message_takes_the_mean():
    assert slowest_of_seconds(2.0, None, 1e6) == 2.0
    assert slowest_of_seconds(2.0, 2.0, 1e6) == 2.0


def test_a_tail_that_outlasts_the_objective_is_an_error_naming_the_objective_to_ask_for():
    w = plan_one(environment="prod", traffic__messages_per_day=80_000, consumer__processing_seconds=7.5,
                 consumer__processing_p99_seconds=37.0, consumer__concurrency_per_task=8,
                 objective__max_age_seconds=120)
    (error,) = [f for f in w.errors if f.limit == "age objective (processing tail)"]
    assert not w.feasible
    assert "slowest of a day's 80,000 messages take about 3 min, over the 2 min objective" in error.message.replace("\n", " ")
    assert "raise objective.max_age_seconds to 180 or more" in error.fix


def test_the_same_tail_within_a_longer_objective_is_no_finding():
    w = plan_one(environment="prod", traffic__messages_per_day=80_000, consumer__processing_seconds=7.5,
                 consumer__processing_p99_seconds=37.0, consumer__concurrency_per_task=8,
                 objective__max_age_seconds=600)
    assert "age objective (processing tail)" not in {f.limit for f in w.findings}


def test_a_profile_without_a_p99_is_not_judged_on_a_tail_it_did_not_give():
    w = plan_one(environment="prod", consumer__processing_seconds=100.0, consumer__processing_p99_seconds=None,
                 objective__max_age_seconds=150, consumer__concurrency_per_task=1)
    assert "age objective (processing tail)" not in {f.limit for f in w.findings}
