"""Reading profile YAML strictly: a key given twice in one mapping is an error naming both lines.

PyYAML's SafeLoader keeps the last of two equal keys without a word, so a profile that
sets `max_age_seconds` twice silently plans with the second value. This loader records
where each key was seen and raises `DuplicateKeyError` with both line numbers instead.
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode

# YAML 1.2 reads `1e12` and `5e-324` as numbers; PyYAML (YAML 1.1) wants a dot and reads
# them as text, which strict number fields would then refuse. Both spellings are numbers here.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


class DuplicateKeyError(yaml.YAMLError):
    """One key twice in the same mapping, with the 1-based lines of both."""

    def __init__(self, key: object, first_line: int, second_line: int):
        self.key = key
        self.first_line = first_line
        self.second_line = second_line
        super().__init__(
            f"line {second_line}: key {key!r} is given twice in the same mapping "
            f"(lines {first_line} and {second_line}); keep one"
        )


class StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (keys merged with `<<` may be overridden)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        if isinstance(node, MappingNode):
            seen: dict[object, int] = {}
            # Only the keys written in this mapping: a merged `<<: *anchor` may be overridden.
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: let SafeLoader report it
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise DuplicateKeyError(key, first, line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> object:
    """Parse one YAML document with StrictSafeLoader."""
    return yaml.load(text, Loader=StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass


StrictSafeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789"))
