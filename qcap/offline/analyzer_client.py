"""Drive a policy pack over the Analyzer gRPC protocol, started exactly as the Pulumi CLI starts it.

The CLI runs `<virtualenv>/bin/python -u -m pulumi.policy <engine-address> .` in the pack's
directory with PULUMI_CONFIG, PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN and
PULUMI_ORGANIZATION set, reads the port from the first line the pack prints, then calls
Handshake, ConfigureStack, GetAnalyzerInfo, Configure, Analyze per resource and AnalyzeStack.
This module does the same, serves a minimal Engine service on 127.0.0.1 for the pack to log
to, bounds every step with a timeout, and always stops the pack.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from capacity import limits
from qcap.offline.policy_config import PolicyInfo, resolve_policy_config

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
_LEVEL_TO_WIRE = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_WIRE_TO_LEVEL = {v: k for k, v in _LEVEL_TO_WIRE.items()}
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
# Seconds the pack gets to exit after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 3
# Analyze calls kept in flight at once (the pack serves 4 at a time).
ANALYZE_IN_FLIGHT = 8



class PolicyPackError(Exception):
    """The pack did not start, a call failed or timed out; the message says which and shows its stderr."""


# --- what goes in, what comes out ----------------------------------------------------


@dataclass(frozen=True)
class AnalyzerResource:
    """One resource for the Analyzer: inputs (for Analyze), outputs (merged for AnalyzeStack), options."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """One violation the pack reported, with the resource it concerns and how to fix it."""

    policy: str
    level: str
    message: str
    urn: str
    description: str
    remediation: str


@dataclass
class Analysis:
    """Everything one analysis produced, with the time each phase took."""

    pack_name: str
    pack_version: str
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic]
    engine_logs: list[tuple[str, str]]
    timings_seconds: dict[str, float]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "advisory"]


# --- wire conversions -----------------------------------------------------------------


def _wire_value(value: Any) -> Any:
    """A Python value as protobuf Struct accepts it (numbers become floats, tuples lists)."""
    if isinstance(value, Mapping):
        return {str(k): _wire_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire_value(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_wire_value(values))
    return struct


def _options(resource: AnalyzerResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        parent=resource.parent,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def analyzed(resources: Iterable[AnalyzerResource]) -> list[AnalyzerResource]:
    """The resources the engine hands to Analyze: everything but the root stack and providers."""
    return [r for r in resources if r.type != STACK_TYPE and not r.type.startswith(PROVIDER_TYPE_PREFIX)]


# --- the engine the pack may log to --------------------------------------------------


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


# --- the pack process ----------------------------------------------------------------


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


# --- the analysis --------------------------------------------------------------------


def _policy_info(info: analyzer_pb2.AnalyzerInfo) -> list[PolicyInfo]:
    return [
        PolicyInfo(
            name=p.name,
            description=p.description,
            level=_WIRE_TO_LEVEL.get(p.enforcementLevel, "advisory"),
            remediation=p.remediation_steps,
            config_schema=json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {},
            stack=p.policy_type == analyzer_pb2.POLICY_TYPE_STACK,
            tags=tuple(p.tags),
        )
        for p in info.policies
    ]


def _diagnostics(response: analyzer_pb2.AnalyzeResponse, urn: str,
                 policies: Mapping[str, PolicyInfo]) -> list[Diagnostic]:
    out = []
    for d in response.diagnostics:
        description = d.description
        message = d.message
        # The pack prefixes the message with the policy description; keep only what is specific.
        if description and message.startswith(description):
            message = message[len(description):].lstrip("\n") or description
        policy = policies.get(d.policyName)
        out.append(Diagnostic(
            policy=d.policyName,
            level=_WIRE_TO_LEVEL.get(d.enforcementLevel, "advisory"),
            message=message,
            urn=d.urn or urn,
            description=description,
            remediation=policy.remediation if policy else "",
        ))
    return out


def _call(what: str, pack: PolicyPackProcess, method: Any, request: Any, timeout: float) -> Any:
    try:
        return method(request, timeout=timeout)
    except grpc.RpcError as exc:
        raise pack.failure(f"{what} failed: {exc.code().name}: {exc.details()}") from None


def run_analysis(
    pack: PolicyPackProcess,
    resources: Sequence[AnalyzerResource],
    policy_config: Mapping[str, Any] | None = None,
    *,
    config_source: str = "policy config",
    call_timeout_seconds: float = limits.POLICY_PACK_CALL_TIMEOUT_SECONDS,
) -> Analysis:
    """Run the CLI's sequence of calls against a started pack and collect every violation."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    stub = pack.stub()
    timings["pack_ready"] = time.perf_counter() - clock
    t = call_timeout_seconds

    try:
        stub.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address="", root_directory=str(pack.pack_dir), program_directory=str(pack.pack_dir)), timeout=t)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.UNIMPLEMENTED:  # the CLI tolerates packs without Handshake too
            raise pack.failure(f"Handshake failed: {exc.code().name}: {exc.details()}") from None
    _call("ConfigureStack", pack, stub.ConfigureStack, analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=pack.stack, project=pack.project, organization="organization", dry_run=True,
        config={k: v if isinstance(v, str) else json.dumps(v) for k, v in pack.config.items()}), t)
    info = _call("GetAnalyzerInfo", pack, stub.GetAnalyzerInfo, empty_pb2.Empty(), t)
    policies = _policy_info(info)
    by_name = {p.name: p for p in policies}
    resolved = resolve_policy_config(policies, policy_config, source=config_source)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, properties) in resolved.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=_LEVEL_TO_WIRE[level], properties=_struct(properties)))
    _call("Configure", pack, stub.Configure, request, t)
    timings["configure"] = time.perf_counter() - clock - timings["pack_ready"]

    diagnostics: list[Diagnostic] = []
    started = time.perf_counter()
    targets = analyzed(resources)
    for offset in range(0, len(targets), ANALYZE_IN_FLIGHT):
        batch = targets[offset:offset + ANALYZE_IN_FLIGHT]
        pending = [
            (r, stub.Analyze.future(analyzer_pb2.AnalyzeRequest(
                type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs), options=_options(r)), timeout=t))
            for r in batch
        ]
        for resource, future in pending:
            try:
                diagnostics += _diagnostics(future.result(), resource.urn, by_name)
            except grpc.RpcError as exc:
                raise pack.failure(f"Analyze {resource.urn} failed: {exc.code().name}: {exc.details()}") from None
    timings["analyze"] = time.perf_counter() - started

    started = time.perf_counter()
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=_struct({**r.inputs, **r.outputs}),
            options=_options(r), parent=r.parent, dependencies=list(r.dependencies),
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                                  for k, v in r.property_dependencies.items()},
        )
        for r in targets
    ])
    diagnostics += _diagnostics(_call("AnalyzeStack", pack, stub.AnalyzeStack, stack_request, t), "", by_name)
    timings["analyze_stack"] = time.perf_counter() - started
    timings["pack_start"] = pack.start_seconds
    # As the CLI does, the version in PulumiPolicy.yaml wins over the one the pack reports.
    version = pack_project(pack.pack_dir).get("version") or info.version
    return Analysis(
        pack_name=info.name,
        pack_version=str(version),
        policies=policies,
        diagnostics=diagnostics,
        engine_logs=list(pack.logs.messages),
        timings_seconds=timings,
    )


def analyze(
    resources: Sequence[AnalyzerResource],
    policy_config: Mapping[str, Any] | None = None,
    *,
    pack_dir: Path | str = POLICIES_DIR,
    stack: str = "dev",
    project: str = "qcap",
    config: Mapping[str, Any] | None = None,
    start_timeout_seconds: float = limits.POLICY_PACK_START_TIMEOUT_SECONDS,
    call_timeout_seconds: float = limits.POLICY_PACK_CALL_TIMEOUT_SECONDS,
) -> Analysis:
    """Start the pack, analyze `resources`, stop the pack (always)."""
    with PolicyPackProcess(pack_dir, stack=stack, project=project, config=config,
                           start_timeout_seconds=start_timeout_seconds) as pack:
        return run_analysis(pack, resources, policy_config, call_timeout_seconds=call_timeout_seconds)
