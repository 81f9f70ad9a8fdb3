"""Cloudflare consumers message by message: a batch waits to fill or for max_wait, every invocation counted."""

from __future__ import annotations

import numpy as np
import pytest

from capacity import scenarios as sc
from capacity.simulate import CloudflareFleet, QueueModel, Settings, simulate
from capacity.simulate import messages

# A batch of up to 100 takes 0.5 s to process (one invocation); max_wait 10 s.
MODEL = QueueModel("q", processing_seconds=0.5, concurrency_per_task=100, max_age_seconds=120.0)
WHOLE = Settings(queue_model="messages")


def test_a_batch_that_fills_slowly_is_delivered_when_its_oldest_has_waited_max_wait():
    fleet = CloudflareFleet(shards=1, batch_size=100, max_wait_seconds=10.0, max_concurrency=5)
    result = simulate(MODEL, fleet, sc.constant(1.0, days=600 / 86_400), WHOLE)
    # One message a second, the first at 1 s: each batch waits 10 s for its oldest, then 0.5 s to return.
    assert result.max_age_seconds == 10.5
    # Batches at 11, 22, ..., 594 s take 11 messages each; the last 6 wait past the run's end.
    assert result.task_launches == 54
    assert (result.messages_processed, result.messages_left) == (54 * 11, 6)
    # The fleet in a second is the invocations its busy time needs: one during each 0.5 s batch, else none.
    assert (result.smallest_fleet, result.largest_fleet) == (0, 1)
    assert result.task_hours == pytest.approx(54 * 0.5 / 3_600)


def test_a_full_batch_goes_at_once_and_invocations_beyond_max_concurrency_wait_for_a_free_one():
    arrive = np.zeros(700)  # 700 waiting at 0: seven batches of 100 on 5 invocations of 0.5 s
    work = np.full(700, 0.5)
    deleted = np.full(700, np.inf)
    starts, busy = np.zeros(10), np.zeros(10)
    started = messages.serve_batches(arrive, work, 100, 10.0, 5, 0.0, deleted, starts, busy)
    assert started == 7
    assert np.unique(deleted[:500]).tolist() == [0.5] and np.unique(deleted[500:]).tolist() == [1.0]
    assert starts[0] == 700 and busy[0] == pytest.approx(3.5)  # 7 invocations x 0.5 s in the first second


def test_a_sink_cap_spaces_batches_so_messages_start_no_faster_than_it_allows():
    capped = QueueModel("q", processing_seconds=0.5, concurrency_per_task=100, max_age_seconds=120.0,
                        sink_messages_per_second=50.0)
    fleet = CloudflareFleet(shards=1, batch_size=100, max_wait_seconds=1.0, max_concurrency=5)
    result = simulate(capped, fleet, sc.constant(200.0, days=600 / 86_400), WHOLE)
    assert result.messages_processed == pytest.approx(50 * 600, abs=100)  # a batch of 100 every 2 s
    assert not result.objective_met  # 150 msg/s more than the sink takes pile up


def test_a_seeded_run_counts_whole_messages_and_loses_none():
    fleet = CloudflareFleet(shards=2, batch_size=100, max_wait_seconds=1.0, max_concurrency=5)
    slow = QueueModel("q", processing_seconds=0.5, concurrency_per_task=100, max_age_seconds=120.0,
                      processing_p99_seconds=3.0)
    first, again = (simulate(slow, fleet, sc.constant(300.0, days=0.01), Settings(random_seed=7)) for _ in range(2))
    assert first.max_age_seconds == again.max_age_seconds and first.task_launches == again.task_launches
    assert first.messages_processed + first.messages_left == first.messages_arrived
    assert first.messages_arrived % 2 == 0  # each of the two shards draws whole messages; the result doubles one
