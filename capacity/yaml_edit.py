"""Edits to a YAML file's text that touch only the bytes they change: a scalar's value, a key's name, a new key.

The file is composed (not loaded) to find where each node starts and ends; a value is replaced
in place, a misspelt key renamed in place, and a missing key added as a new block line after
its mapping's last entry. Every other byte (comments, quoting, indentation, flow lists over
several lines) stays as it was. A change this cannot place returns None, so the caller can
fall back to a round-trip dump.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_PLAIN_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./@:-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar_text(value: Any) -> str:
    """A value as YAML text: numbers and booleans plain, text plain where it reads back as the same text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return "null"
    text = str(value)
    if _PLAIN_SAFE.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)


def _child(node: Node, part: str | int) -> tuple[Node, Node] | None:
    """(key node, value node) of a mapping entry, or (index, item) of a sequence item."""
    if isinstance(node, MappingNode) and isinstance(part, str):
        return next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item, item
    return None


def _compose(text: str) -> Node:
    return YAML().compose(text)


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def set_value(text: str, parts: list[str | int], value: Any) -> str | None:
    """The text with the scalar at `parts` set to `value` (added when missing); None when it cannot be placed
    (a list or mapping value is not a scalar: the caller's round-trip writer places it)."""
    if isinstance(value, (list, tuple, dict)):
        return None
    node = _compose(text)
    for depth, part in enumerate(parts):
        found = _child(node, part)
        if found is None:
            return _add(text, node, parts[depth:], value)
        node = found[1]
    if not isinstance(node, ScalarNode):
        return None
    return _splice(text, node.start_mark.index, node.end_mark.index, scalar_text(value))


def rename_key(text: str, parts: list[str | int], new_name: str) -> str | None:
    """The text with the key at `parts` renamed in place; None when no such key is there."""
    node = _compose(text)
    for part in parts[:-1]:
        found = _child(node, part)
        if found is None:
            return None
        node = found[1]
    found = _child(node, parts[-1])
    if found is None or not isinstance(found[0], ScalarNode):
        return None
    key = found[0]
    return _splice(text, key.start_mark.index, key.end_mark.index, new_name)


def _add(text: str, mapping: Node, parts: list[str | int], value: Any) -> str | None:
    """New block lines for a missing key (and any missing mappings above it), after the mapping's last entry."""
    if not isinstance(mapping, MappingNode) or mapping.flow_style or not mapping.value or any(
        isinstance(p, int) for p in parts
    ):
        return None
    first_key = mapping.value[0][0]
    indent = first_key.start_mark.column
    step = _indent_step(mapping, indent)
    lines = []
    for depth, part in enumerate(parts):
        pad = " " * (indent + depth * step)
        last = depth == len(parts) - 1
        lines.append(f"{pad}{part}: {scalar_text(value)}" if last else f"{pad}{part}:")
    end = mapping.value[-1][1].end_mark.index
    block = "\n".join(lines) + "\n"
    if end > 0 and text[end - 1] == "\n":  # block values end at the start of the next line
        return text[:end] + block + text[end:]
    line_end = text.find("\n", end)
    if line_end == -1:
        return text + "\n" + block
    return text[:line_end + 1] + block + text[line_end + 1:]


def _indent_step(mapping: MappingNode, indent: int) -> int:
    """The file's indentation step, read from a nested block mapping (2 when none is nested)."""
    for _, value in mapping.value:
        if isinstance(value, MappingNode) and not value.flow_style and value.value:
            step = value.value[0][0].start_mark.column - indent
            if step > 0:
                return step
    return 2
