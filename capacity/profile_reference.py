"""The profile format as a Markdown table, generated from the models' field docstrings.

`python -m capacity.profile_reference` prints the table docs/profile.md carries; a test keeps the
two in step, so the documentation cannot drift from the validation.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from capacity.profile import (
    Alerts,
    Cache,
    Consumer,
    Objective,
    Overrides,
    Priority,
    Profile,
    Retries,
    Sink,
    Traffic,
    Workload,
)

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("", Profile),
    ("alerts.", Alerts),
    ("workloads[].", Workload),
    ("workloads[].traffic.", Traffic),
    ("workloads[].consumer.", Consumer),
    ("workloads[].objective.", Objective),
    ("workloads[].sink.", Sink),
    ("workloads[].retries.", Retries),
    ("workloads[].cache.", Cache),
    ("workloads[].priorities[].", Priority),
    ("workloads[].overrides.", Overrides),
]

NESTED = {Alerts, Traffic, Consumer, Objective, Sink, Retries, Cache, Overrides}


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    default = field.default
    if default is PydanticUndefined or default is None or isinstance(default, BaseModel) or default == ():
        return "-"
    return f"`{getattr(default, 'value', default)}`"


def rows() -> list[tuple[str, str, str]]:
    """(field path, default, description) for every profile field."""
    out = []
    for prefix, model in SECTIONS:
        for name, field in model.model_fields.items():
            description = re.sub(r"\s*Default: [^.]*\.$", "", (field.description or "")).replace("|", "/")
            if model is Overrides and not description:
                description = "Set this derived value by hand (see the plan's field of the same name)."
            out.append((f"{prefix}{name}", _default(field), description))
    return out


def markdown() -> str:
    lines = ["| field | default | meaning |", "|---|---|---|"]
    lines += [f"| `{path}` | {default} | {description} |" for path, default, description in rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
