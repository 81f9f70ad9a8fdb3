"""The provider process: started as the Pulumi CLI starts a plugin, it serves the schema of every
component; its Construct passes inputs as sent and reports input errors without a traceback."""

from __future__ import annotations

import json
import sys
import tomllib

import pytest
import yaml
from provider_harness import ROOT, ProviderProcess
from pulumi.errors import InputPropertiesError
from pulumi.provider.server import ComponentInitError

from provider.host import PACKAGE_NAME, QcapProvider

COMPONENTS = {"QueueWorkload", "QueueWithDlq", "QueueAlarms", "FargateConsumer", "ScheduledConsumer",
              "CloudflareQueue", "RedisCache", "Dashboard"}


@pytest.fixture(scope="module")
def host() -> QcapProvider:
    return QcapProvider()


@pytest.mark.slow
def test_the_provider_prints_its_port_and_serves_the_same_schema_over_grpc(host):
    with ProviderProcess() as provider:
        schema = provider.schema()
    assert provider.port > 0
    assert schema == json.loads(host.schema)


@pytest.mark.slow
def test_the_plugin_directory_runs_from_anywhere_as_the_cli_runs_it(tmp_path):
    with ProviderProcess(command=[sys.executable, "-u", str(ROOT / "provider")], cwd=tmp_path) as provider:
        schema = provider.schema()
    assert {token.rsplit(":", 1)[-1] for token in schema["resources"]} == COMPONENTS


def test_the_schema_lists_every_component_under_the_qcap_index_module(host):
    schema = json.loads(host.schema)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert schema["name"] == PACKAGE_NAME and schema["version"] == version
    assert sorted(schema["resources"]) == sorted(f"qcap:index:{name}" for name in COMPONENTS)
    assert all(resource["isComponent"] for resource in schema["resources"].values())


def test_the_plugins_requirements_are_the_projects_bounds_of_what_it_imports():
    lines = (ROOT / "provider" / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line and not line.startswith("#")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert set(requirements) <= set(project)
    assert {r.split(">")[0] for r in requirements} == {"pulumi", "pulumi-aws", "pulumi-cloudflare", "pydantic",
                                                       "pyyaml"}
    plugin = yaml.safe_load((ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"


def test_every_input_and_output_of_every_component_and_type_has_a_description(host):
    schema = json.loads(host.schema)
    undescribed = [f"{token}.{name}" for token, resource in schema["resources"].items()
                   for group in ("inputProperties", "properties")
                   for name, prop in resource.get(group, {}).items() if not prop.get("description")]
    undescribed += [f"{token}.{name}" for token, type_ in schema["types"].items()
                    for name, prop in type_.get("properties", {}).items() if not prop.get("description")]
    assert undescribed == []
    assert all(resource.get("description") for resource in schema["resources"].values())


def test_inputs_reach_the_component_as_sent_in_python_names(host):
    definition = host._component_defs["QueueWorkload"]
    inputs = {"profile": {"environment": "dev", "workloads": [
        {"name": "orders", "partitions": 4.0, "traffic": {"messageBytes": 2048.5, "messagesPerDay": 1000.0,
                                                          "backlogMessages": None, "mesagesPerDay": 3}}]},
        "subnetIds": ["subnet-1"], "kmsKeyArn": None}
    args = host.python_inputs(inputs, definition.inputs, definition.inputs_mapping)
    workload = args["profile"]["workloads"][0]
    assert workload["partitions"] == 4 and isinstance(workload["partitions"], int)  # the wire's float, whole
    assert workload["traffic"] == {"message_bytes": 2048.5,  # not truncated to 2048: validation says why
                                   "messages_per_day": 1000.0, "mesagesPerDay": 3}  # a typo kept, to be named
    assert args["subnet_ids"] == ["subnet-1"] and "kms_key_arn" not in args


def test_a_bad_input_fails_construct_as_an_input_error_and_a_bug_keeps_its_traceback(host, monkeypatch):
    def refuse(name, args, opts):
        raise InputPropertiesError("QueueWorkload 'x': bad", [{"property_path": "profile", "reason": "bad"}])

    def crash(name, args, opts):
        raise KeyError("a bug")

    monkeypatch.setitem(host._components, "QueueWorkload", refuse)
    with pytest.raises(InputPropertiesError):
        host.construct("x", "qcap:index:QueueWorkload", {})
    monkeypatch.setitem(host._components, "QueueWorkload", crash)
    with pytest.raises(ComponentInitError) as raised:
        host.construct("x", "qcap:index:QueueWorkload", {})
    assert isinstance(raised.value.inner, KeyError)
