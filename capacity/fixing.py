"""`qcap plan --fix`: repair and patch a profile file, changing only the bytes of the values it sets.

A file that does not validate is repaired first where the repair is clear (a misspelt key
renamed, the nearest valid Fargate pair: capacity/profile_repairs.py), every problem at once.
Then each round applies the patch of every finding that has one (likely unit slips alone
first, then errors, then warnings), one at a time, keeping a patch only while the profile
still validates, and plans the patched profile again, since one fix can reveal the next. The
text is edited in place (capacity/yaml_edit.py), so every untouched line stays byte for byte
as it was; ruamel.yaml's round-trip dump is the fallback for an edit that cannot be placed.
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
from capacity import strict_yaml
from capacity.joint_fix import adjustable_fields, joint_fix
from capacity.plan.patches import apply_patch, parse_path, profile_data
from capacity.profile import Profile, ProfileError, load_profile, parse_profile
from capacity.profile_repairs import Repair, apply_repairs, profile_repairs
from capacity.yaml_edit import rename_key, set_value

# Rounds of repairs of an invalid file: a renamed key can reveal a problem inside it.
MAX_REPAIR_ROUNDS = 3
# Findings whose patch goes first and alone: the rest of the plan reads differently once it is applied.
FIRST_LIMITS = ("likely unit",)

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
    repairs: list[Repair] = field(default_factory=list)
    unsolved: list[str] = field(default_factory=list)
    """Workloads still infeasible because no change within the searched fields' bounds works, and why."""

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.repairs)

    @property
    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.original_text.splitlines(keepends=True), self.fixed_text.splitlines(keepends=True),
            fromfile=str(self.path), tofile=f"{self.path} (fixed)",
        ))


def _ordered_patches(result: Plan) -> list[Patch]:
    first = [f.patch for w in result.workloads for f in w.findings if f.limit in FIRST_LIMITS and f.patch]
    if first:
        return first
    patches: list[Patch] = []
    for severity in ("error", "warning"):
        for w in result.workloads:
            for f in w.findings:
                if f.severity == severity and f.patch and f.patch not in patches:
                    patches.append(f.patch)
    return patches


def fix_profile(path: Path | str) -> FixResult:
    """Repair and patch the profile at `path` (not written): the new text, what was set, and its plan."""
    path = Path(path)
    text = path.read_bytes().decode("utf-8")  # as written: read_text would turn CRLF into LF
    repairs: list[Repair] = []
    try:
        profile = load_profile(path)
    except ProfileError as exc:
        profile, repairs = _repaired(text, path, exc)
    start = profile_data(profile)
    applied: Patch = {}
    skipped: list[str] = []
    profile, result = _patch_rounds(path, profile, plan(profile), applied, skipped)
    unsolved: list[str] = []
    for index in _infeasible_workloads(profile, result):
        # The findings' patches left an error: search the workload's fields together, from its own values.
        others = {p: v for p, v in applied.items() if not p.startswith(f"workloads[{index}].")}
        base = parse_profile(apply_patch(start, others), path)
        found = joint_fix(base, index)
        name = profile.workloads[index].name
        if found is None:
            unsolved.append(f"{name}: no change of {', '.join(adjustable_fields(base, index))} within their "
                            "allowed values makes the plan feasible")
            continue
        for p in [p for p in applied if p.startswith(f"workloads[{index}].")]:
            del applied[p]
        applied.update(found.patch)
        profile = parse_profile(apply_patch(start, applied), path)
        result = plan(profile)
    fixed_text = edit_text(text, repairs, applied)
    return FixResult(path, text, fixed_text, applied, profile, result, skipped, repairs, unsolved)


def _infeasible_workloads(profile: Profile, result: Plan) -> list[int]:
    groups = {w.group for w in result.workloads if w.errors}
    return [i for i, w in enumerate(profile.workloads) if w.name in groups]


def _patch_rounds(path: Path, profile: Profile, result: Plan, applied: Patch,
                  skipped: list[str]) -> tuple[Profile, Plan]:
    """Rounds of every finding's patch, re-planning between rounds; `applied` and `skipped` are filled in."""
    data = profile_data(profile)
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
    return profile, result


def _repaired(text: str, path: Path, error: ProfileError) -> tuple[Profile, list[Repair]]:
    """The profile with every clear repair applied, or the original error when some problem remains."""
    try:
        data = strict_yaml.load(text)
    except Exception:  # noqa: BLE001 - unreadable YAML: the load error already says where
        raise error from None
    repairs: list[Repair] = []
    for _ in range(MAX_REPAIR_ROUNDS):
        found = profile_repairs(data)
        if not found:
            break
        data = apply_repairs(data, found)
        repairs += found
        try:
            return parse_profile(data, path), repairs
        except ProfileError as exc:
            error = exc
    raise error


def edit_text(text: str, repairs: list[Repair], patch: Patch) -> str:
    """The file's text with the repairs and the patch applied, each in place; a round-trip dump only for
    the values that cannot be placed so."""
    left: Patch = {}
    for repair in repairs:
        edited = (rename_key(text, list(repair.parts), repair.value) if repair.kind == "rename"
                  else set_value(text, list(repair.parts), repair.value))
        if edited is None:
            left[repair.path] = repair.value
        else:
            text = edited
    for path, value in patch.items():
        edited = set_value(text, parse_path(path), value)
        if edited is None:
            left[path] = value
        else:
            text = edited
    return edit_yaml(text, left) if left else text


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
