"""Tables that fit the terminal: short columns side by side, a long reason column folded, or under the row.

Rich's console width (the terminal, else COLUMNS, else 80, as in a pipe) decides. When the
short columns and a readable reason fit, the reason is a column that folds; when they do
not, each row is printed as one line of its short cells with its reason indented under it.
`render_grid` keeps a table while its longest words fit side by side, else prints a block
per row. No cell is ever cut with an ellipsis: a name or a count a reader searches for stays whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from qcap.commands.fitting import print_wrapped, words

# The narrowest reason column worth reading beside the row; below it, reasons go under rows.
MIN_REASON_COLUMNS = 32
# Characters a rich table spends per column on borders and padding (a box line and a space each side).
TABLE_CHARS_PER_COLUMN = 3
# Indent of a reason printed under its row.
REASON_INDENT = 4


def _cell_width(cell: str) -> int:
    return Text.from_markup(cell).cell_len


def render_rows(
    console: Console,
    title: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[str]],
    reason_column: str | None = None,
    reasons: Sequence[str] = (),
) -> None:
    """Print `rows` (cells are rich markup) under `title`, with `reasons` (plain text) beside or under each row."""
    widths = [max([_cell_width(name)] + [_cell_width(row[i]) for row in rows]) for i, (name, _) in enumerate(columns)]
    short = sum(widths) + TABLE_CHARS_PER_COLUMN * len(columns) + 1
    with_reason = reason_column is not None
    fits = short <= console.width if not with_reason else (
        console.width >= short + MIN_REASON_COLUMNS + TABLE_CHARS_PER_COLUMN
    )
    if fits:
        table = Table(title=title, title_justify="left", expand=with_reason)
        for (name, justify), width in zip(columns, widths):
            table.add_column(name, justify=justify, no_wrap=True, min_width=width)
        if with_reason:
            table.add_column(reason_column, overflow="fold", ratio=1)
        for i, row in enumerate(rows):
            table.add_row(*row, *([Text(reasons[i])] if with_reason else []))
        console.print(table)
        return
    indent = " " * REASON_INDENT
    print_wrapped(console, words(title, style="italic"))
    print_wrapped(console, [Text(name, style="bold") for name, _ in columns], sep="  ")
    if with_reason:
        print_wrapped(console, [Text(reason_column, style="bold")], indent, indent)
    for i, row in enumerate(rows):
        print_wrapped(console, [Text.from_markup(cell) for cell in row], rest=indent, sep="  ")
        if with_reason and reasons[i]:
            print_wrapped(console, [Text(w) for w in reasons[i].split()], indent, indent)


def _longest_word(cell: str) -> int:
    return max([w.cell_len for w in words(cell)] or [0])


def render_grid(console: Console, title: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> None:
    """A table (cells are rich markup) whose cells wrap between words while every column's longest word fits;
    narrower, each row becomes a block: its first cell, then one `column: cell` line per other column."""
    least = [max(_longest_word(name), *(_longest_word(row[i]) for row in rows)) for i, (name, _) in enumerate(columns)]
    if sum(least) + TABLE_CHARS_PER_COLUMN * len(columns) + 1 <= console.width:
        table = Table(title=title, title_justify="left")
        for (name, justify), width in zip(columns, least):
            table.add_column(name, justify=justify, min_width=width, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    indent = " " * REASON_INDENT
    print_wrapped(console, words(title, style="italic"))
    for row in rows:
        print_wrapped(console, words(row[0]), rest=indent)
        for (name, _), cell in zip(columns[1:], row[1:]):
            print_wrapped(console, [*words(f"{name}:"), *words(cell)], indent, indent * 2)
