"""The load generator's pure pieces: pacing, percentiles, message ids, batching, what a failed send means."""

from __future__ import annotations

import pytest

from qcap.live import load

RUN = "qcap-load-0123456789ab"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_batches_by_size_over_rate_when_called_back_to_back():
    clock = FakeClock()
    limiter = load.RateLimiter(100, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire(10) for _ in range(4)]
    # 10 messages at 100/s take 0.1 s each: the first goes at once, then 0.1 s apart.
    assert waits == pytest.approx([0.0, 0.1, 0.1, 0.1])
    assert clock.now == pytest.approx(100.3)


def test_rate_limiter_does_not_wait_when_callers_are_slower_than_the_rate():
    clock = FakeClock()
    limiter = load.RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.acquire(10)
    clock.now += 5  # the caller took 5 s, longer than the 1 s the rate asks for
    assert limiter.acquire(10) == 0.0
    assert clock.slept == []


def test_rate_limiter_never_waits_when_unlimited():
    clock = FakeClock()
    limiter = load.RateLimiter(None, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire(10) for _ in range(3)] == [0.0, 0.0, 0.0]


def test_rate_limiter_rejects_a_rate_of_zero():
    with pytest.raises(ValueError, match="rate_per_second must be > 0, got 0"):
        load.RateLimiter(0)


def test_percentile_takes_the_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert (load.percentile(values, 50), load.percentile(values, 95), load.percentile(values, 99)) == (50, 95, 99)
    assert load.percentile([7.0], 99) == 7.0
    assert load.percentile([], 50) == 0.0


def test_message_body_carries_its_id_and_has_the_requested_size():
    body = load.message_body(RUN, 42, 100)
    assert len(body.encode()) == 100
    assert load.id_of(body, RUN) == f"{RUN}:0000000042"
    assert load.id_of(body, "qcap-load-someoneelse") is None


def test_entries_per_batch_is_ten_unless_the_one_mib_batch_limit_binds():
    assert load.entries_per_batch(256) == 10
    assert load.entries_per_batch(200_000) == 5  # 1,048,576 // 200,000
    assert load.entries_per_batch(1_048_576) == 1


def test_batches_cover_every_message_once_with_fifo_fields_when_fifo():
    batches = list(load.batches(RUN, 23, 64, fifo=True, groups=4))
    assert [len(b) for b in batches] == [10, 10, 3]
    ids = [load.id_of(e["MessageBody"], RUN) for b in batches for e in b]
    assert len(set(ids)) == 23
    assert batches[2][0]["MessageGroupId"] == f"{RUN}-0"  # message 20 % 4 groups
    assert batches[0][1]["MessageDeduplicationId"] == f"{RUN}-0000000001"


def client_error(code: str, status: int):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "SendMessageBatch")


def test_a_send_is_tried_again_only_when_it_cannot_have_landed_or_resending_is_idempotent():
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    read_timeout = ReadTimeoutError(endpoint_url="http://127.0.0.1:9")
    assert load.send_outcome(client_error("ThrottlingException", 400), fifo=False) == "retry"
    assert load.send_outcome(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), fifo=False) == "retry"
    assert load.send_outcome(ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"), fifo=False) == "retry"
    assert load.send_outcome(read_timeout, fifo=False) == "uncertain"  # the request went out: it may have landed
    assert load.send_outcome(client_error("InternalError", 500), fifo=False) == "uncertain"
    assert load.send_outcome(read_timeout, fifo=True) == "retry"  # deduplication ids make it idempotent
    assert load.send_outcome(client_error("AccessDenied", 403), fifo=False) == "failed"


def test_none_lost_is_said_only_when_every_acknowledged_message_came_back_in_time():
    report = load.DrainReport(expected=2, received_ids={"a", "b"})
    assert report.none_lost
    assert not load.DrainReport(expected=2, received_ids={"a"}, missing_ids={"b"}).none_lost
    assert not load.DrainReport(expected=2, received_ids={"a", "b"}, timed_out=True).none_lost
    assert not load.DrainReport(expected=2, received_ids={"a", "b"}, foreign=3).none_lost


def test_queue_counts_add_visible_in_flight_and_delayed():
    counts = load.QueueCounts.from_attributes({"ApproximateNumberOfMessages": "100",
                                               "ApproximateNumberOfMessagesNotVisible": "3",
                                               "ApproximateNumberOfMessagesDelayed": "1"})
    assert counts.total == 104 and counts.describe() == "100 visible, 3 in flight, 1 delayed"
