"""Tables that fit the terminal: short columns side by side, a long reason column folded, or under the row.

Rich's console width (the terminal, else COLUMNS, else 80) decides. When the short columns
and a readable reason fit, the reason is a column that folds; when they do not, each row
is printed as one line of its short cells with its reason indented under it. No cell is
ever cut with an ellipsis: a name a reader searches for stays whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

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
    console.print(Text.from_markup(title, style="italic"))
    header = "  ".join(name for name, _ in columns)
    console.print(Text(header + (f"\n{' ' * REASON_INDENT}{reason_column}" if with_reason else ""), style="bold"))
    for i, row in enumerate(rows):
        console.print(Text.from_markup("  ".join(row)), overflow="fold")
        if with_reason and reasons[i]:
            console.print(Padding(Text(reasons[i], overflow="fold"), (0, 0, 0, REASON_INDENT), expand=False))
