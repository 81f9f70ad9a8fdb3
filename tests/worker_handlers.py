"""Handlers the worker subprocess tests load by name (`worker_handlers:record`).

HANDLER_SECONDS: how long each message takes; HANDLER_LOG: a file that gets `start <id>`
when a handler begins and `done <id>` when it returns (one line each, appended).
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()


def _log(word: str, message_id: str) -> None:
    with _lock, open(os.environ["HANDLER_LOG"], "a") as f:
        f.write(f"{word} {message_id}\n")
        f.flush()


def record(message) -> None:
    _log("start", message.body)
    time.sleep(float(os.environ.get("HANDLER_SECONDS", "0")))
    _log("done", message.body)


def read_log(path) -> tuple[list[str], list[str]]:
    """(started, done) bodies, in order."""
    started, done = [], []
    if os.path.exists(path):
        for line in open(path).read().splitlines():
            word, _, body = line.partition(" ")
            (started if word == "start" else done).append(body)
    return started, done
