"""docs/profile.md carries the profile table generated from the models."""

from pathlib import Path

from capacity.profile import Consumer, Traffic
from capacity.profile_reference import markdown, rows

PROFILE_DOC = Path(__file__).resolve().parent.parent / "docs" / "profile.md"


def test_every_profile_field_is_listed_with_its_default():
    table = dict((path, default) for path, default, _ in rows())
    assert table["workloads[].consumer.receive_batch"] == "`10`"
    assert table["workloads[].traffic.messages_per_day"] == "required"
    assert len(table) >= len(Traffic.model_fields) + len(Consumer.model_fields)


def test_the_profile_page_carries_the_generated_profile_table():
    assert markdown() in PROFILE_DOC.read_text(), "regenerate with: python -m capacity.profile_reference"
