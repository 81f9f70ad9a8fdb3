"""Profile errors say what a field allows, in the words the profile reference uses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from capacity.profile import Profile
from capacity.profile_errors import allowed, allowed_at, describe_error, keys_at


def test_allowed_reads_the_type_and_the_bounds_of_a_field():
    assert allowed(Annotated[float, Field(ge=0, le=100)]) == "a number >= 0 and <= 100"
    assert allowed(Annotated[int, Field(gt=0, le=2_000_000)] | None) == "a whole number > 0 and <= 2,000,000"
    assert allowed(tuple[Annotated[float, Field(ge=0)], ...]) == "a list, each a number >= 0"
    assert allowed(Literal["x86_64", "arm64"]) == "one of x86_64, arm64"
    assert allowed(Annotated[str, Field(pattern="^[a-z]+$")]) == "text matching ^[a-z]+$"


def test_allowed_at_follows_an_error_location_into_a_list_item():
    loc = ("workloads", 0, "traffic", "daily_shape", "hourly_multipliers", 3)
    assert allowed_at(Profile, loc) == "a number >= 0 and <= 100"
    assert allowed_at(Profile, ("workloads", 0, "consumer", "concurrency_per_task")) == "a whole number >= 1 and <= 10000"
    assert allowed_at(Profile, ("workloads", 0, "no_such_field")) is None


def test_the_keys_of_the_mapping_at_a_location_are_the_models_fields():
    assert keys_at(Profile, ("workloads", 0, "traffic", "daily_shape")) == ["hourly_multipliers", "time_zone"]
    assert keys_at(Profile, ()) == ["environment", "alerts", "workloads"]


def test_an_unknown_key_names_the_closest_key_or_else_every_key_there():
    def unknown(*loc):
        return describe_error({"type": "extra_forbidden", "loc": loc, "input": 1}, Profile)

    assert unknown("workloads", 0, "traffic", "daily_shape", "tz") == (
        "workloads[0].traffic.daily_shape.tz: unknown key; the keys here are hourly_multipliers, time_zone "
        "(see docs/profile.md)"
    )
    assert unknown("workloads", 0, "traffic", "daily_shape", "timezone") == (
        "workloads[0].traffic.daily_shape.timezone: unknown key; did you mean time_zone? (see docs/profile.md)"
    )


def test_without_a_model_a_type_error_says_only_what_is_wrong():
    error = {"type": "float_type", "loc": ("share",), "input": "0.5"}
    assert describe_error(error) == (
        "share: '0.5' is text, not a number; write the number without quotes (infinity and NaN are not allowed)"
    )
