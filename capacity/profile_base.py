"""Field types shared by the models of a capacity profile."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from capacity import limits

STRICT = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

# Numbers are strict: a YAML boolean (`yes`, `on`, `true`) or a string is not a number, and
# a float must be finite (`.inf`, `.nan` are refused); a float field still takes an int.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True)]
PositiveSeconds = Annotated[Number, Field(ge=limits.MIN_PROCESSING_SECONDS, le=limits.MAX_PROCESSING_SECONDS)]
ObjectiveSeconds = Annotated[Number, Field(ge=limits.MIN_OBJECTIVE_SECONDS, le=limits.MAX_OBJECTIVE_SECONDS)]
