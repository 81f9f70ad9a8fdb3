"""The e2e run's handler: takes HANDLER_SECONDS (the plan's processing time) per message."""

from __future__ import annotations

import os
import time

SECONDS = float(os.environ.get("HANDLER_SECONDS", "0"))


def handle(message) -> None:
    time.sleep(SECONDS)
