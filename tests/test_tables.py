"""Tables that fit: short columns whole, the reason folded beside the row or printed under it."""

from __future__ import annotations

import io

from rich.console import Console

from qcap.commands.tables import render_grid, render_rows

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


GRID_COLUMNS = [("", "left"), ("plan autoscaling", "right"), ("CDK default scaling", "right")]
GRID_ROWS = [["peak backlog (messages)", "2,800,000", "2,800,000"], ["objective met", "[red]no[/]", "yes"]]


def grid(width: int) -> str:
    out = io.StringIO()
    render_grid(Console(file=out, width=width), "events: drain 2,800,000 waiting messages", GRID_COLUMNS, GRID_ROWS)
    return out.getvalue()


def test_a_grid_is_a_table_while_its_longest_words_fit_side_by_side():
    text = grid(60)
    assert "┃" in text and "2,800,000 │" in text and "…" not in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 60


def test_a_grid_too_narrow_for_its_words_is_a_block_per_row_with_every_cell_whole():
    assert grid(36).splitlines() == [
        "events: drain 2,800,000 waiting",
        "messages",
        "peak backlog (messages)",
        "    plan autoscaling: 2,800,000",
        "    CDK default scaling: 2,800,000",
        "objective met",
        "    plan autoscaling: no",
        "    CDK default scaling: yes",
    ]
