"""The strict YAML loader: duplicate keys are errors naming both lines; everything else is SafeLoader."""

from __future__ import annotations

import pytest

from capacity.strict_yaml import DuplicateKeyError, load


def test_a_plain_document_loads_as_with_safe_load():
    assert load("a: 1\nb:\n  c: [1, 2]\n  d: yes\n") == {"a": 1, "b": {"c": [1, 2], "d": True}}


def test_a_nested_duplicate_key_names_both_lines():
    with pytest.raises(DuplicateKeyError) as caught:
        load("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert (caught.value.key, caught.value.first_line, caught.value.second_line) == ("c", 3, 4)
    assert str(caught.value) == "line 4: key 'c' is given twice in the same mapping (lines 3 and 4); keep one"


def test_a_key_merged_from_an_anchor_may_be_overridden():
    assert load("x: &base {p: 1, q: 1}\ny:\n  <<: *base\n  p: 2\n")["y"] == {"p": 2, "q": 1}


def test_the_same_key_in_two_mappings_is_fine():
    assert load("- {a: 1}\n- {a: 2}\n") == [{"a": 1}, {"a": 2}]


def test_exponent_numbers_without_a_dot_are_numbers_as_in_yaml_1_2():
    assert load("a: 1e12\nb: 5e-324\nc: -2E3\nd: 1.5e3\ne: 1e\nf: '1e3'\n") == {
        "a": 1e12, "b": 5e-324, "c": -2000.0, "d": 1500.0, "e": "1e", "f": "1e3"
    }


def test_plain_safe_load_is_left_as_it_was():
    import yaml

    assert yaml.safe_load("a: 1e12") == {"a": "1e12"}
