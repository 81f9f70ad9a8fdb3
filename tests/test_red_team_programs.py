"""The red-team set: hand-written raw pulumi_aws / pulumi_cloudflare programs, each naming the rule that must fire.

Every file under tests/programs/red_team/ sets `EXPECTED` (the rule id that must report it, or
None for a safe program, which no mandatory rule may report), optionally `LEVEL` ("advisory"
for a class a person judges) and `STACK` (the stack name, "dev" unless set). The programs are
written in different styles on purpose: JSON strings, dicts through json.dumps, Output.json_dumps,
aws.iam.Policy with attachments, inline_policies, separate QueuePolicy / RedrivePolicy resources,
raw ECS, Pipes and TaskSets, ElastiCache and MemoryDB. Each runs in this process under the
offline engine's mocks and every pack rule is applied to what it registered, as the Analyzer
does: resource rules to inputs, stack rules to inputs with outputs. To see one as a user would,
run `qcap preview dev --program tests/programs/red_team/<file>`.
"""

from __future__ import annotations

import ast
import dataclasses
import runpy
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest

from policies.pack import all_rules, wrap_props
from policies.rules_base import MANDATORY, ResourceView, Violation, environment_of_stack
from qcap.offline.mock_engine import run_function

PROGRAMS = Path(__file__).resolve().parent / "programs" / "red_team"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "policies.md"


def settings(path: Path) -> dict:
    """The module-level EXPECTED / LEVEL / STACK constants of a program, read without running it."""
    found = {"EXPECTED": None, "LEVEL": MANDATORY, "STACK": "dev"}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in found:
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def _view(r, props, environment) -> ResourceView:
    return ResourceView(type=r.type, name=r.name, props=wrap_props(props), urn=r.urn, protect=r.protect,
                        ignore_changes=tuple(r.ignore_changes), parent=r.parent or None,
                        dependencies=tuple(r.dependencies), stack_environment=environment,
                        property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items()})


@cache
def violations(name: str) -> tuple[tuple[Violation, str], ...]:
    """(violation, level) of every rule on one program's registrations."""
    inputs, merged = _views(name)
    found = []
    for rule in all_rules():
        results = rule.run_stack(merged) if rule.stack else [v for view in inputs for v in rule.run(view)]
        found += [(v, rule.level) for v in results]
    return tuple(found)


@cache
def _views(name: str) -> tuple[tuple[ResourceView, ...], tuple[ResourceView, ...]]:
    """One run of a program under the mocks: its resources with inputs (as resource rules see them) and with
    inputs and outputs (as stack rules see them)."""
    path = PROGRAMS / name
    stack = settings(path)["STACK"]

    def program() -> None:
        runpy.run_path(str(path), run_name="__main__")

    run = run_function(program, stack=stack)
    assert run.ok, run.error
    environment = environment_of_stack(stack, None)
    return (tuple(_view(r, r.inputs, environment) for r in run.resources),
            tuple(_view(r, {**r.inputs, **r.outputs}, environment) for r in run.resources))


UNSAFE = sorted(p.name for p in PROGRAMS.glob("unsafe_*.py"))
SAFE = sorted(p.name for p in PROGRAMS.glob("safe_*.py"))


def test_the_set_has_sixty_unsafe_programs_in_five_styles_and_fifteen_safe_ones():
    styles = {name.split("_")[1] for name in UNSAFE}
    assert len(UNSAFE) >= 60 and len(SAFE) >= 15 and len(styles) >= 5, (len(UNSAFE), len(SAFE), styles)
    assert all(settings(PROGRAMS / n)["EXPECTED"] for n in UNSAFE)
    assert all(settings(PROGRAMS / n)["EXPECTED"] is None for n in SAFE)


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_program_is_reported_by_its_rule(name):
    wanted = settings(PROGRAMS / name)
    fired = sorted({(v.rule_id, level) for v, level in violations(name)})
    assert (wanted["EXPECTED"], wanted["LEVEL"]) in fired, fired


@pytest.mark.parametrize("name", SAFE)
def test_safe_program_passes_every_mandatory_rule(name):
    blocking = [(v.rule_id, v.message) for v, level in violations(name) if level == MANDATORY]
    assert blocking == []


# --- what each rule reads, recorded over the set (docs/policies.md carries the table) -------------------

EVERY_PROPERTY = "(every property)"


class _Recording(Mapping):
    """Properties as a rule sees them, noting each top-level key it asks for."""

    def __init__(self, props, seen: set[str]):
        self._props, self._seen = props, seen

    def __getitem__(self, key):
        # `__target` is how a reader takes the whole wrapped mapping at once (policies/access_resources.py).
        self._seen.add(EVERY_PROPERTY if key == "__target" else key)
        return self._props[key]

    def get(self, key, default=None):
        self._seen.add(key)
        return self._props.get(key, default)

    def __contains__(self, key):
        self._seen.add(key)
        return key in self._props

    def __iter__(self):
        return iter(self._props)

    def __len__(self):
        return len(self._props)


def reads_markdown() -> str:
    """Per rule: the resource types and top-level properties it read over every program of the set."""
    reads: dict[str, dict[str, set[str]]] = {r.id: {} for r in all_rules()}
    for name in UNSAFE + SAFE:
        inputs, merged = _views(name)
        for rule in all_rules():
            for view in (merged if rule.stack else inputs):
                if not rule.stack and view.type not in rule.resource_types:
                    continue
                seen: set[str] = set()
                recorded = dataclasses.replace(view, props=_Recording(view.props, seen))
                if rule.stack:
                    rule.run_stack([recorded if v is view else v for v in merged])
                else:
                    rule.run(recorded)
                if seen:
                    reads[rule.id].setdefault(view.type, set()).update(seen)
    lines = ["| rule | reads (resource type: properties) |", "|---|---|"]
    for rule in all_rules():
        found = reads[rule.id]
        cell = "; ".join(f"`{t.split(':')[1]}`: {', '.join(sorted(found[t]))}" for t in sorted(found))
        lines.append(f"| `{rule.id}` | {cell or 'nothing in the red-team set (see the rule table)'} |")
    return "\n".join(lines) + "\n"


def test_the_policies_page_carries_the_table_of_what_each_rule_reads():
    assert reads_markdown() in DOCS.read_text(), "regenerate with: python tests/test_red_team_programs.py"


if __name__ == "__main__":
    print(reads_markdown())
