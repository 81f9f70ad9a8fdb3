"""fit_name: a physical name fits its limit, keeps its suffix, and stays unique and stable when cut."""

from __future__ import annotations

import pytest

from capacity import limits
from capacity.names import fit_name, fits, name_hash, queue_name


def test_fit_name_keeps_a_name_that_fits_unchanged():
    assert fit_name("qcap-dev-orders", 40) == "qcap-dev-orders"
    assert fit_name("qcap-dev-orders", 80, suffix="-dlq.fifo") == "qcap-dev-orders-dlq.fifo"


def test_fit_name_cuts_and_appends_a_hash_of_the_full_name_when_too_long():
    full = "qcap-edge-redisparts-gps-track-points-ingest-0"
    fitted = fit_name(full, 40)
    assert fitted == f"qcap-edge-redisparts-gps-track-po-{name_hash(full)}"
    assert len(fitted) == 40


def test_fit_name_keeps_two_names_distinct_when_they_differ_only_past_the_cut():
    names = {fit_name(f"qcap-edge-redisparts-gps-track-points-ingest-{i}", 40) for i in range(4)}
    assert len(names) == 4 and all(len(n) == 40 for n in names)


def test_fit_name_never_leaves_two_hyphens_in_a_row_at_the_cut():
    full = "qcap-abcdefgh-" + "x" * 40
    fitted = fit_name(full, 21)  # room for 14 characters: the cut falls right after the hyphen
    assert fitted == f"qcap-abcdefgh-{name_hash(full)}"
    assert "--" not in fitted and len(fitted) == 20


def test_fit_name_keeps_the_suffix_whole_when_it_cuts():
    fitted = fit_name("qcap-scheduled-questions-daily-customer-satisfaction-survey-sends", 64, suffix="-execution")
    assert fitted.endswith("-execution") and len(fitted) == 64


def test_fit_name_is_stable_across_calls():
    assert fit_name("q" * 100, 64) == fit_name("q" * 100, 64)


def test_fit_name_refuses_when_the_suffix_leaves_no_room():
    with pytest.raises(ValueError, match="cannot fit"):
        fit_name("qcap-x", 8, suffix="-execution")


def test_fits_counts_pulumis_eight_autoname_characters_when_autonamed():
    assert fits("a" * 56, 64, autonamed=True)
    assert not fits("a" * 57, 64, autonamed=True)
    assert fits("a" * 64, 64)


def test_queue_names_carry_dlq_and_fifo_suffixes_whole_when_cut():
    lane = "x" * 90
    name = queue_name("prod", lane, fifo=True, dlq=True)
    assert len(name) == limits.SQS_QUEUE_NAME_MAX_CHARS
    assert name.endswith("-dlq.fifo")
    assert queue_name("prod", "orders", fifo=False) == "qcap-prod-orders"
    assert queue_name("prod", "orders", fifo=True, dlq=True) == "qcap-prod-orders-dlq.fifo"
