"""The typed profile inputs are the profile: the same sections and fields, the same requiredness and
types, each input described by its profile field's docstring, and a stack file sent field by field
validates to the very profile its file loads to."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import get_args

import pytest
import yaml
from provider_harness import camel_keys, wire
from pulumi.provider.experimental.util import camel_case

from capacity import profile as models
from capacity.contract import Broker, ConsumerMode, Environment
from capacity.profile import load_profile, parse_profile, resolve_stack, stack_names
from capacity.profile_reference import walk
from provider import profile_inputs
from provider.host import QcapProvider

# What capacity/profile_reference.py shows for an override: the Overrides fields have no docstrings.
OVERRIDE_DESCRIPTION = "Set this derived value by hand (see the plan's field of the same name)."
MODELS = list(dict.fromkeys(model for _, model, _ in walk()))


@pytest.fixture(scope="module")
def host() -> QcapProvider:
    return QcapProvider()


@pytest.fixture(scope="module")
def schema(host) -> dict:
    return json.loads(host.schema)


def description(model, name: str) -> str:
    return model.model_fields[name].description or (OVERRIDE_DESCRIPTION if model is models.Overrides else "")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_profile_section_has_a_typed_dict_with_its_fields_and_requiredness(model):
    typed = getattr(profile_inputs, model.__name__)
    assert list(typing.get_type_hints(typed)) == list(model.model_fields)
    assert typed.__required_keys__ == {name for name, f in model.model_fields.items() if f.is_required()}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_input_carries_the_description_of_its_profile_field(model, schema):
    properties = schema["types"][f"qcap:index:{model.__name__}"]["properties"]
    assert list(properties) == [camel_case(name) for name in model.model_fields]
    for name in model.model_fields:
        assert properties[camel_case(name)]["description"] == description(model, name), name


def test_numbers_counts_and_choices_keep_their_profile_types(schema):
    traffic = schema["types"]["qcap:index:Traffic"]["properties"]
    assert traffic["messagesPerDay"]["type"] == "number" and traffic["messageBytes"]["type"] == "integer"
    enums = {name: [v["value"] for v in schema["types"][f"qcap:index:{name}"]["enum"]]
             for name in ("Broker", "Environment", "ConsumerMode", "Architecture")}
    assert enums["Broker"] == [b.value for b in Broker]
    assert enums["Environment"] == [e.value for e in Environment]
    assert enums["ConsumerMode"] == [m.value for m in ConsumerMode]
    assert tuple(enums["Architecture"]) == get_args(models.Consumer.model_fields["architecture"].annotation)


def test_profile_fields_are_plain_inputs_since_the_plan_needs_them_known(schema):
    for token, type_ in schema["types"].items():
        if token.rsplit(":", 1)[-1] in {m.__name__ for m in MODELS}:
            assert all(prop.get("plain") for prop in type_["properties"].values()), token


@pytest.mark.parametrize("stack", stack_names())
def test_a_shipped_stack_sent_field_by_field_validates_to_the_profile_its_file_loads_to(stack, host):
    data = camel_keys(yaml.safe_load(resolve_stack(stack).read_text()))
    definition = host._component_defs["QueueWorkload"]
    args = host.python_inputs(wire({"profile": data}), definition.inputs, definition.inputs_mapping)
    assert parse_profile(args["profile"]) == load_profile(resolve_stack(stack))


def test_a_profile_with_predictive_scaling_sent_field_by_field_validates_to_the_profile_its_file_loads_to(host):
    path = Path(__file__).parent / "profiles" / "edge-predictive.yaml"
    data = camel_keys(yaml.safe_load(path.read_text()))
    definition = host._component_defs["QueueWorkload"]
    args = host.python_inputs(wire({"profile": data}), definition.inputs, definition.inputs_mapping)
    profile = parse_profile(args["profile"])
    assert profile == load_profile(path)
    assert profile.workloads[0].autoscaling.predictive is not None
