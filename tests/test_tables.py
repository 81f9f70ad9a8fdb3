"""Tables that fit: short columns whole, the reason folded beside the row or printed under it."""

from __future__ import annotations

import io

from rich.console import Console

from qcap.commands.tables import render_rows

COLUMNS = [("queue", "left"), ("value", "right")]
ROWS = [["notify-normal-priority", "1,209,600 s"], ["jobs-0", "12 tasks"]]
REASONS = ["a long reason " * 8, "short"]


def rendered(width: int) -> str:
    out = io.StringIO()
    render_rows(Console(file=out, width=width), "title", COLUMNS, ROWS, "reason", REASONS)
    return out.getvalue()


def test_a_wide_terminal_gets_one_table_with_the_reason_folded_in_its_column():
    text = rendered(200)
    assert "┃ queue" in text and "reason" in text
    assert max(len(line) for line in text.splitlines()) <= 200
    assert "notify-normal-priority" in text


def test_a_narrow_terminal_gets_each_reason_under_its_row_and_no_name_is_cut():
    for width in (40, 60):
        text = rendered(width)
        assert "notify-normal-priority  1,209,600 s" in text
        assert "    a long reason" in text
        assert "…" not in text
        assert max(len(line) for line in text.splitlines()) <= width


def test_rows_without_a_reason_fold_rather_than_cut():
    out = io.StringIO()
    render_rows(Console(file=out, width=20), "t", COLUMNS, ROWS)
    assert "…" not in out.getvalue()
