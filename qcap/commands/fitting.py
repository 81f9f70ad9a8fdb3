"""Lines that fit the console's width without cutting a word, and a resource tree built from them.

Rich crops what does not fit (a tree label, a table cell with an ellipsis), and a pipe is 80
columns wide, so a type name or a violation count could lose its end. Here text is a list of
words (a word may hold spaces, as "2 mandatory" does: it stays together) that wrap between
words; a word longer than the whole line stays whole on a line of its own, past the width,
rather than being cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

# Tree guides as rich draws them: blank, line, branch, last branch; ASCII when the console cannot draw boxes.
GUIDES = ("    ", "│   ", "├── ", "└── ")
ASCII_GUIDES = ("    ", "|   ", "+-- ", "`-- ")


def words(markup: str, style: str = "") -> list[Text]:
    """Rich markup split into its words, styles kept (under `style`)."""
    return [w for w in Text.from_markup(markup, style=style).split(" ") if w.plain]


def wrap(parts: Sequence[Text], width: int, first: str = "", rest: str = "", sep: str = " ") -> list[Text]:
    """`parts` as lines of at most `width` cells, the first led by `first`, the others by `rest`."""
    lines: list[Text] = []
    line, used = Text(first), len(first)
    for part in parts:
        empty = used == len(first if not lines else rest)
        if not empty and used + len(sep) + part.cell_len > width:
            lines.append(line)
            line, used = Text(rest), len(rest)
            empty = True
        if not empty:
            line.append(sep)
            used += len(sep)
        line.append_text(part)
        used += part.cell_len
    lines.append(line)
    return lines


def print_wrapped(console: Console, parts: Sequence[Text], first: str = "", rest: str = "", sep: str = " ") -> None:
    """Print `parts` wrapped between words; nothing is cropped, a long word overflows."""
    for line in wrap(parts, console.width, first, rest, sep):
        console.print(line, soft_wrap=True, crop=False, highlight=False)


@dataclass
class Node:
    """A tree node: its label as words, and its children."""

    label: list[Text]
    children: list[Node] = field(default_factory=list)


def print_tree(console: Console, root: Node) -> None:
    """The tree with rich's guides; a label that does not fit continues under itself, indented."""
    blank, line, branch, last = ASCII_GUIDES if console.options.ascii_only else GUIDES

    def emit(node: Node, lead: str, first: str, below: str) -> None:
        rest = lead + below + (line if node.children else blank)
        print_wrapped(console, node.label, lead + first, rest)
        for i, child in enumerate(node.children):
            is_last = i == len(node.children) - 1
            emit(child, lead + below, last if is_last else branch, blank if is_last else line)

    emit(root, "", "", "")
