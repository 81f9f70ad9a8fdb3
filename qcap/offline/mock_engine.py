"""The offline engine: run the real Pulumi program (or any function) under the SDK's mocks.

No Pulumi CLI, no provider plugins, no cloud: a recording mock monitor captures every
registration (type, logical name, inputs, parent, dependencies and options) and a mock
provider answers with realistic outputs (ARNs with the region and account 123456789012,
SQS queue URLs, cache endpoints). Tests and `qcap preview` both build on `run_program`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import runpy
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pulumi
import yaml
from pulumi.output import Unknown
from pulumi.runtime import config as runtime_config
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockCallArgs, MockEngine, MockMonitor, MockResourceArgs, Mocks, MockSettings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROGRAM_PATH = PROJECT_DIR / "__main__.py"
MOCK_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
STACK_TYPE = "pulumi:pulumi:Stack"
# Secrets the Pulumi CLI would decrypt from Pulumi.<stack>.yaml. Offline there is nothing to
# decrypt with, so a missing or encrypted one gets this stand-in (never deployed anywhere).
OFFLINE_SECRET_KEYS = ("qcap:redisAuthToken", "cloudflare:apiToken")
OFFLINE_SECRET_VALUE = "offline-mock-secret-0123456789abcdef"


# --- what a run records ---------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """One RegisterResource call as the engine saw it: identity, inputs, options, mock outputs."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    ignore_changes: tuple[str, ...]
    provider: str
    delete_before_replace: bool
    retain_on_delete: bool


@dataclass
class ProgramRun:
    """What one run produced: every registration in order, the stack outputs, logs, or the error."""

    stack: str
    config: dict[str, Any]
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def resources(self) -> list[Registration]:
        """Registrations other than the root stack."""
        return [r for r in self.registrations if r.type != STACK_TYPE]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def named(self, name: str) -> Registration:
        """The registration with this logical name (names are unique within a type and parent)."""
        found = [r for r in self.registrations if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations named {name!r}; names: {sorted(r.name for r in self.registrations)}")
        return found[0]

    def children(self, parent_urn: str) -> list[Registration]:
        return [r for r in self.registrations if r.parent == parent_urn]

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)


# --- the mock provider ----------------------------------------------------------------


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class QcapMocks(Mocks):
    """Realistic outputs for the resource types qcap creates; other types echo their inputs.

    With `new_stack`, the provider answers as it does while previewing a stack that does not
    exist yet: no id and only the inputs, so every output it would compute on create (ARNs,
    URLs, ids, endpoints) stays unknown and flows as unknown into whatever uses it.
    """

    def __init__(self, region: str = DEFAULT_REGION, account_id: str = MOCK_ACCOUNT_ID, new_stack: bool = False):
        self.region = region
        self.account_id = account_id
        self.new_stack = new_stack

    def call(self, args: MockCallArgs) -> dict:
        # A bare dict: the SDK's MockMonitor reads a (result, failures) tuple's failures as a list.
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account_id, "arn": f"arn:aws:iam::{self.account_id}:user/mock",
                    "id": self.account_id, "userId": "AIDAMOCK"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        return {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        if self.new_stack:
            return "", dict(args.inputs)
        inputs = dict(args.inputs)
        region = inputs.get("region") or self.region
        acct = self.account_id
        token = args.typ
        physical = inputs.get("name") or f"{args.name}-{_short_hash(token + args.name, 7)}"
        out: dict[str, Any] = {**inputs}
        rid = f"{physical}"

        def arn(service: str, resource: str, with_region: bool = True) -> str:
            return f"arn:aws:{service}:{region if with_region else ''}:{acct}:{resource}"

        if token == "aws:sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{acct}/{physical}"
            out.update(name=physical, arn=arn("sqs", physical), url=url)
            rid = url
        elif token == "aws:sns/topic:Topic":
            out.update(name=physical, arn=arn("sns", physical))
            rid = out["arn"]
        elif token == "aws:sns/topicSubscription:TopicSubscription":
            topic = inputs.get("topic", arn("sns", "topic"))
            out.update(arn=f"{topic}:{_short_hash(args.name, 8)}-mock")
            rid = out["arn"]
        elif token == "aws:cloudwatch/metricAlarm:MetricAlarm":
            out.update(name=physical, arn=arn("cloudwatch", f"alarm:{physical}"))
        elif token == "aws:cloudwatch/logGroup:LogGroup":
            out.update(name=physical, arn=arn("logs", f"log-group:{physical}"))
        elif token == "aws:ecs/cluster:Cluster":
            out.update(name=physical, arn=arn("ecs", f"cluster/{physical}"))
            rid = out["arn"]
        elif token == "aws:ecs/service:Service":
            cluster = str(inputs.get("cluster", "cluster")).rsplit("/", 1)[-1]
            out.update(name=physical, arn=arn("ecs", f"service/{cluster}/{physical}"))
            rid = out["arn"]
        elif token == "aws:ecs/taskDefinition:TaskDefinition":
            family = inputs.get("family", physical)
            out.update(revision=1, arn=arn("ecs", f"task-definition/{family}:1"),
                       arnWithoutRevision=arn("ecs", f"task-definition/{family}"))
            rid = family
        elif token == "aws:iam/role:Role":
            out.update(name=physical, arn=arn("iam", f"role/{physical}", with_region=False),
                       uniqueId=f"AROA{_short_hash(physical, 16).upper()}")
        elif token == "aws:iam/rolePolicy:RolePolicy":
            out.update(name=physical)
            rid = f"{inputs.get('role', 'role')}:{physical}"
        elif token == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            rid = f"{inputs.get('role', 'role')}-{_short_hash(args.name)}"
        elif token == "aws:appautoscaling/target:Target":
            out.update(arn=arn("application-autoscaling", f"scalable-target/{_short_hash(args.name, 16)}"))
            rid = str(inputs.get("resourceId", physical))
        elif token == "aws:appautoscaling/policy:Policy":
            out.update(name=physical, alarmArns=[], policyType=inputs.get("policyType", "StepScaling"),
                       arn=arn("autoscaling", f"scalingPolicy:{_short_hash(args.name, 8)}:resource/"
                               f"{inputs.get('resourceId', '')}:policyName/{physical}"))
        elif token == "aws:elasticache/replicationGroup:ReplicationGroup":
            group_id = inputs.get("replicationGroupId", physical)
            host = f"{group_id}.{_short_hash(group_id, 6)}.{region}.cache.amazonaws.com"
            out.update(arn=arn("elasticache", f"replicationgroup:{group_id}"),
                       primaryEndpointAddress=f"master.{host}", readerEndpointAddress=f"replica.{host}",
                       port=inputs.get("port", 6379), memberClusters=[f"{group_id}-00{i + 1}" for i in
                                                                     range(int(inputs.get("numCacheClusters", 1)))])
            rid = group_id
        elif token in ("aws:elasticache/parameterGroup:ParameterGroup", "aws:elasticache/subnetGroup:SubnetGroup"):
            kind = "parametergroup" if "parameter" in token else "subnetgroup"
            out.update(name=physical, arn=arn("elasticache", f"{kind}:{physical}"))
        elif token == "aws:ec2/securityGroup:SecurityGroup":
            rid = f"sg-{_short_hash(args.name, 17)}"
            out.update(name=physical, arn=arn("ec2", f"security-group/{rid}"), ownerId=acct)
        elif token == "aws:scheduler/schedule:Schedule":
            out.update(name=physical, arn=arn("scheduler", f"schedule/{inputs.get('groupName', 'default')}/{physical}"))
        elif token == "aws:secretsmanager/secret:Secret":
            out.update(name=physical, arn=arn("secretsmanager", f"secret:{physical}-{_short_hash(physical, 6)}"))
            rid = out["arn"]
        elif token == "aws:secretsmanager/secretVersion:SecretVersion":
            out.update(versionId=_short_hash(args.name, 32), arn=inputs.get("secretId", ""))
        elif token == "aws:kms/key:Key":
            rid = f"{_short_hash(args.name, 8)}-0000-4000-8000-{_short_hash(args.name + 'key', 12)}"
            out.update(keyId=rid, arn=arn("kms", f"key/{rid}"))
        elif token == "aws:kms/alias:Alias":
            out.update(arn=arn("kms", str(inputs.get("name", physical))), targetKeyArn=arn("kms", "key/mock"))
        elif token.startswith("cloudflare:"):
            rid = _short_hash(args.name, 32)
            if "queueName" in inputs:
                out.setdefault("queueId", rid)
        out.setdefault("id", rid)
        return rid, out


# --- the recording monitor ------------------------------------------------------------


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


# --- stack configuration --------------------------------------------------------------


def project_name() -> str:
    data = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    return str(data["name"])


def stack_config(stack: str) -> tuple[dict[str, Any], list[str]]:
    """The plain config of Pulumi.<stack>.yaml and the keys that are secure (encrypted) there."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return {}, []
    data = yaml.safe_load(path.read_text()) or {}
    values: dict[str, Any] = {}
    secure: list[str] = []
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.append(key)
        else:
            values[key] = value
    return values, secure


def _config_string(value: Any) -> str:
    """Config as the engine hands it to a program: strings as-is, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


# --- running --------------------------------------------------------------------------


_RUN_LOCK = threading.Lock()


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
        runtime_config.set_all_config({k: _config_string(v) for k, v in config.items()}, list(secret_keys))

        def body() -> None:
            result = program()
            if isinstance(result, dict):
                for key, value in result.items():
                    pulumi.export(key, value)

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            _sync_await(run_in_stack(body))
        except pulumi.RunError as exc:
            run.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the run reports any program failure as its result
            run.error = f"{type(exc).__name__}: {exc}"
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
