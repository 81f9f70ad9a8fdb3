"""Erlang C's fewest servers: known values, the recursion against the closed form, the search's edge, Halfin-Whitt."""

from __future__ import annotations

import dataclasses
import math

import pytest

from capacity.plan.erlang import (
    DEFAULT_MISS_PROBABILITY, Staffing, erlang_c, fewest_servers, fewest_tasks, halfin_whitt_servers,
    wait_exceeds_probability,
)


def closed_form_erlang_c(servers: int, offered_erlangs: float) -> float:
    """Erlang C by the textbook formula, with exact factorials: fine for small c, overflows for large."""
    top = offered_erlangs**servers / math.factorial(servers) * servers / (servers - offered_erlangs)
    below = sum(offered_erlangs**k / math.factorial(k) for k in range(servers))
    return top / (below + top)


def test_two_servers_at_one_erlang_make_a_third_of_arrivals_wait():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)


def test_ten_servers_at_eight_erlangs_make_about_41_percent_wait():
    assert erlang_c(10, 8.0) == pytest.approx(closed_form_erlang_c(10, 8.0), rel=1e-12)
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)


@pytest.mark.parametrize("utilization", [0.1, 0.5, 0.8, 0.95, 0.999])
def test_the_stable_recursion_agrees_with_the_closed_form_up_to_fifty_servers(utilization):
    for servers in range(1, 51):
        load = servers * utilization
        assert erlang_c(servers, load) == pytest.approx(closed_form_erlang_c(servers, load), rel=1e-9)


def test_erlang_c_stays_a_probability_for_thousands_of_servers():
    assert 0.0 < erlang_c(5000, 4900.0) < 1.0
    assert 0.0 < erlang_c(100_500, 100_000.0) < 1.0


def test_as_many_servers_as_load_or_fewer_means_every_arrival_waits():
    assert erlang_c(8, 8.0) == 1.0
    assert erlang_c(3, 8.0) == 1.0
    assert wait_exceeds_probability(8, 2.0, 4.0, 1000.0) == 1.0


def test_no_load_means_no_arrival_waits():
    assert erlang_c(3, 0.0) == 0.0
    assert wait_exceeds_probability(3, 0.0, 4.0, 0.0) == 0.0


def test_the_wait_tail_is_erlang_c_times_the_exponential_drain():
    # c=10, lambda=2/s, s=4 s (a=8): mu = 0.25/s, c*mu - lambda = 0.5/s, so P(W > 3 s) = C * e^-1.5.
    assert wait_exceeds_probability(10, 2.0, 4.0, 3.0) == pytest.approx(erlang_c(10, 8.0) * math.exp(-1.5), rel=1e-12)
    assert wait_exceeds_probability(10, 2.0, 4.0, 0.0) == pytest.approx(erlang_c(10, 8.0), rel=1e-12)


@pytest.mark.parametrize("arrival_per_second, service_seconds, wait_seconds, miss_probability", [
    (2.0, 4.0, 0.0, 0.2),
    (2.0, 4.0, 3.0, 0.01),
    (10.0, 4.2, 300.0, 0.01),
    (50.0, 2.0, 1.0, 0.001),
    (0.3, 1.0, 0.0, 0.5),
    (1000.0, 1.0, 0.0, 0.01),
])
def test_fewest_servers_is_the_smallest_count_that_meets_the_target(arrival_per_second, service_seconds, wait_seconds,
                                                                      miss_probability):
    servers = fewest_servers(arrival_per_second, service_seconds, wait_seconds, miss_probability)
    assert wait_exceeds_probability(servers, arrival_per_second, service_seconds, wait_seconds) <= miss_probability
    assert wait_exceeds_probability(servers - 1, arrival_per_second, service_seconds, wait_seconds) > miss_probability


def test_fewest_servers_for_a_known_case():
    # a = 8 erlangs, at most 20% may wait at all: C(11, 8) ~ 0.24 misses, C(12, 8) ~ 0.14 meets it.
    assert closed_form_erlang_c(11, 8.0) > 0.2 > closed_form_erlang_c(12, 8.0)
    assert fewest_servers(2.0, 4.0, 0.0, 0.2) == 12


def test_a_long_allowed_wait_needs_only_the_first_stable_count():
    assert fewest_servers(10.0, 4.2, 300.0, 0.01) == 43


def test_no_arrivals_need_no_servers():
    assert fewest_servers(0.0, 4.0, 10.0, 0.01) == 0
    assert halfin_whitt_servers(0.0, 4.0, 10.0, 0.01) == 0


@pytest.mark.parametrize("wait_seconds, miss_probability", [(0.0, 0.2), (0.0, 0.01), (0.5, 0.01), (5.0, 0.001)])
def test_halfin_whitt_is_within_a_few_servers_of_exact_at_a_thousand_erlangs(wait_seconds, miss_probability):
    exact = fewest_servers(1000.0, 1.0, wait_seconds, miss_probability)
    assert abs(halfin_whitt_servers(1000.0, 1.0, wait_seconds, miss_probability) - exact) <= 3


@pytest.mark.parametrize("wait_seconds, miss_probability", [(0.0, 0.2), (0.0, 0.01), (2.5, 0.01), (25.0, 0.001)])
def test_halfin_whitt_is_within_two_percent_of_exact_at_ten_thousand_erlangs(wait_seconds, miss_probability):
    # 2,000 msg/s x 5 s each = 10,000 erlangs.
    exact = fewest_servers(2000.0, 5.0, wait_seconds, miss_probability)
    assert halfin_whitt_servers(2000.0, 5.0, wait_seconds, miss_probability) == pytest.approx(exact, rel=0.02)


def test_halfin_whitt_never_staffs_an_unstable_queue():
    assert halfin_whitt_servers(10.0, 4.2, 300.0, 0.01) >= 43


def test_fewest_servers_completes_for_a_hundred_thousand_erlangs():
    # 20,000 msg/s x 5 s each = 100,000 erlangs; square-root staffing puts the answer ~2.3 x sqrt(a) above a.
    servers = fewest_servers(20_000.0, 5.0, 0.0, 0.01)
    assert 100_000 < servers < 101_000


def test_fewest_tasks_ceils_slots_by_concurrency():
    staffing = fewest_tasks(10.0, 4.2, 4, 300.0)
    assert staffing == Staffing(servers=43, tasks=11, reason=(
        "11 tasks = ceil(43 slots / 4 per task): Erlang C, the fewest slots for which at most 1% of messages wait "
        "over 300 s at 10 msg/s x 4.2 s each (an M/M/c queue: Poisson arrivals, exponential service; a lower bound "
        "for a steady peak, blind to scaling delays)"))
    assert fewest_tasks(10.0, 4.2, 1, 300.0).tasks == 43
    assert fewest_tasks(10.0, 4.2, 43, 300.0).tasks == 1
    assert fewest_tasks(10.0, 4.2, 44, 300.0).tasks == 1


def test_fewest_tasks_defaults_to_one_percent_and_says_when_no_wait_is_allowed():
    staffing = fewest_tasks(1.0, 0.5, 4, 0.0, 0.05)
    assert (staffing.servers, staffing.tasks) == (3, 1)
    assert staffing.reason.startswith("1 task = ceil(3 slots / 4 per task): ")
    assert "at most 5% of messages wait at all at 1 msg/s x 0.5 s each" in staffing.reason
    assert DEFAULT_MISS_PROBABILITY == 0.01
    assert fewest_tasks(2.0, 4.0, 3, 0.0) == fewest_tasks(2.0, 4.0, 3, 0.0, 0.01)


def test_zero_arrivals_need_zero_tasks_and_say_so():
    staffing = fewest_tasks(0.0, 4.2, 4, 300.0)
    assert (staffing.servers, staffing.tasks) == (0, 0)
    assert staffing.reason == "0 tasks: no arrivals (0 msg/s), so no message waits and Erlang C needs no slots"


def test_staffing_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        fewest_tasks(1.0, 1.0, 1, 1.0).tasks = 5


@pytest.mark.parametrize("call, named", [
    (lambda: fewest_tasks(1.0, 0.0, 4, 10.0), "slot_seconds must be a finite number > 0"),
    (lambda: fewest_tasks(1.0, -1.0, 4, 10.0), "slot_seconds must be a finite number > 0"),
    (lambda: fewest_tasks(-1.0, 1.0, 4, 10.0), "arrival_per_second must be a finite number >= 0"),
    (lambda: fewest_tasks(1.0, 1.0, 4, -1.0), "wait_seconds must be a finite number >= 0"),
    (lambda: fewest_tasks(1.0, 1.0, 4, 10.0, 0.0), "miss_probability must be a number strictly between 0 and 1"),
    (lambda: fewest_tasks(1.0, 1.0, 4, 10.0, 1.0), "miss_probability must be a number strictly between 0 and 1"),
    (lambda: fewest_tasks(1.0, 1.0, 0, 10.0), "concurrency_per_task must be an integer >= 1"),
    (lambda: fewest_tasks(1.0, 1.0, 2.5, 10.0), "concurrency_per_task must be an integer >= 1"),
    (lambda: fewest_servers(1.0, 0.0, 10.0, 0.01), "service_seconds must be a finite number > 0"),
    (lambda: fewest_servers(float("nan"), 1.0, 10.0, 0.01), "arrival_per_second must be a finite number >= 0"),
    (lambda: halfin_whitt_servers(1.0, 1.0, 10.0, 1.5), "miss_probability must be a number strictly between 0 and 1"),
    (lambda: wait_exceeds_probability(-1, 1.0, 1.0, 1.0), "servers must be an integer >= 0"),
    (lambda: erlang_c(3, -2.0), "offered_erlangs must be a finite number >= 0"),
    (lambda: erlang_c(2.0, 1.0), "servers must be an integer >= 0"),
])
def test_invalid_inputs_raise_naming_the_argument_and_what_it_allows(call, named):
    with pytest.raises(ValueError, match=named):
        call()


def test_a_load_past_the_exact_limit_is_staffed_by_square_root_staffing_and_says_so():
    from capacity.plan.erlang import EXACT_MAX_ERLANGS

    arrival, slot_seconds = 100_000.0, 3_600.0  # 3.6e8 erlangs: the exact recursion would take minutes
    assert arrival * slot_seconds > EXACT_MAX_ERLANGS
    staffing = fewest_tasks(arrival, slot_seconds, 4, 300)
    assert staffing.servers == halfin_whitt_servers(arrival, slot_seconds, 300, 0.01)
    assert staffing.tasks == -(-staffing.servers // 4)
    assert "square-root staffing (Halfin-Whitt" in staffing.reason
