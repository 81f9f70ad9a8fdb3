"""An example handler for the reference worker: one call per message, raise to retry it.

The worker runs CONCURRENCY of these at once on threads; return normally and the message is
deleted (SQS) or acknowledged (Redis); raise and it comes back after a backoff, and after
MAX_RECEIVE_COUNT attempts it goes to the dead-letter queue (or list).
"""

from __future__ import annotations

import json

from worker import Message


def handle(message: Message) -> None:
    event = json.loads(message.body) if message.body.startswith("{") else {"raw": message.body}
    if event.get("poison"):
        raise ValueError(f"cannot process message {message.id}: marked poison")
    # ... write the event to the sink here (one connection per handler thread, from a pool) ...
