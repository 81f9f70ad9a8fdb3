"""Field types and the base model of every profile section, whose cross-field checks all report together.

Pydantic's after-validators stop at the first error and are skipped when a field failed, so an author
would fix one problem per run. A Section's `check_*` methods all run instead: on the model, or on the
fields that validated; a check reading a failed field is skipped, as that field's error says it all.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from capacity import limits

STRICT = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

# Numbers are strict: a YAML boolean (`yes`, `on`, `true`) or a string is not a number, and
# a float must be finite (`.inf`, `.nan` are refused); a float field still takes an int.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True)]
PositiveSeconds = Annotated[Number, Field(ge=limits.MIN_PROCESSING_SECONDS, le=limits.MAX_PROCESSING_SECONDS)]
ObjectiveSeconds = Annotated[Number, Field(ge=limits.MIN_OBJECTIVE_SECONDS, le=limits.MAX_OBJECTIVE_SECONDS)]


class Unknown(Exception):
    """A check read a field that failed validation."""


class Section(BaseModel):
    """A strict profile model whose `check_*` methods each yield the problems they find."""

    model_config = STRICT

    @model_validator(mode="wrap")
    @classmethod
    def _check_all(cls, data: Any, handler: Any) -> Any:
        try:
            model, errors = handler(data), []
        except ValidationError as exc:
            errors = [{k: e[k] for k in ("type", "loc", "input", "ctx") if k in e} for e in exc.errors()]
            model = _partial(cls, data, errors)
        found = [] if model is None else model.problems()
        if not (errors or found):
            return model
        found_errors = [{"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(p)}} for p in found]
        raise ValidationError.from_exception_data(cls.__name__, [*errors, *found_errors])

    def problems(self) -> list[str]:
        """What this model's cross-field checks find, in the order they are defined."""
        found: list[str] = []
        for name, check in vars(type(self)).items():
            if name.startswith("check_"):
                try:
                    found += list(check(self))
                except Unknown:
                    pass
        return found

    def __getattr__(self, name: str) -> Any:
        # Only a partial model (see _partial) lacks a field: its value failed validation.
        if name in type(self).model_fields:
            raise Unknown(name)
        return super().__getattr__(name)


def given(model: Section, name: str) -> bool:
    """Whether a field is set (not None), counting one that failed validation: it was given, just wrong."""
    try:
        return getattr(model, name) is not None
    except Unknown:
        return True


def _partial(cls: type[Section], data: Any, errors: list[dict]) -> Section | None:
    """The model holding the fields of `data` that validated (none of the others), or None for a non-mapping."""
    if not isinstance(data, dict):
        return None
    values: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        own = _under(errors, name)
        if name not in data:
            if not own:
                values[name] = field.get_default(call_default_factory=True)
        elif not own:
            values[name] = _adapter(cls, name).validate_python(data[name])
        elif (value := _partial_value(field.annotation, data[name], own)) is not None:
            values[name] = value
    model = cls.model_construct(**values)
    for name in cls.model_fields.keys() - values.keys():
        vars(model).pop(name, None)
    return model


def _partial_value(annotation: Any, raw: Any, errors: list[dict]) -> Any:
    """A failed section (or tuple of sections) as far as it validated; None for any other failed field."""
    section = next((t for t in (annotation, *get_args(annotation)) if isinstance(t, type) and issubclass(t, Section)), None)
    if section is None:
        return None
    if get_origin(annotation) is not tuple:
        return _partial(section, raw, errors)
    if not isinstance(raw, list):
        return None
    items = []
    for i, item in enumerate(raw):
        own = _under(errors, i)
        items.append(_partial(section, item, own) if own else section.model_validate(item))
    return None if any(item is None for item in items) else tuple(items)


def _under(errors: list[dict], key: str | int) -> list[dict]:
    """The errors inside one field or item, located from there."""
    return [dict(e, loc=e["loc"][1:]) for e in errors if e["loc"][:1] == (key,)]


@cache
def _adapter(cls: type[Section], name: str) -> TypeAdapter:
    """Validates one field of a model on its own (for the fields of a partial model)."""
    field = cls.model_fields[name]
    return TypeAdapter(Annotated[field.annotation, field])
