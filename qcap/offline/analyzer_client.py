"""Drive a policy pack over the Analyzer gRPC protocol with the Pulumi CLI's sequence of calls.

Against a pack started as the CLI starts it (qcap.offline.policy_pack_process): Handshake,
ConfigureStack, GetAnalyzerInfo, Configure, Analyze per resource and AnalyzeStack, each
bounded with a timeout; `analyze` starts the pack, runs them and always stops the pack.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from capacity import limits
from qcap.offline.analysis import Analysis, AnalyzerResource, Diagnostic
from qcap.offline.analyzer_wire import LEVEL_TO_WIRE, diagnostics_of, policies_of, resource_options, to_struct
from qcap.offline.policy_config import resolve_policy_config
from qcap.offline.policy_pack_process import POLICIES_DIR, PolicyPackProcess, pack_project

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
# Analyze calls kept in flight at once (the pack serves 4 at a time).
ANALYZE_IN_FLIGHT = 8


def analyzed(resources: Iterable[AnalyzerResource]) -> list[AnalyzerResource]:
    """The resources the engine hands to Analyze: everything but the root stack and providers."""
    return [r for r in resources if r.type != STACK_TYPE and not r.type.startswith(PROVIDER_TYPE_PREFIX)]


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
    policies = policies_of(info)
    by_name = {p.name: p for p in policies}
    resolved = resolve_policy_config(policies, policy_config, source=config_source)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, properties) in resolved.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_TO_WIRE[level], properties=to_struct(properties)))
    _call("Configure", pack, stub.Configure, request, t)
    timings["configure"] = time.perf_counter() - clock - timings["pack_ready"]

    diagnostics: list[Diagnostic] = []
    started = time.perf_counter()
    targets = analyzed(resources)
    for offset in range(0, len(targets), ANALYZE_IN_FLIGHT):
        batch = targets[offset:offset + ANALYZE_IN_FLIGHT]
        pending = [
            (r, stub.Analyze.future(analyzer_pb2.AnalyzeRequest(
                type=r.type, urn=r.urn, name=r.name, properties=to_struct(r.inputs), options=resource_options(r)),
                timeout=t))
            for r in batch
        ]
        for resource, future in pending:
            try:
                diagnostics += diagnostics_of(future.result(), resource.urn, by_name)
            except grpc.RpcError as exc:
                raise pack.failure(f"Analyze {resource.urn} failed: {exc.code().name}: {exc.details()}") from None
    timings["analyze"] = time.perf_counter() - started

    started = time.perf_counter()
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=to_struct({**r.inputs, **r.outputs}),
            options=resource_options(r), parent=r.parent, dependencies=list(r.dependencies),
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                                  for k, v in r.property_dependencies.items()},
        )
        for r in targets
    ])
    diagnostics += diagnostics_of(_call("AnalyzeStack", pack, stub.AnalyzeStack, stack_request, t), "", by_name)
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
