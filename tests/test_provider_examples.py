"""The examples a user of another language copies: the Pulumi YAML program carries the event-backlog
profile field by field and, constructed through the provider, registers what the Python program
registers for that stack; the TypeScript program carries the same profile; both name real outputs."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from provider_harness import ROOT, ProviderProcess, camel_keys, stack_urn, tree

from capacity.profile import resolve_stack
from provider.host import QcapProvider
from qcap.offline.mock_engine import run_program
from qcap.offline.pulumi_project import stack_config

YAML_EXAMPLE = ROOT / "examples" / "yaml" / "Pulumi.yaml"
TS_EXAMPLE = ROOT / "examples" / "typescript"
STACK = "event-backlog"


@pytest.fixture(scope="module")
def outputs() -> set[str]:
    schema = json.loads(QcapProvider().schema)
    return set(schema["resources"]["qcap:index:QueueWorkload"]["properties"])


def yaml_program() -> dict:
    return yaml.safe_load(YAML_EXAMPLE.read_text())


def profile_from_typescript() -> dict:
    """index.ts's `profile: {...}` literal, read as JSON (keys quoted, comments and trailing commas dropped)."""
    source = (TS_EXAMPLE / "index.ts").read_text()
    start = source.index("{", source.index("profile: {"))
    depth, end = 0, start
    for end, char in enumerate(source[start:], start):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            break
    literal = re.sub(r"//[^\n]*", "", source[start:end + 1])
    literal = re.sub(r"(?<=[{,\s])(\w+):", r'"\1":', literal)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", literal))


def test_both_examples_add_the_package_from_this_repository():
    typescript = yaml.safe_load((TS_EXAMPLE / "Pulumi.yaml").read_text())
    for example, program in ((YAML_EXAMPLE.parent, yaml_program()), (TS_EXAMPLE, typescript)):
        assert (example / program["packages"]["qcap"] / "PulumiPlugin.yaml").is_file()
    assert yaml_program()["runtime"] == "yaml" and typescript["runtime"]["name"] == "nodejs"
    package = json.loads((TS_EXAMPLE / "package.json").read_text())
    assert package["dependencies"]["@pulumi/qcap"] == "file:sdks/qcap"  # what `pulumi package add` links


def test_both_examples_carry_the_event_backlog_profile_in_schema_names():
    expected = camel_keys(yaml.safe_load(resolve_stack(STACK).read_text()))
    (resource,) = yaml_program()["resources"].values()
    assert resource["type"] == "qcap:index:QueueWorkload"
    assert resource["properties"]["profile"] == expected
    assert profile_from_typescript() == expected
    assert yaml_program()["config"]["aws:region"]["value"] == stack_config(STACK)[0]["aws:region"]


def test_both_examples_export_outputs_the_component_has(outputs):
    used = set(re.findall(r"\$\{events\.(\w+)", YAML_EXAMPLE.read_text()))
    used |= set(re.findall(r"\bevents\.(\w+)", (TS_EXAMPLE / "index.ts").read_text()))
    assert used and used <= outputs


@pytest.mark.slow
def test_the_yaml_examples_inputs_constructed_through_the_provider_register_the_python_programs():
    (resource,) = yaml_program()["resources"].values()
    config = {key: value["value"] for key, value in yaml_program()["config"].items()}
    with ProviderProcess() as provider:
        construction = provider.construct("QueueWorkload", "events", resource["properties"], stack=STACK,
                                          config=config)
    assert construction.ok, construction.error and construction.error.details()
    expected = tree(run_program(STACK).registrations, {stack_urn(STACK)})
    assert tree(construction.registrations, {stack_urn(STACK), construction.urn}) == expected
    assert construction.state["queueUrls"]["events"].endswith(f"/qcap-{STACK}-events")
