"""The repository stands alone: no file points a reader at a folder outside it or at a tracker's numbers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".ts", ".json", ".cfg", ".ini", ""}
# Built from pieces so this file does not match itself.
OUTSIDE = re.compile(r"\.\./" + "shared" + r"|\b(?:DESIGN|LIMITS|STYLE|ANCHORS)\.md\b")
TRACKER = re.compile(r"\b[Ii]ssues? #?\d+\b|\bitems? \d+(?: and \d+)? of\b")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines() if Path(name).suffix in TEXT_SUFFIXES
            and (ROOT / name).is_file() and ROOT / name != Path(__file__).resolve()]


def offending_lines(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in tracked_text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
                  if pattern.search(line)]
    return found


def test_no_file_refers_to_a_folder_outside_the_repository():
    assert offending_lines(OUTSIDE) == []


def test_no_file_refers_to_a_trackers_issue_numbers():
    assert offending_lines(TRACKER) == []


def test_the_patterns_catch_what_they_are_for():
    assert OUTSIDE.search("see ../" + "shared/LIMITS.md") and TRACKER.search("fixed in issue 13")
    assert TRACKER.search("item 2 of issue #12") and not TRACKER.search("an issue with the queue")
