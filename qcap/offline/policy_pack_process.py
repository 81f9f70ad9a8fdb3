"""A policy pack as its own process, started exactly as the Pulumi CLI starts it, and always stopped.

The CLI runs `<virtualenv>/bin/python -u -m pulumi.policy <engine-address> .` in the pack's
directory with PULUMI_CONFIG, PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN and
PULUMI_ORGANIZATION set, and reads the port from the first line the pack prints. This module
does the same, serves a minimal Engine service on 127.0.0.1 for the pack to log to, bounds
the wait for the port, and stops the pack (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc, engine_pb2_grpc

from capacity import limits

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
# Seconds the pack gets to exit after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 3


class PolicyPackError(Exception):
    """The pack did not start, a call failed or timed out; the message says which and shows its stderr."""


class _LogCollector(engine_pb2_grpc.EngineServicer):
    """The Engine service's Log call, kept as (severity, message); other calls stay unimplemented."""

    SEVERITIES = {0: "debug", 1: "info", 2: "warning", 3: "error"}

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def Log(self, request, context):  # noqa: N802 - gRPC method name
        with self._lock:
            self.messages.append((self.SEVERITIES.get(request.severity, str(request.severity)), request.message))
        return empty_pb2.Empty()


def pack_project(pack_dir: Path) -> dict[str, Any]:
    """The pack's PulumiPolicy.yaml."""
    try:
        project = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    except FileNotFoundError:
        raise PolicyPackError(f"{pack_dir}: no PulumiPolicy.yaml, not a policy pack") from None
    if not isinstance(project, dict):
        raise PolicyPackError(f"{pack_dir / 'PulumiPolicy.yaml'}: expected a mapping with name and runtime")
    return project


def pack_python(pack_dir: Path) -> str:
    """The interpreter the CLI would use: PulumiPolicy.yaml's runtime virtualenv, else this one."""
    project = pack_project(pack_dir)
    runtime = project.get("runtime")
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if venv:
        candidate = (pack_dir / str(venv)).resolve() / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return sys.executable


class PolicyPackProcess:
    """A running policy pack: `start()` returns at once (start it early), `stub()` waits for its port.

    Use as a context manager so the process and the engine server always stop.
    """

    def __init__(
        self,
        pack_dir: Path | str = POLICIES_DIR,
        *,
        stack: str = "dev",
        project: str = "qcap",
        config: Mapping[str, Any] | None = None,
        start_timeout_seconds: float = limits.POLICY_PACK_START_TIMEOUT_SECONDS,
    ) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.stack = stack
        self.project = project
        self.config = dict(config or {})
        self.start_timeout_seconds = start_timeout_seconds
        self.logs = _LogCollector()
        self._engine: grpc.Server | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._port_line: queue.Queue[bytes] = queue.Queue()
        self._stderr: list[bytes] = []
        self._started_at = 0.0
        self.start_seconds = 0.0

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve the engine, then launch the pack the way the CLI does; does not wait for it."""
        self._started_at = time.perf_counter()
        self._engine = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.logs, self._engine)
        engine_port = self._engine.add_insecure_port("127.0.0.1:0")
        self._engine.start()
        env = {
            **os.environ,
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_ORGANIZATION": "organization",
            "PULUMI_DRY_RUN": "true",
            "PULUMI_CONFIG": json.dumps({k: v if isinstance(v, str) else json.dumps(v)
                                         for k, v in self.config.items()}),
        }
        command = [pack_python(self.pack_dir), "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", "."]
        self._process = subprocess.Popen(
            command, cwd=self.pack_dir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self._process and self._process.stdout
        line = self._process.stdout.readline()
        self.start_seconds = time.perf_counter() - self._started_at
        self._port_line.put(line)
        for _ in self._process.stdout:  # keep draining so the pack never blocks on a full pipe
            pass

    def _read_stderr(self) -> None:
        assert self._process and self._process.stderr
        for line in self._process.stderr:
            self._stderr.append(line)

    def stderr_tail(self, lines: int = 20) -> str:
        return b"".join(self._stderr[-lines:]).decode(errors="replace").rstrip()

    def failure(self, what: str) -> PolicyPackError:
        """An error naming the pack and what went wrong, with the tail of its stderr."""
        tail = self.stderr_tail()
        return PolicyPackError(f"policy pack {self.pack_dir}: {what}" + (f"\n{tail}" if tail else ""))

    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """Wait (bounded) for the port line and connect."""
        if self._channel is None:
            try:
                line = self._port_line.get(timeout=self.start_timeout_seconds)
            except queue.Empty:
                raise self.failure(f"printed no port within {self.start_timeout_seconds:g} s") from None
            text = line.decode(errors="replace").strip()
            if not text.isdigit():
                # The pack exited (or printed something else) before serving: wait briefly for its stderr.
                if self._process:
                    try:
                        self._process.wait(timeout=STOP_GRACE_SECONDS)
                    except subprocess.TimeoutExpired:
                        pass
                raise self.failure(f"did not start (first line {text!r} is not a port)")
            self._channel = grpc.insecure_channel(f"127.0.0.1:{text}")
            try:
                grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout_seconds)
            except grpc.FutureTimeoutError:
                raise self.failure(f"port {text} did not accept a connection") from None
        return analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def stop(self) -> None:
        """Stop the pack (SIGTERM, then SIGKILL), the channel and the engine server. Safe to call twice."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=STOP_GRACE_SECONDS)
        if self._engine is not None:
            self._engine.stop(grace=None)
            self._engine = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
