"""The SQS worker against a real moto server on 127.0.0.1: counted end to end, failures, heartbeat, SIGTERM.

moto's ReceiveMessage is not atomic between concurrent requests (two polls can both take a
message), so these workers poll with one receiver (RECEIVERS=1); SQS itself is atomic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from servers import subprocess_env
from worker_handlers import read_log
from worker_running import Running, wait_until

from worker.config import WorkerConfig
from worker.engine import Message
from worker.sqs import SqsBroker, receivers_for, sqs_worker

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def make_queue(sqs, name: str, visibility: int = 30, dlq_after: int | None = None, fifo: bool = False) -> tuple[str, str | None]:
    attributes = {"VisibilityTimeout": str(visibility)}
    dlq_url = None
    if fifo:
        attributes.update(FifoQueue="true", ContentBasedDeduplication="true")
    if dlq_after is not None:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": dlq_after})
    url = sqs.create_queue(QueueName=name + (".fifo" if fifo else ""), Attributes=attributes)["QueueUrl"]
    return url, dlq_url


def send(sqs, url: str, bodies: list[str], group: str | None = None) -> None:
    for i in range(0, len(bodies), 10):
        entries = [{"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i:i + 10])]
        if group is not None:
            for e in entries:
                e["MessageGroupId"] = group
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not answer.get("Failed")


def depth(sqs, url: str) -> tuple[int, int]:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def drain_bodies(sqs, url: str) -> list[str]:
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
        if not got:
            return bodies
        bodies += [m["Body"] for m in got]


def config(url: str, **changes) -> WorkerConfig:
    settings = dict(queue_url=url, region="us-east-1", receive_wait_seconds=1, receivers=1,
                    stop_timeout_seconds=10)
    settings.update(changes)
    return WorkerConfig(**settings)


def test_receivers_cover_the_slots_one_receive_batch_each_up_to_four():
    assert receivers_for(WorkerConfig(queue_url="q", concurrency=1)) == 1
    assert receivers_for(WorkerConfig(queue_url="q", concurrency=32)) == 4
    assert receivers_for(WorkerConfig(queue_url="q", concurrency=32, receivers=1)) == 1


def test_worker_processes_5000_messages_exactly_once_through_a_moto_server(moto):
    sqs = moto.client()
    url, _ = make_queue(sqs, "count-5k")
    total = 5_000
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def handle(message: Message) -> None:
        with lock:
            seen[message.body] += 1

    def produce() -> None:
        # Closed loop (at most 80 outstanding): moto's SendMessage scans the whole queue per message.
        sent = 0
        while sent < total:
            if sent - sum(seen.values()) > 80:
                time.sleep(0.002)
                continue
            send(sqs, url, [str(i) for i in range(sent, sent + 10)])
            sent += 10

    started = time.monotonic()
    engine = sqs_worker(handle, config(url, concurrency=32), sqs=moto.client())
    with Running(engine):
        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        assert wait_until(lambda: sum(seen.values()) >= total, timeout=600, step=0.1)  # a hang guard (about a minute idle)
        producer.join(10)
        assert wait_until(lambda: depth(sqs, url) == (0, 0), timeout=10)
    elapsed = time.monotonic() - started
    assert len(seen) == total and set(seen.values()) == {1}
    assert set(seen) == {str(i) for i in range(total)}
    assert (engine.counters.received, engine.counters.processed, engine.counters.failed) == (total, total, 0)
    assert depth(sqs, url) == (0, 0)
    print(f"\n{total:,} SQS messages through moto in {elapsed:.1f} s ({total / elapsed:.0f} msg/s), "
          f"{engine.counters.batches} batches")


def test_worker_never_receives_more_messages_than_free_slots(moto):
    sqs = moto.client()
    url, _ = make_queue(sqs, "slots")
    send(sqs, url, [str(i) for i in range(60)])
    requested: list[int] = []
    in_hand: list[int] = []
    broker_fetch = SqsBroker.fetch

    def spying_fetch(self, count, wait_seconds):
        requested.append(count)
        return broker_fetch(self, count, wait_seconds)

    active = []
    lock = threading.Lock()

    def handle(message: Message) -> None:
        with lock:
            active.append(message.body)
            in_hand.append(len(active))
        time.sleep(0.05)
        with lock:
            active.remove(message.body)

    engine = sqs_worker(handle, config(url, concurrency=3, receive_batch=10), sqs=moto.client())
    engine.broker.fetch = spying_fetch.__get__(engine.broker)
    with Running(engine):
        assert wait_until(lambda: engine.counters.processed == 60, timeout=30)
    assert max(requested) == 3 and min(requested) >= 1
    assert max(in_hand) == 3


def test_worker_retries_failing_messages_with_backoff_and_only_they_reach_the_dlq(moto):
    sqs = moto.client()
    url, dlq = make_queue(sqs, "retries", dlq_after=3)
    bodies = [f"m{i}" for i in range(40)]
    bad = {"m3", "m17", "m31"}
    send(sqs, url, bodies)
    attempts: dict[str, list[float]] = {}
    lock = threading.Lock()

    def handle(message: Message) -> None:
        with lock:
            attempts.setdefault(message.body, []).append(time.monotonic())
        if message.body in bad:
            raise RuntimeError(f"cannot process {message.body}")

    engine = sqs_worker(handle, config(url, concurrency=4, max_receive_count=3, retry_backoff_seconds=1),
                        sqs=moto.client())
    with Running(engine):
        assert wait_until(lambda: depth(sqs, dlq)[0] == len(bad), timeout=30, step=0.1)
    assert sorted(drain_bodies(sqs, dlq)) == sorted(bad)
    assert {b: len(t) for b, t in attempts.items() if b in bad} == {b: 3 for b in bad}
    assert all(len(attempts[b]) == 1 for b in bodies if b not in bad)
    for b in bad:  # backoff 1 s after the first failure, 2 s after the second
        first, second, third = attempts[b]
        assert second - first >= 0.9 and third - second >= 1.9
    c = engine.counters
    assert (c.processed, c.failed, c.retried, c.dead_lettered) == (37, 9, 6, 3)
    assert depth(sqs, url) == (0, 0)


def test_worker_never_redelivers_a_message_whose_handler_outlives_half_the_visibility_timeout(moto):
    sqs = moto.client()
    # 3 s, the shortest lease the worker accepts for SQS (worker/config.py: smallest_lease_seconds).
    url, _ = make_queue(sqs, "heartbeat", visibility=3)
    send(sqs, url, ["slow-1", "slow-2", "slow-3"])
    calls: Counter[str] = Counter()

    def handle(message: Message) -> None:
        calls[message.body] += 1
        time.sleep(7.5)  # 2.5 x the visibility timeout

    engine = sqs_worker(handle, config(url, concurrency=3, visibility_timeout_seconds=3), sqs=moto.client())
    spy = moto.client()
    stolen = []
    with Running(engine):
        assert wait_until(lambda: len(calls) == 3, timeout=5)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            stolen += spy.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                          VisibilityTimeout=30).get("Messages", [])
        assert wait_until(lambda: engine.counters.processed == 3, timeout=5)
    assert stolen == []
    assert dict(calls) == {"slow-1": 1, "slow-2": 1, "slow-3": 1}
    # Holding a 3 s visibility for 7.5 s takes at least 2 extensions each (one more per 3 s held);
    # the worker extends every ~1.5 s, but how many times that fits in 7.5 s is the machine's speed.
    assert engine.counters.extended >= 3 * 2
    assert depth(sqs, url) == (0, 0)


def test_worker_keeps_fifo_message_groups_in_order(moto):
    sqs = moto.client()
    url, _ = make_queue(sqs, "ordered", fifo=True)
    groups = {g: [f"{g}-{i:02d}" for i in range(20)] for g in ("a", "b", "c")}
    for g, bodies in groups.items():
        send(sqs, url, bodies, group=g)
    order: dict[str, list[str]] = {g: [] for g in groups}
    lock = threading.Lock()

    def handle(message: Message) -> None:
        time.sleep(0.01)
        with lock:
            order[message.group_id].append(message.body)

    engine = sqs_worker(handle, config(url, concurrency=8), sqs=moto.client())
    with Running(engine):
        assert wait_until(lambda: engine.counters.processed == 60, timeout=30)
    assert order == groups


def run_worker_process(moto, url: str, log: Path, **env: str) -> subprocess.Popen:
    environment = subprocess_env(moto.env, {
        "QUEUE_URL": url, "RECEIVERS": "1", "RECEIVE_WAIT_SECONDS": "1", "HANDLER_LOG": str(log),
        "PYTHONPATH": f"{TESTS}:{REPO}",
    }, env)
    return subprocess.Popen([sys.executable, "-m", "worker", "worker_handlers:record"], cwd=REPO,
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# The SIGTERM tests' worker receives with this visibility timeout: a message it neither deletes nor
# gives back stays in flight this long, so a depth read sooner than this after SIGTERM tells the
# two apart on any machine.
SIGTERM_VISIBILITY_SECONDS = 300


def sigterm_and_read_depth(sqs, url: str, process: subprocess.Popen, timeout: float) -> tuple[int, int]:
    """SIGTERM, wait at most `timeout` for the exit (a hang guard), then (visible, in flight)."""
    sent = time.monotonic()
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    visible, in_flight = depth(sqs, url)
    assert time.monotonic() - sent < SIGTERM_VISIBILITY_SECONDS  # else in flight could have expired to visible
    return visible, in_flight


def test_worker_finishes_messages_in_hand_on_sigterm_and_exits_before_the_stop_timeout(moto, tmp_path):
    sqs = moto.client()
    url, _ = make_queue(sqs, "sigterm-finish")
    bodies = [f"m{i:03d}" for i in range(120)]
    send(sqs, url, bodies)
    log = tmp_path / "handled.log"
    # A stop timeout (119 s to drain) far beyond the 0.3 s handlers and the 60 s exit guard: exiting
    # within the guard shows it stopped once its messages were done, not at the deadline.
    process = run_worker_process(moto, url, log, CONCURRENCY="4", HANDLER_SECONDS="0.3", STOP_TIMEOUT_SECONDS="120",
                                 VISIBILITY_TIMEOUT_SECONDS=str(SIGTERM_VISIBILITY_SECONDS))
    assert wait_until(lambda: len(read_log(log)[1]) >= 8, timeout=20)
    visible, in_flight = sigterm_and_read_depth(sqs, url, process, timeout=60)
    started, done = read_log(log)
    assert process.returncode == 0, process.stderr.read()[-2000:]
    assert in_flight == 0
    assert sorted(started) == sorted(done) and len(set(done)) == len(done)  # everything started was finished
    remaining = drain_bodies(sqs, url)
    assert visible == len(remaining) == len(bodies) - len(done)
    assert sorted(remaining + done) == bodies
    lines = [json.loads(x) for x in process.stdout.read().splitlines() if x.startswith("{")]
    assert lines[-1]["event"] == "stop" and lines[-1]["totals"]["processed"] == len(done)


def test_worker_releases_unfinished_messages_on_sigterm(moto, tmp_path):
    sqs = moto.client()
    url, _ = make_queue(sqs, "sigterm-release")
    bodies = [f"m{i:03d}" for i in range(30)]
    send(sqs, url, bodies)
    log = tmp_path / "handled.log"
    process = run_worker_process(moto, url, log, CONCURRENCY="4", HANDLER_SECONDS="60", STOP_TIMEOUT_SECONDS="3",
                                 VISIBILITY_TIMEOUT_SECONDS=str(SIGTERM_VISIBILITY_SECONDS))
    assert wait_until(lambda: len(read_log(log)[0]) == 4, timeout=20)
    assert depth(sqs, url) == (26, 4)
    # The handlers sleep 60 s: exiting within the 30 s guard shows it gave their messages back at
    # its 3 s stop timeout rather than waiting for them (how soon after 3 s is the machine's speed).
    visible, in_flight = sigterm_and_read_depth(sqs, url, process, timeout=30)
    assert process.returncode == 0
    assert (visible, in_flight) == (30, 0)
    assert read_log(log)[1] == []
    assert sorted(drain_bodies(sqs, url)) == bodies


def test_an_sqs_worker_given_a_metric_namespace_publishes_what_it_processed_and_how_long_it_took(moto):
    """The engine times each handler and receive; the metrics read back from moto count every message."""
    from datetime import datetime, timedelta, timezone

    from capacity import contract

    sqs = moto.client()
    url, _ = make_queue(sqs, "measured")
    send(sqs, url, [str(i) for i in range(40)])
    cloudwatch = moto.client("cloudwatch")
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    engine = sqs_worker(lambda message: time.sleep(0.02),
                        config(url, concurrency=4, stack="shop", workload="measured", metric_period_seconds=0.2,
                               metric_namespace=contract.WORKER_NAMESPACE),
                        sqs=moto.client(), cloudwatch=cloudwatch)
    with Running(engine):
        assert wait_until(lambda: engine.counters.processed == 40, timeout=30)
    # No publish of our own: the worker sends the period in progress as it stops.
    dims = [{"Name": "Stack", "Value": "shop"}, {"Name": "Workload", "Value": "measured"}]

    def total(metric, statistic):
        answer = cloudwatch.get_metric_statistics(
            Namespace=contract.WORKER_NAMESPACE, MetricName=metric, Dimensions=dims, StartTime=started,
            EndTime=datetime.now(timezone.utc) + timedelta(minutes=1), Period=600, Statistics=[statistic])
        return sum(p[statistic] for p in answer["Datapoints"])

    assert total(contract.WORKER_PROCESSED_METRIC, "Sum") == 40
    assert total(contract.WORKER_PROCESSING_METRIC, "SampleCount") == 40
    mean = total(contract.WORKER_PROCESSING_METRIC, "Sum") / 40
    assert 0.02 <= mean < 0.2
    assert total(contract.WORKER_RECEIVE_METRIC, "SampleCount") >= 10  # 4 slots: 40 messages need 10 receives or more


def test_an_sqs_worker_with_a_metric_namespace_builds_its_own_cloudwatch_client_and_a_black_hole_stalls_nothing(
        moto, monkeypatch):
    """No client given: the worker's own, with the metrics' timeouts and tries, points at a socket that accepts
    and never answers; every message is still processed once and deleted, and the worker stops in time."""
    from fault_servers import black_hole
    from servers import TEST_CREDENTIALS

    from capacity import contract, limits

    for name, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    sqs = moto.client()
    url, _ = make_queue(sqs, "unanswered-metrics")
    send(sqs, url, [str(i) for i in range(40)])
    handled: list[str] = []
    with black_hole() as hole:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", hole.url)
        engine = sqs_worker(lambda message: handled.append(message.body),
                            config(url, concurrency=4, metric_period_seconds=0.1, stop_timeout_seconds=3,
                                   metric_namespace=contract.WORKER_NAMESPACE), sqs=moto.client())
        cloudwatch = engine.broker.metrics.cloudwatch
        assert (cloudwatch.meta.endpoint_url, cloudwatch.meta.config.read_timeout,
                cloudwatch.meta.config.retries["total_max_attempts"]) == (
            hole.url, limits.WORKER_CALL_READ_TIMEOUT_SECONDS, limits.WORKER_AWS_MAX_ATTEMPTS)
        running = Running(engine)
        with running:
            assert wait_until(lambda: len(handled) == 40 and depth(sqs, url) == (0, 0), timeout=20)
            assert wait_until(lambda: hole.accepted >= 1, timeout=5)  # it did try to publish
            stopping = time.monotonic()
        stopped_seconds = time.monotonic() - stopping
    assert sorted(handled, key=int) == [str(i) for i in range(40)]
    assert engine.broker.metrics.published == 0
    assert stopped_seconds < 3  # within the stop timeout, a PutMetricData still hanging on its daemon thread
