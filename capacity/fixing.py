"""`qcap plan --fix`: apply the plan's patches to a profile file, keeping its comments and key order.

Each round applies the patch of every finding that has one (errors first, then warnings),
one at a time, keeping a patch only while the profile still validates; then it plans the
patched profile again, since one fix can reveal the next. The file is edited with
ruamel.yaml's round-trip mode, so comments, key order and flow style survive and the diff
shows only the values that changed.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from capacity.plan import Plan, plan
from capacity.plan.models import Patch
from capacity.plan.patches import apply_patch, parse_path, profile_data
from capacity.profile import Profile, ProfileError, load_profile, parse_profile

# Rounds of patch, re-plan: a fix can reveal another finding (a larger batch needs a longer visibility).
MAX_FIX_ROUNDS = 5
# Indentation styles tried, (mapping, sequence, offset): the one that round-trips the file unchanged is kept.
INDENT_STYLES = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4))


@dataclass
class FixResult:
    """The patched profile: the text before and after, what was set, and the new plan."""

    path: Path
    original_text: str
    fixed_text: str
    applied: Patch
    profile: Profile
    plan: Plan
    skipped: list[str] = field(default_factory=list)

    @property
    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.original_text.splitlines(keepends=True), self.fixed_text.splitlines(keepends=True),
            fromfile=str(self.path), tofile=f"{self.path} (fixed)",
        ))


def _ordered_patches(result: Plan) -> list[Patch]:
    patches: list[Patch] = []
    for severity in ("error", "warning"):
        for w in result.workloads:
            for f in w.findings:
                if f.severity == severity and f.patch and f.patch not in patches:
                    patches.append(f.patch)
    return patches


def fix_profile(path: Path | str) -> FixResult:
    """Apply every finding's patch to the profile at `path` (not written): the new text and its plan."""
    path = Path(path)
    text = path.read_text()
    profile = load_profile(path)
    result = plan(profile)
    data = profile_data(profile)
    applied: Patch = {}
    skipped: list[str] = []
    for _ in range(MAX_FIX_ROUNDS):
        changed = False
        this_round: set[str] = set()
        for patch in _ordered_patches(result):
            # One value per path a round (the first finding's, errors first); the re-plan says if more is needed.
            if all(applied.get(p) == v for p, v in patch.items()) or this_round & set(patch):
                continue
            candidate = apply_patch(data, patch)
            try:
                checked = parse_profile(candidate, path)
            except ProfileError as exc:
                skipped.append(f"{patch}: {'; '.join(exc.problems)}")
                continue
            data, profile, changed = candidate, checked, True
            applied.update(patch)
            this_round |= set(patch)
        if not changed:
            break
        result = plan(profile)
    fixed_text = edit_yaml(text, applied) if applied else text
    return FixResult(path, text, fixed_text, applied, profile, result, skipped)


def _yaml_for(text: str) -> YAML:
    """A round-trip YAML that writes `text` back unchanged, if one of the usual indentations does."""
    fallback = None
    for mapping, sequence, offset in INDENT_STYLES:
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        fallback = fallback or yaml
        out = io.StringIO()
        yaml.dump(yaml.load(text), out)
        if out.getvalue() == text:
            return yaml
    assert fallback is not None
    return fallback


def edit_yaml(text: str, patch: Patch) -> str:
    """The YAML text with each path set to its value; comments, order and style kept."""
    yaml = _yaml_for(text)
    doc = yaml.load(text)
    for path, value in patch.items():
        _set(doc, parse_path(path), value)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _set(doc: Any, parts: list[str | int], value: Any) -> None:
    node = doc
    for part, following in zip(parts, parts[1:]):
        if isinstance(part, int):
            node = node[part]
            continue
        if node.get(part) is None:
            node[part] = CommentedSeq() if isinstance(following, int) else CommentedMap()
        node = node[part]
    node[parts[-1]] = value
