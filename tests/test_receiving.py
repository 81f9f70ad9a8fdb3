"""The receive overhead: a freed slot's wait for its next message, in the per-task rate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import limits
from capacity.plan.receiving import busy_fraction, overhead_seconds, per_task_rate, receive_overhead, receivers
from capacity.profile import Broker
from tests.factories import CLOUDFLARE_WORKLOAD, DELETE, make_profile, plan_one
from tests.tiers import examples



def consumer(**changes):
    """The factory's consumer with the overhead left to the planner (the factory pins it to 0)."""
    return make_profile(**{"consumer__receive_overhead_seconds": DELETE, **changes}).workloads[0].consumer


def test_one_slot_waits_exactly_one_receive_round_trip():
    c = consumer(consumer__concurrency_per_task=1, consumer__processing_seconds=0.05)
    seconds, why = receive_overhead(Broker.sqs, c)
    assert seconds == limits.SQS_REQUEST_LATENCY_SECONDS
    assert "busy 0" in why


def test_a_busy_receiver_adds_half_a_round_trip():
    # c = 8, t = 0.05 s, one receiver: 7 other slots x 20 ms / 50 ms > 1, so it is always busy.
    c = consumer(consumer__concurrency_per_task=8, consumer__processing_seconds=0.05)
    seconds, _ = receive_overhead(Broker.sqs, c)
    assert seconds == pytest.approx(0.030)


def test_long_handlers_keep_the_receiver_mostly_idle():
    # c = 4, t = 0.5 s: busy = 3 x 0.02 / 0.5 = 0.12, so o = 0.02 x 1.06.
    c = consumer(consumer__concurrency_per_task=4, consumer__processing_seconds=0.5)
    assert receive_overhead(Broker.sqs, c)[0] == pytest.approx(0.0212)


def test_redis_uses_the_measured_claim_latency_and_one_claim_loop():
    assert receivers(Broker.redis, 32, 100) == 1
    c = consumer(consumer__concurrency_per_task=1, consumer__processing_seconds=0.005)
    assert receive_overhead(Broker.redis, c)[0] == limits.REDIS_CLAIM_LATENCY_SECONDS


def test_sqs_runs_one_receiver_per_batch_of_slots_up_to_four():
    assert [receivers(Broker.sqs, c, 10) for c in (1, 10, 11, 32, 100)] == [1, 1, 2, 4, 4]
    assert receivers(Broker.sqs, 8, 2) == 4


def test_cloudflare_has_no_receive_of_ours():
    seconds, why = receive_overhead(Broker.cloudflare, consumer())
    assert seconds == 0.0
    assert "Cloudflare" in why


def test_a_measured_overhead_in_the_profile_wins_and_is_named():
    c = consumer(consumer__receive_overhead_seconds=0.004)
    assert receive_overhead(Broker.sqs, c) == (
        0.004, "0.004 s = consumer.receive_overhead_seconds (measured by the profile's author)")


def test_the_per_task_rate_counts_the_overhead():
    w = plan_one(consumer__concurrency_per_task=2, consumer__processing_seconds=1.0,
                 consumer__receive_overhead_seconds=DELETE)
    assert w.receive_overhead_seconds == pytest.approx(0.02 * (1 + 0.5 * 0.02))
    assert w.per_task_messages_per_second == pytest.approx(2 / (1.0 + w.receive_overhead_seconds))
    assert "receive_overhead_seconds" in w.reasons["per_task_messages_per_second"]
    assert w.reasons["receive_overhead_seconds"].startswith(f"{w.receive_overhead_seconds:g} s = latency 0.02 s")


def test_many_short_slots_are_capped_by_what_the_receivers_hand_out():
    # 400 slots of 10 ms: 4 receivers x 10 messages / 20 ms = 2,000 msg/s, under 400 / 0.04 s = 10,000.
    c = consumer(consumer__concurrency_per_task=400, consumer__processing_seconds=0.01)
    overhead, _ = receive_overhead(Broker.sqs, c)
    rate, why = per_task_rate(Broker.sqs, c, overhead)
    assert rate == pytest.approx(2_000)
    assert why.startswith("2,000 = the receivers' ceiling, 4 receiver(s) x 10 messages per 0.02 s receive")


def test_a_zero_overhead_gives_back_concurrency_over_processing_time():
    w = plan_one(consumer__concurrency_per_task=2, consumer__processing_seconds=1.0,
                 consumer__receive_overhead_seconds=0.0)
    assert w.per_task_messages_per_second == 2.0


def test_a_scheduled_run_lasts_its_rounds_of_processing_plus_overhead():
    w = plan_one(consumer__mode="scheduled", consumer__interval_seconds=300, consumer__batch_limit=30,
                 consumer__concurrency_per_task=5, consumer__processing_seconds=2.5,
                 consumer__receive_overhead_seconds=DELETE)
    assert w.receive_overhead_seconds > 0
    assert w.scheduled.run_seconds == pytest.approx(6 * (2.5 + w.receive_overhead_seconds))


def test_a_cloudflare_plan_carries_no_overhead():
    assert plan_one(CLOUDFLARE_WORKLOAD).receive_overhead_seconds == 0.0


def test_an_overhead_beyond_a_long_poll_is_refused_with_the_allowed_range():
    from capacity.profile import ProfileError

    with pytest.raises(ProfileError) as error:
        make_profile(consumer__receive_overhead_seconds=60)
    assert str(error.value) == (
        "test.yaml: workloads[0].consumer.receive_overhead_seconds: 60 is out of range; allowed: <= 20")


@settings(max_examples=examples(200), deadline=None)
@given(
    concurrency=st.integers(1, 10_000),
    latency=st.floats(1e-4, 1.0),
    processing=st.floats(1e-6, 3600.0),
    receiver_count=st.integers(1, limits.WORKER_MAX_RECEIVERS),
)
def test_the_overhead_lies_between_one_and_one_and_a_half_round_trips(concurrency, latency, processing, receiver_count):
    busy = busy_fraction(concurrency, latency, processing, receiver_count)
    assert 0.0 <= busy <= 1.0
    seconds = overhead_seconds(concurrency, latency, processing, receiver_count)
    assert latency - 1e-6 <= seconds <= 1.5 * latency + 1e-6
    assert overhead_seconds(concurrency + 1, latency, processing, receiver_count) >= seconds
