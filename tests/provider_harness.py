"""The component package driven as the Pulumi CLI drives it, without the CLI: a test harness.

`ProviderProcess` serves a minimal Engine on 127.0.0.1, starts `python -m provider <engine>`
(the plugin prints its port), and talks ResourceProvider over gRPC. `MockMonitor` is the
ResourceMonitor a Construct registers with: qcap/offline/mock_engine.py's recording monitor
and mock outputs behind a gRPC server. Every wait is bounded; every process and server stops.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any, Iterable, Mapping

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    errors_pb2,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
    status_pb2,
)

from qcap.offline.mock_provider import QcapMocks
from qcap.offline.program_run import STACK_TYPE, Registration
from qcap.offline.pulumi_project import OFFLINE_SECRET_VALUE, stack_config
from qcap.offline.recording_monitor import RecordingMonitor

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "qcap"
START_TIMEOUT_SECONDS = 120.0
CALL_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 5.0


def stack_urn(stack: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{stack}"


# --- the engine and the monitor the provider talks to --------------------------------


class _Engine(engine_pb2_grpc.EngineServicer):
    """Log (kept) and the root resource (the stack), all a provider asks of the engine."""

    def __init__(self) -> None:
        self.messages: list[tuple[int, str]] = []
        self.root = ""

    def Log(self, request, context):  # noqa: N802 - gRPC method names
        self.messages.append((request.severity, request.message))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):  # noqa: N802
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


class _Recording(RecordingMonitor):
    """mock_engine's recording monitor with URNs of a fixed stack and project (no runtime settings here)."""

    def __init__(self, stack: str, region: str) -> None:
        super().__init__(QcapMocks(region=region))
        self.stack = stack

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([self.stack, PROJECT, qualified, name])


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The ResourceMonitor service in front of the current recording."""

    def __init__(self) -> None:
        self.recording = _Recording("test", "us-east-1")

    def SupportsFeature(self, request, context):  # noqa: N802
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")

    def GetDeploymentInfo(self, request, context):  # noqa: N802
        return self.recording.GetDeploymentInfo(request)

    def RegisterResource(self, request, context):  # noqa: N802
        return self.recording.RegisterResource(request)

    def RegisterResourceOutputs(self, request, context):  # noqa: N802
        return self.recording.RegisterResourceOutputs(request)

    def Invoke(self, request, context):  # noqa: N802
        return self.recording.Invoke(request)

    def RegisterPackage(self, request, context):  # noqa: N802
        return self.recording.RegisterPackage(request)

    def SignalAndWaitForShutdown(self, request, context):  # noqa: N802
        return empty_pb2.Empty()


def _serve(add: Any, servicer: Any) -> tuple[grpc.Server, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


# --- the provider process -------------------------------------------------------------


class ProviderProcess:
    """The plugin started as the CLI starts it; `stub` is its ResourceProvider. Use as a context manager."""

    def __init__(self, command: Iterable[str] = (sys.executable, "-u", "-m", "provider"), cwd: Path = ROOT) -> None:
        self.command = list(command)
        self.cwd = cwd
        self.engine = _Engine()
        self.monitor = _Monitor()
        self._servers: list[grpc.Server] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []
        self.stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self.monitor_address = ""

    def __enter__(self) -> ProviderProcess:
        engine, engine_address = _serve(engine_pb2_grpc.add_EngineServicer_to_server, self.engine)
        monitor, self.monitor_address = _serve(resource_pb2_grpc.add_ResourceMonitorServicer_to_server, self.monitor)
        self._servers = [engine, monitor]
        self._process = subprocess.Popen([*self.command, engine_address], cwd=self.cwd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        port_line: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=lambda: port_line.put(self._process.stdout.readline()), daemon=True).start()
        threading.Thread(target=lambda: self._stderr.extend(iter(self._process.stderr.readline, b"")),
                         daemon=True).start()
        try:
            line = port_line.get(timeout=START_TIMEOUT_SECONDS)
        except queue.Empty:
            self.__exit__()
            raise RuntimeError(f"the provider printed no port within {START_TIMEOUT_SECONDS} s: {self.stderr()}")
        if not line.strip().isdigit():
            self.__exit__()
            raise RuntimeError(f"the provider printed {line!r} instead of its port: {self.stderr()}")
        self.port = int(line)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT_SECONDS)
        for server in self._servers:
            server.stop(grace=None)

    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")[-4000:]

    def schema(self) -> dict[str, Any]:
        response = self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=CALL_TIMEOUT_SECONDS)
        return json.loads(response.schema)

    def construct(self, type_name: str, name: str, inputs: Mapping[str, Any], stack: str = "dev",
                  config: Mapping[str, Any] | None = None, secret_inputs: Iterable[str] = ()) -> Construction:
        """Construct `qcap:index:<type_name>` as the engine would for a program of `stack`, recording it."""
        config = dict(config if config is not None else stack_config(stack)[0])
        region = str(config.get("aws:region") or "us-east-1")
        self.monitor.recording = _Recording(stack, region)
        properties = struct_pb2.Struct()
        properties.update(wire({k: secret(v) if k in set(secret_inputs) else v for k, v in inputs.items()}))
        request = provider_pb2.ConstructRequest(
            project=PROJECT, stack=stack, organization="organization", dryRun=False, parallel=4,
            monitorEndpoint=self.monitor_address, type=f"{PROJECT}:index:{type_name}", name=name,
            parent=stack_urn(stack), inputs=properties, accepts_output_values=False,
            config={k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()},
        )
        try:
            response = self.stub.Construct(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            return Construction(None, list(self.monitor.recording.registrations), exc)
        return Construction(response, list(self.monitor.recording.registrations), None)


def wire(value: Any) -> Any:
    """A value as a protobuf Struct holds it (numbers as floats)."""
    if isinstance(value, Mapping):
        return {str(k): wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def secret(value: Any) -> dict[str, Any]:
    """A value marked secret on the wire, as an engine sends a secret input."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


class Construction:
    """What one Construct returned (its state, or the error) and every registration it made."""

    def __init__(self, response: Any, registrations: list[Registration], error: grpc.RpcError | None) -> None:
        self.response = response
        self.registrations = registrations
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def state(self) -> dict[str, Any]:
        return _plain(rpc.deserialize_properties(self.response.state)) if self.response else {}

    @property
    def urn(self) -> str:
        return self.response.urn if self.response else ""

    def property_errors(self) -> list[tuple[str, str]]:
        """The InputPropertiesError details of a failed Construct: (property path, reason)."""
        for key, value in self.error.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status = status_pb2.Status.FromString(value)
                for detail in status.details:
                    errors = errors_pb2.InputPropertiesError()
                    if detail.Unpack(errors):
                        return [(e.property_path, e.reason) for e in errors.errors]
        return []


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- comparing registrations ----------------------------------------------------------


def tree(registrations: Iterable[Registration], roots: Iterable[str]) -> dict[tuple, tuple]:
    """Registrations below `roots` (URNs) keyed by (type, name, parent's type and name or None):
    their inputs and whether they are protected. URNs differ between programs; this does not."""
    regs = [r for r in registrations if r.type != STACK_TYPE]
    by_urn = {r.urn: r for r in regs}
    roots = set(roots)

    def parent_key(urn: str) -> tuple | None:
        return None if urn in roots or urn not in by_urn else (by_urn[urn].type, by_urn[urn].name)

    def below(r: Registration) -> bool:
        while r.parent not in roots:
            if r.parent not in by_urn:
                return False
            r = by_urn[r.parent]
        return True

    return {(r.type, r.name, parent_key(r.parent)): (r.inputs, r.protect)
            for r in regs if r.urn not in roots and below(r)}


def subtree(registrations: list[Registration], type_: str, name: str) -> dict[tuple, tuple]:
    """The registrations of one component and everything below it, the component at the top."""
    component = next(r for r in registrations if r.type == type_ and r.name == name)
    parents = {r.urn: r.parent for r in registrations}

    def inside(urn: str) -> bool:
        while urn and urn != component.urn:
            urn = parents.get(urn, "")
        return urn == component.urn

    return tree([r for r in registrations if inside(r.urn)], {component.parent})


def program_inputs(stack: str) -> dict[str, Any]:
    """The settings the Python program reads from Pulumi.<stack>.yaml, as component inputs."""
    config = stack_config(stack)[0]
    keys = {"qcap:subnetIds": "subnetIds", "qcap:securityGroupIds": "securityGroupIds", "qcap:vpcId": "vpcId",
            "qcap:clusterArn": "clusterArn", "qcap:cloudflareAccountId": "cloudflareAccountId",
            "qcap:kmsKeyArn": "kmsKeyArn"}
    inputs = {name: config[key] for key, name in keys.items() if config.get(key) is not None}
    if "qcap:vpcId" in config:  # a Redis stack: the token the offline engine stands in for the secret
        inputs["redisAuthToken"] = OFFLINE_SECRET_VALUE
    return inputs


def camel_keys(value: Any) -> Any:
    """A profile as parsed YAML with its keys in the schema's names: the typed `profile` input."""
    from pulumi.provider.experimental.util import camel_case

    if isinstance(value, Mapping):
        return {camel_case(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def output_of(registrations: Iterable[Registration], type_: str, name: str | None = None) -> dict[str, Any]:
    """The (mock) outputs of the one registration of `type_` (and `name`)."""
    found = [r for r in registrations if r.type == type_ and (name is None or r.name == name)]
    assert len(found) == 1, f"{len(found)} registrations of {type_} {name or ''}"
    return found[0].outputs
