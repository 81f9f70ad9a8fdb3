"""Start a worker for a handler named MODULE:FUNCTION, stop it cleanly on SIGTERM.

`python -m worker app.handlers:handle` (or `qcap worker app.handlers:handle`) reads the
environment, picks SQS (QUEUE_URL) or Redis (REDIS_HOST), logs one JSON line per batch to
stdout, and exits 0 after a SIGTERM once every message it held is finished or released; a
scheduled run (BATCH_LIMIT) also exits 0 by itself when its batch, the queue or its time is done.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import signal
import sys
from typing import Any, Callable

from capacity.contract import WORKER_EXIT_BAD_SETUP, WORKER_EXIT_LOOP_FAILED, WORKER_EXIT_OK
from worker.config import WorkerConfig
from worker.engine import Counters, Engine, Handler


class HandlerError(ValueError):
    """The MODULE:FUNCTION handler cannot be loaded."""


def missing_module(spec: str, searched: str | None = None) -> str | None:
    """Why the handler's own module cannot be found (naming it, the directory searched first and the fix).

    None when it can be found, or when the module is there but fails to import: that error is its own.
    """
    module, sep, function = spec.partition(":")
    if not (module and sep and function) or module.startswith("."):
        return None  # a malformed handler: load_handler says how it should look
    try:
        found, missing = importlib.util.find_spec(module) is not None, module
    except ModuleNotFoundError as exc:  # a parent package is missing
        found, missing = False, exc.name or module
    except (ImportError, ValueError):
        return None
    if found or not (module == missing or module.startswith(f"{missing}.")):
        return None
    where = missing.replace(".", "/")
    first = searched or os.getcwd()  # `python -m worker` puts the current directory first, as qcap worker does
    return (f"cannot import module {missing!r} for handler {spec!r}: there is no {where}.py or {where}/ package "
            f"in {first} (the current directory, searched first) nor on the Python path; run the worker from "
            "the directory that holds it, or add that directory to PYTHONPATH")


def load_handler(spec: str) -> Handler:
    """Import `package.module:function` (a callable of one Message)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise HandlerError(f"handler {spec!r} must look like package.module:function")
    problem = missing_module(spec)
    if problem:
        raise HandlerError(problem)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HandlerError(f"cannot import {module_name!r} for handler {spec!r}: {exc}") from None
    target: Any = module
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise HandlerError(f"{module_name!r} has no {attribute!r} (handler {spec!r})")
    if not callable(target):
        raise HandlerError(f"handler {spec!r} is not callable")
    return target


def build_worker(handler: Handler, config: WorkerConfig) -> Engine:
    """The worker for the configured broker (imports redis only for Redis)."""
    if config.broker == "sqs":
        from worker.sqs import sqs_worker

        return sqs_worker(handler, config)
    from worker.redis_queue import redis_worker

    return redis_worker(handler, config)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a record is emitted (a test runner may swap and close it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """The worker's JSON lines as they are (the message is the JSON), to stdout for the awslogs driver.

    Only the `qcap.worker` loggers get a handler, so a worker started inside another program
    (or a test runner) leaves that program's root logging alone; records still propagate to it.
    """
    logger = logging.getLogger("qcap.worker")
    handler = StdoutHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers = [handler]
    logger.setLevel(level)


def run_until_signalled(engine: Engine, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> Counters:
    """Run in the main thread; SIGTERM or SIGINT stops receiving and starts the shutdown."""
    previous: dict[int, Any] = {}

    def on_signal(signum: int, _frame: Any) -> None:
        engine.stop(signal.Signals(signum).name)

    for sig in signals:
        previous[sig] = signal.signal(sig, on_signal)
    try:
        return engine.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def exit_now(code: int) -> None:
    """Flush the logs and end the process at once: after the stop line there is nothing left to clean up.

    The interpreter's own teardown (collecting boto3's modules) took up to 0.37 s of the stop
    timeout; os._exit takes milliseconds (benchmarks/bench_shutdown.py).
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None, build: Callable[[Handler, WorkerConfig], Engine] = build_worker,
         exit_after_run: bool = False) -> int:
    """Run the worker; with `exit_after_run` (the entry points) a worker that ran ends the process itself."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m worker MODULE:FUNCTION  (settings from the environment; see docs/workers.md)")
        return WORKER_EXIT_OK if args and args[0] in ("-h", "--help") else WORKER_EXIT_BAD_SETUP
    configure_logging()
    try:
        config = WorkerConfig.from_env()
        handler = load_handler(args[0])
        engine = build(handler, config)
    except ValueError as exc:
        print(f"qcap worker: {exc}", file=sys.stderr)
        return WORKER_EXIT_BAD_SETUP
    run_until_signalled(engine)
    code = WORKER_EXIT_LOOP_FAILED if engine.errors else WORKER_EXIT_OK
    if exit_after_run:
        exit_now(code)
    return code
