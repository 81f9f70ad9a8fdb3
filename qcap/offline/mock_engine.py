"""The offline engine: run the real Pulumi program (or any function) under the SDK's mocks.

No Pulumi CLI, no provider plugins, no cloud: a recording mock monitor captures every
registration (type, logical name, inputs, parent, dependencies and options) and a mock
provider answers with realistic outputs (ARNs with the region and account 123456789012,
SQS queue URLs, cache endpoints). Tests and `qcap preview` both build on `run_program`.
This module runs the program; what a run records is in qcap.offline.program_run, the
provider in qcap.offline.mock_provider, the monitor in qcap.offline.recording_monitor and
the stack config in qcap.offline.pulumi_project.
"""

from __future__ import annotations

import asyncio
import runpy
import sysconfig
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockSettings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from qcap.offline.mock_provider import DEFAULT_REGION, QcapMocks
from qcap.offline.program_run import ProgramRun
from qcap.offline.pulumi_project import (
    OFFLINE_SECRET_KEYS,
    OFFLINE_SECRET_VALUE,
    PROGRAM_PATH,
    PROJECT_DIR,
    config_string,
    project_name,
    stack_config,
)
from qcap.offline.recording_monitor import RecordingEngine, RecordingMonitor

_RUN_LOCK = threading.Lock()
# Frames from these directories are the engine, the SDKs and the standard library, not the program.
_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
                                                      sysconfig.get_paths()["platlib"], Path(__file__).parent})


class ProgramExited(Exception):
    """The program called sys.exit: the run ends with this as its error."""

    def __init__(self, message: str, location: str | None):
        super().__init__(message)
        self.location = location


def error_location(exc: BaseException) -> str | None:
    """Where in the program the error was raised ("file, line N, in f"), or None when no frame is the program's.

    A syntax error names its own line; otherwise the innermost frame outside the engine, the SDKs and
    the standard library (an apply's lambda, the import statement of a missing module)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}, line {exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith("<") and not str(Path(f.filename).resolve()).startswith(_LIBRARY_DIRS)]
    if not frames:
        return None
    frame = frames[-1]
    return f"{frame.filename}, line {frame.lineno}, in {frame.name}"


def run_function(
    program: Callable[[], Any],
    stack: str = "test",
    config: dict[str, Any] | None = None,
    secret_keys: list[str] | tuple[str, ...] = (),
    *,
    new_stack: bool = False,
) -> ProgramRun:
    """Run `program` inside a fresh root stack under the mocks and record everything.

    By default as an update of an existing stack (every output known). With `new_stack`, as
    the first preview of a stack that does not exist yet: a dry run in which every output the
    provider computes on create is unknown (see QcapMocks). A dict returned by `program` is
    exported as stack outputs. Safe to call repeatedly in one process: each run gets new
    runtime settings, a new root stack and its own config.
    """
    config = dict(config or {})
    region = str(config.get("aws:region") or DEFAULT_REGION)
    mocks = QcapMocks(region=region, new_stack=new_stack)
    monitor = RecordingMonitor(mocks)
    engine = RecordingEngine()
    run = ProgramRun(stack=stack, config=config)
    with _RUN_LOCK:
        previous_config = dict(runtime_config.CONFIG.get())
        settings = MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=engine,
            project=project_name(),
            stack=stack,
            dry_run=new_stack,
            organization="organization",
            callbacks=None,
            parallel=None,
            root_directory=str(PROJECT_DIR),
            legacy_apply_enabled=False,
            outputs=set(),
            lock=threading.Lock(),
            package_refs={},
            base_providers_by_ref={},
        )
        runtime_settings.configure(settings)
        runtime_settings.ROOT.set(None)
        runtime_config.set_all_config({k: config_string(v) for k, v in config.items()}, list(secret_keys))

        def body() -> None:
            try:
                result = program()
            except SystemExit as exc:  # a program that exits ends its run, not the caller's process
                raise ProgramExited(f"the program called sys.exit({exc.code!r})", error_location(exc)) from None
            if isinstance(result, dict):
                for key, value in result.items():
                    pulumi.export(key, value)

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            _sync_await(run_in_stack(body))
        except pulumi.RunError as exc:
            run.error = str(exc)
            run.error_location = error_location(exc)
        except ProgramExited as exc:
            run.error, run.error_location = str(exc), exc.location
        except Exception as exc:  # noqa: BLE001 - the run reports any program failure as its result
            run.error = f"{type(exc).__name__}: {exc}"
            run.error_location = error_location(exc)
        finally:
            # A failed program leaves registrations in flight; finish them before closing the loop.
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()
            asyncio.set_event_loop(None)
            runtime_settings.ROOT.set(None)
            runtime_config.set_all_config(previous_config, [])
    run.registrations = list(monitor.registrations)
    if monitor.stack_urn:
        run.outputs = monitor.outputs_by_urn.get(monitor.stack_urn, {})
    run.logs = list(engine.messages)
    return run


def run_program(stack: str, config: dict[str, Any] | None = None, *, offline_secrets: bool = True,
                new_stack: bool = False) -> ProgramRun:
    """Run the project's __main__.py for STACK under the mocks and return what it registered.

    Config comes from Pulumi.<stack>.yaml, overlaid with `config` (keys such as "aws:region").
    With `offline_secrets`, a secret the offline engine cannot have (encrypted or not set) gets
    a stand-in value so the program runs; pass False to see how the program reacts to its absence.
    """
    values, secure = stack_config(stack)
    values.update(config or {})
    secret_keys = [k for k in secure if k in values] + [k for k in OFFLINE_SECRET_KEYS if k in (config or {})]
    if offline_secrets:
        for key in (*secure, *OFFLINE_SECRET_KEYS):
            if key not in values:
                values[key] = OFFLINE_SECRET_VALUE
                secret_keys.append(key)
    values = {k: v for k, v in values.items() if v is not None}

    def program() -> None:
        runpy.run_path(str(PROGRAM_PATH), run_name="__main__")

    return run_function(program, stack=stack, config=values, secret_keys=sorted(set(secret_keys)), new_stack=new_stack)
