"""The recording monitor and engine: the SDK's mocks, keeping every registration and log line of a run.

The monitor records each RegisterResource call (type, name, inputs, parent, dependencies and
options, with the mock provider's outputs) and the stack's outputs; the engine keeps what the
program logs. qcap.offline.mock_engine reads both into a ProgramRun.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockEngine, MockMonitor, Mocks

from qcap.offline.program_run import STACK_TYPE, Registration


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps every registration with its parent and options, and the stack's outputs."""

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.outputs_by_urn: dict[str, dict[str, Any]] = {}
        self.stack_urn: str | None = None
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the Pulumi engine writes them: the parent's type chain, without the root stack."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([runtime_settings.get_stack(), runtime_settings.get_project(), qualified, name])

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        inputs = rpc.deserialize_properties(request.object) if request.type != STACK_TYPE else {}
        state = self.resources.get(response.urn)
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            inputs=_plain(inputs),
            outputs=_plain(dict(state.state)) if state else {},
            id=state.id if state else "",
            dependencies=tuple(request.dependencies),
            property_dependencies={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect) if request.HasField("protect") else False,
            ignore_changes=tuple(request.ignoreChanges),
            provider=request.provider,
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
        )
        with self._lock:
            if request.type == STACK_TYPE:
                self.stack_urn = response.urn
            self.registrations.append(registration)
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        outputs = rpc.deserialize_properties(request.outputs) if request.outputs else {}
        with self._lock:
            self.outputs_by_urn[request.urn] = _plain(outputs)
        return super().RegisterResourceOutputs(request)


class RecordingEngine(MockEngine):
    """Keeps the program's log messages (pulumi.log.warn/error) as (severity, message)."""

    def __init__(self) -> None:
        # The logger keeps the name of the module that runs the program (qcap.offline.mock_engine).
        super().__init__(logging.getLogger("qcap.offline.mock_engine"))
        self.messages: list[tuple[str, str]] = []

    def Log(self, request):  # noqa: N802
        names = {0: "debug", 1: "info", 2: "warning", 3: "error"}
        if request.severity != 0:  # debug lines are the SDK talking to itself
            self.messages.append((names.get(request.severity, str(request.severity)), request.message))
        super().Log(request)


def _plain(value: Any) -> Any:
    """Deserialized properties with secrets unwrapped to their values (the mock knows no secrecy).

    A value not known yet (a preview of a new stack) becomes the engine's unknown sentinel, as the
    engine sends it to a policy pack."""
    if isinstance(value, Unknown) or value is Unknown:
        return rpc.UNKNOWN
    if isinstance(value, dict):
        if rpc._special_sig_key in value and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
