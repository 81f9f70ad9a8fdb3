"""The profile format as a Markdown table, generated from the models' field docstrings and types.

`python -m capacity.profile_reference` prints the table docs/profile.md carries. The table walks
every model reachable from Profile (a nested one such as traffic.daily_shape included), so a
field added anywhere appears in it; a test keeps the page in step with the models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from capacity.profile import Overrides, Profile
from capacity.profile_errors import allowed

# Overrides' fields are the plan's own names, set by hand; they share one meaning.
OVERRIDE_MEANING = "Set this derived value by hand (see the plan's field of the same name)."


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    default = field.default
    if default is PydanticUndefined or default is None or isinstance(default, BaseModel) or default == ():
        return "-"
    return f"`{getattr(default, 'value', default)}`"


def nested(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds and whether it holds a list of them; None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for arg in get_args(annotation):
        found = nested(arg)
        if found is not None:
            return found[0], found[1] or get_origin(annotation) is tuple
    return None


def walk(model: type[BaseModel] = Profile, prefix: str = "") -> Iterator[tuple[str, type[BaseModel], str]]:
    """(path, model, field name) for every field of `model`, each nested model's fields right after it."""
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", model, name
        inner = nested(field.annotation)
        if inner is not None:
            yield from walk(inner[0], f"{prefix}{name}{'[]' if inner[1] else ''}.")


def rows() -> list[tuple[str, str, str, str]]:
    """(field path, default, allowed values, description) for every profile field."""
    out = []
    for path, model, name in walk():
        field = model.model_fields[name]
        description = re.sub(r"\s*Default: [^.]*\.$", "", " ".join((field.description or "").split())).replace("|", "/")
        if model is Overrides and not description:
            description = OVERRIDE_MEANING
        kind = re.sub(r"matching (\S+)", r"matching `\1`", allowed(field.annotation, tuple(field.metadata)))
        out.append((path, _default(field), kind, description))
    return out


def markdown() -> str:
    lines = ["| field | default | allowed | meaning |", "|---|---|---|---|"]
    lines += [f"| `{path}` | {default} | {kind} | {description} |" for path, default, kind, description in rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
