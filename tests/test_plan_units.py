"""Likely unit slips: a p99 written in milliseconds is a warning with the seconds as its patch."""

from __future__ import annotations

from tests.factories import plan_one


def test_a_p99_in_milliseconds_against_a_mean_in_seconds_gets_a_did_you_mean_patch():
    w = plan_one(consumer__processing_seconds=1.5, consumer__processing_p99_seconds=6000)
    slip = next(f for f in w.findings if f.limit == "likely unit")
    assert "did you mean 6 s? this reads as milliseconds" in slip.message
    assert slip.patch == {"workloads[0].consumer.processing_p99_seconds": 6}


def test_a_long_but_plausible_tail_is_not_called_a_slip():
    w = plan_one(consumer__processing_seconds=1.0, consumer__processing_p99_seconds=60)
    assert not [f for f in w.findings if f.limit == "likely unit"]
