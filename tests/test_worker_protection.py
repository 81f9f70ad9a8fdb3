"""Scale-in protection through a stub of the ECS agent's endpoint on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest
from test_worker_sqs import config, make_queue, send
from worker_running import Running, wait_until

from capacity import limits
from worker.engine import Message
from worker.protection import POLL_SECONDS, TaskProtection
from worker.sqs import sqs_worker

# What else the stop may take beyond its join and the release timeout (the deadline the test gives is 2 s).
SCHEDULING_SLACK_SECONDS = 0.1


def test_protection_does_nothing_when_there_is_no_agent_uri():
    protection = TaskProtection(None)
    protection.start()
    protection.busy(True)
    protection.stop()
    assert (protection.enabled, protection.calls, protection.held) == (False, 0, False)


def test_protection_rejects_an_expiry_beyond_48_hours():
    with pytest.raises(ValueError, match="protection minutes 2881 outside 1-2880"):
        TaskProtection("http://127.0.0.1:1", minutes=2881)


def test_protection_is_held_while_busy_and_dropped_after_the_idle_grace(ecs_agent):
    # A 1 s grace checked 0.15 s in, so oversleeping by most of a second on a loaded machine still
    # falls within it (the waits are only guards against a hang).
    protection = TaskProtection(ecs_agent.uri, idle_seconds=1.0, minutes=15)
    protection.start()
    try:
        protection.busy(True)
        assert wait_until(lambda: ecs_agent.protected, timeout=10)
        protection.busy(False)
        protection.busy(True)  # a new message within the grace: no call
        protection.busy(False)
        time.sleep(0.15)
        assert ecs_agent.protected is True
        assert wait_until(lambda: not ecs_agent.protected, timeout=10)
    finally:
        protection.stop()
    assert ecs_agent.puts == [{"ProtectionEnabled": True, "ExpiresInMinutes": 15}, {"ProtectionEnabled": False}]


def test_protection_retries_when_the_agent_is_unreachable():
    protection = TaskProtection("http://127.0.0.1:9/v4/x", idle_seconds=0.1)
    protection.start()
    protection.busy(True)
    # It tries again a second after each failure: wait for the second try, however slow the machine.
    retried = wait_until(lambda: protection.failures >= 2, timeout=30)
    protection.stop()
    assert retried and protection.held is False


@pytest.mark.slow
def test_worker_holds_protection_while_busy_and_releases_it_when_idle(moto, ecs_agent):
    sqs = moto.client()
    url, _ = make_queue(sqs, "protected")
    protected_while_handling: list[bool] = []
    lock = threading.Lock()

    def handle(message: Message) -> None:
        time.sleep(0.2)
        with lock:
            protected_while_handling.append(ecs_agent.protected)

    engine = sqs_worker(handle, config(url, concurrency=4, ecs_agent_uri=ecs_agent.uri, protection_idle_seconds=0.5),
                        sqs=moto.client())
    with Running(engine):
        time.sleep(1.0)
        assert ecs_agent.puts == []  # idle: nothing to protect
        send(sqs, url, [str(i) for i in range(20)])
        assert wait_until(lambda: engine.counters.processed == 20, timeout=20)
        assert wait_until(lambda: ecs_agent.protected is False and len(ecs_agent.puts) >= 2, timeout=10)
        idle_calls = len(ecs_agent.puts)
        time.sleep(1.0)
        assert len(ecs_agent.puts) == idle_calls  # stays unprotected while idle
    assert protected_while_handling == [True] * 20
    assert ecs_agent.puts[0]["ProtectionEnabled"] is True and ecs_agent.puts[-1] == {"ProtectionEnabled": False}
    enabled = [p["ProtectionEnabled"] for p in ecs_agent.puts]
    assert all(a != b for a, b in zip(enabled, enabled[1:]))  # no repeated calls, only changes


def test_the_release_at_stop_gives_up_at_its_deadline_when_the_agent_hangs(ecs_agent):
    protection = TaskProtection(ecs_agent.uri, idle_seconds=60)
    protection.start()
    protection.busy(True)
    assert wait_until(lambda: ecs_agent.protected, timeout=2)
    ecs_agent.hang.set()
    started = time.monotonic()
    assert protection.stop(deadline=started + 2.0) is False
    # The loop's join (2 polls), then the release's own timeout, and scheduling slack: far under the 2 s deadline.
    bound = POLL_SECONDS * 2 + limits.WORKER_PROTECTION_RELEASE_TIMEOUT_SECONDS + SCHEDULING_SLACK_SECONDS
    assert time.monotonic() - started < bound
    assert ecs_agent.hung_calls == 1
