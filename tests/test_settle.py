"""capacity/plan/settle.py: the flapping rules and the simulated choice of a utilization."""

from __future__ import annotations

from capacity import limits
from capacity.plan.settle import Probe, flaps_at_constant, flaps_in_day, settle


def _probe(**changes) -> Probe:
    values = dict(concurrency_per_task=1, processing_seconds=2.0, max_age_seconds=300, processing_p99_seconds=4.0,
                  min_capacity=7,
                  max_capacity=19, scale_out_cooldown_seconds=60, scale_in_cooldown_seconds=300, schedule=(),
                  average=6.94, peak=6.94, trough=3.47, hourly=None)
    values.update(changes)
    return Probe(**values)


def test_a_day_flaps_when_it_launches_more_than_twice_the_fleets_swing_plus_six():
    assert not flaps_in_day(launches=2 * (19 - 7) + 6, smallest=7, largest=19)
    assert flaps_in_day(launches=2 * (19 - 7) + 7, smallest=7, largest=19)
    assert flaps_in_day(launches=636, smallest=7, largest=19)  # seed 004 under the old target


def test_a_constant_rate_flaps_with_three_actions_in_the_six_hours_after_the_first():
    start = limits.FLAP_SETTLE_SECONDS
    assert not flaps_at_constant(((60, "out"), (120, "out"), (start, "out"), (start + 60, "in")))
    assert flaps_at_constant(((start, "out"), (start + 600, "in"), (start + 1200, "out")))
    assert not flaps_at_constant(((start + limits.FLAP_WINDOW_SECONDS, "out"),) * 5)  # after the window


def test_settle_keeps_the_highest_utilization_that_holds_seed_004_and_says_how_many_were_tried():
    chosen = settle(_probe())
    assert (chosen.utilization, chosen.tried, chosen.held) == (0.9, 1, True)
    assert chosen.max_age_seconds < 300


def test_settle_falls_back_to_more_headroom_when_the_highest_misses_the_objective():
    # A 1-minute objective on a step from 4 to 6.94 msg/s: 90% and 80% busy leave too little room.
    chosen = settle(_probe(max_age_seconds=60, min_capacity=1, trough=4.0))
    assert (chosen.utilization, chosen.tried, chosen.held) == (0.7, 3, True)
    assert chosen.max_age_seconds < 60


def test_settle_stops_at_a_flapping_fleet_since_headroom_does_not_stop_a_zero_to_one_cycle():
    chosen = settle(_probe(concurrency_per_task=8, processing_seconds=0.2, max_age_seconds=3600, min_capacity=0,
                           max_capacity=3, average=1.74, peak=6.94, trough=0.17))
    assert not chosen.held and chosen.tried == 1
    assert chosen.task_launches > 2 * 3 + limits.FLAP_DIURNAL_SLACK_LAUNCHES


def test_settle_does_not_simulate_a_fleet_whose_min_equals_its_max():
    chosen = settle(_probe(min_capacity=3, max_capacity=3))
    assert (chosen.utilization, chosen.tried, chosen.held) == (0.9, 0, True)
