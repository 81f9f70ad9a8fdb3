"""Measurements of a run: the age of the oldest whole message not yet deleted, and the longest hold."""

from __future__ import annotations

import warnings

import numpy as np

from capacity.simulate.measure import longest_hold_seconds, oldest_ages


def _cumulative(per_second: np.ndarray) -> np.ndarray:
    return np.concatenate(([0.0], np.cumsum(per_second)))


def test_with_nothing_deleted_the_oldest_message_ages_from_the_second_it_arrived():
    arrivals = np.ones(5)  # one message a second, the first complete at the end of second 0
    ages = oldest_ages(_cumulative(arrivals), arrivals, np.zeros(6))
    assert ages.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_a_deleted_message_leaves_the_next_one_as_the_oldest():
    arrivals = np.ones(4)
    deleted = np.array([0.0, 0.0, 1.0, 2.0, 2.0])  # message 1 gone by the end of second 1, message 2 of second 2
    ages = oldest_ages(_cumulative(arrivals), arrivals, deleted)
    # Message k is whole at time k: each oldest is new when it becomes the oldest, until deletes stop.
    assert ages.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_an_empty_queue_after_a_subnormal_trickle_reads_age_0_without_overflowing():
    # Everything whole is deleted; the next message (not there yet) would arrive at a rate of 5e-324 msg/s.
    arrivals = np.array([1.0, 5e-324])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ages = oldest_ages(_cumulative(arrivals), arrivals, np.array([0.0, 1.0, 1.0]))
    assert ages.tolist() == [0.0, 0.0]


def test_the_longest_hold_is_the_longest_stretch_at_one_size():
    assert longest_hold_seconds(np.array([2, 2, 3, 3, 3])) == 3.0
