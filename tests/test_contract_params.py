"""Parameter shaping shared by every translator: the mock engine's floats back to ints."""

from __future__ import annotations

from qcap.offline.contract_params import plain


def test_plain_turns_integral_floats_into_ints_recursively():
    assert plain({"a": 60.0, "b": [1.5, 2.0], "c": True}) == {"a": 60, "b": [1.5, 2], "c": True}
