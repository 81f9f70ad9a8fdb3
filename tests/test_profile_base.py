"""Every number in a profile is strict: no text, no YAML boolean, in any model reachable from Profile."""

from __future__ import annotations

from typing import Annotated, Any, get_args

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from capacity.profile import Profile


def fields_of(model: type[BaseModel]) -> list[tuple[str, Any]]:
    """(model.field, FieldInfo) for every field of every model reachable from `model`, found by its annotations."""
    found, todo, seen = [], [model], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, field in current.model_fields.items():
            found.append((f"{current.__name__}.{name}", field))
            todo += [t for t in leaves(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    return found


def leaves(annotation: Any) -> list[Any]:
    """The types inside an annotation: Optional, tuple and Annotated opened."""
    args = get_args(annotation)
    return [annotation] if not args else [leaf for arg in args for leaf in leaves(arg)]


def leaves_with_origins(annotation: Any) -> set[Any]:
    """The generic origins (tuple, Union, ...) inside an annotation."""
    origin = getattr(annotation, "__origin__", None)
    return {origin, *(o for arg in get_args(annotation) for o in leaves_with_origins(arg))} - {None}


NUMBER_FIELDS = [(path, field) for path, field in fields_of(Profile) if {int, float} & set(leaves(field.annotation))]


def test_the_walk_finds_the_number_fields_of_nested_models():
    paths = {path for path, _ in NUMBER_FIELDS}
    assert {"DailyShape.hourly_multipliers", "Traffic.messages_per_day", "Overrides.max_capacity", "Cache.max_clients",
            "Sink.connections_per_slot", "Priority.share", "Consumer.task_cpu"} <= paths
    assert len(paths) > 40


@pytest.mark.parametrize("path,field", NUMBER_FIELDS, ids=[path for path, _ in NUMBER_FIELDS])
@pytest.mark.parametrize("bad", ["1", "1e2", True, "yes"])
def test_every_number_field_refuses_text_and_booleans(path, field, bad):
    adapter = TypeAdapter(Annotated[field.annotation, field])
    value = [bad] if tuple in leaves_with_origins(field.annotation) else bad
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    assert {e["type"] for e in caught.value.errors()} <= {"int_type", "float_type"}
