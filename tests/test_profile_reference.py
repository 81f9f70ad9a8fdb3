"""docs/profile.md carries every field of every profile model, generated from the models."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from capacity.profile import Profile
from capacity.profile_reference import markdown, rows, walk

PROFILE_DOC = Path(__file__).resolve().parent.parent / "docs" / "profile.md"


def schema_paths(schema: dict, defs: dict, prefix: str = "") -> list[str]:
    """Every field path reachable in a JSON schema, following each $ref: found apart from the generator's walk."""
    found = []
    for name, prop in schema.get("properties", {}).items():
        found.append(f"{prefix}{name}")
        for option in prop.get("anyOf", [prop]):
            is_list = "items" in option
            ref = (option["items"] if is_list else option).get("$ref")
            if ref and "properties" in defs[ref.rsplit("/", 1)[-1]]:
                found += schema_paths(defs[ref.rsplit("/", 1)[-1]], defs, f"{prefix}{name}{'[]' if is_list else ''}.")
    return found


def test_every_field_of_every_model_reachable_from_profile_is_on_the_page():
    schema = Profile.model_json_schema()
    paths = schema_paths(schema, schema["$defs"])
    page = PROFILE_DOC.read_text()
    # Each model sits at one place in the profile, so the walk meets each of its fields once.
    assert len(paths) == len(schema["properties"]) + sum(len(d.get("properties", {})) for d in schema["$defs"].values())
    assert [p for p in paths if f"| `{p}` |" not in page] == []


def test_the_generated_table_has_exactly_the_fields_the_schema_has():
    schema = Profile.model_json_schema()
    assert [path for path, *_ in rows()] == schema_paths(schema, schema["$defs"])


def test_the_daily_shape_rows_say_the_time_zone_the_24_multipliers_and_the_rescaling():
    table = {path: (default, kind, meaning) for path, default, kind, meaning in rows()}
    default, kind, meaning = table["workloads[].traffic.daily_shape.hourly_multipliers"]
    assert (default, kind) == ("required", "a list, each a number >= 0 and <= 100")
    assert meaning.startswith("24 numbers, hour 0 (local midnight to 1 am) first") and "rescaled to average exactly 1" in meaning
    assert table["workloads[].traffic.daily_shape.time_zone"][:2] == ("`UTC`", "text")


def test_every_row_names_its_default_and_what_is_allowed():
    table = {path: (default, kind) for path, default, kind, _ in rows()}
    assert table["workloads[].consumer.receive_batch"] == ("`10`", "a whole number >= 1 and <= 100")
    assert table["workloads[].traffic.messages_per_day"] == ("required", "a number >= 0 and <= 4,320,000,000,000")
    assert table["environment"] == ("required", "one of dev, staging, prod")
    assert table["workloads[].priorities[].name"] == ("required", "text matching `^[a-z][a-z0-9]{0,9}$`")
    assert table["workloads[].overrides.cache_node_type"] == ("-", "text")


def test_the_walk_goes_into_a_model_nested_in_a_list_in_an_optional_field():
    class Leaf(BaseModel):
        depth: int

    class Branch(BaseModel):
        leaves: tuple[Leaf, ...] = ()

    class Root(BaseModel):
        branch: Branch | None = None

    assert [path for path, *_ in walk(Root)] == ["branch", "branch.leaves", "branch.leaves[].depth"]


def test_the_profile_page_carries_the_generated_profile_table():
    assert markdown() in PROFILE_DOC.read_text(), "regenerate with: python -m capacity.profile_reference"
