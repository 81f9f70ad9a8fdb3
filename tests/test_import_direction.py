"""Imports flow one way: commands -> (offline, live, the program, components, policies) -> capacity.

The policy pack is self-contained (it ships its own copy of the limits it reads), so it imports
nothing of ours.

Reads the imports of every module in the project (top-level and inside functions) and fails
on any that runs upward or sideways, naming the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("capacity", "components", "policies", "qcap", "worker")

# Room -> the project packages (prefixes) it must never import. The most specific room wins.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "capacity": ("components", "policies", "qcap", "worker", "__main__", "pulumi", "pulumi_aws",
                 "pulumi_cloudflare", "pulumi_policy", "boto3", "botocore", "typer", "rich", "redis"),
    "components": ("policies", "qcap", "worker", "__main__", "boto3"),
    "policies": ("capacity", "components", "qcap", "worker", "__main__", "boto3"),
    "__main__": ("policies", "qcap", "worker"),
    "qcap.offline": ("qcap.commands", "qcap.cli", "qcap.live", "worker"),
    "qcap.live": ("qcap.commands", "qcap.cli", "qcap.offline", "components", "policies", "pulumi", "worker"),
    "qcap.commands": ("qcap.cli",),
    "worker": ("components", "policies", "qcap", "__main__", "pulumi", "pulumi_aws", "pulumi_cloudflare"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room_of(module: str) -> str | None:
    """The most specific room a module belongs to (qcap.live.doctor -> qcap.live)."""
    candidates = [room for room in FORBIDDEN if module == room or module.startswith(room + ".")]
    return max(candidates, key=len) if candidates else None


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module's source."""
    found: list[tuple[int, str]] = []
    package = module if module.endswith("__init__") else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from qcap import commands` imports the submodule qcap.commands.
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def violations(module: str, source: str) -> list[str]:
    """Every import in `source` that the room of `module` forbids, as 'module:line imports X (rule)'."""
    room = room_of(module)
    if room is None:
        return []
    bad: list[str] = []
    reported: set[int] = set()
    for line, target in imported_modules(source, module):
        if line in reported:
            continue  # one statement, one report
        for forbidden in FORBIDDEN[room]:
            if target == forbidden or target.startswith(forbidden + "."):
                bad.append(f"{module}:{line} imports {target}, but {room} must not import {forbidden}")
                reported.add(line)
                break
    return bad


def project_modules() -> list[tuple[str, Path]]:
    files = [ROOT / "__main__.py"]
    for package in PACKAGES:
        files.extend(sorted((ROOT / package).rglob("*.py")))
    return [(module_name(f), f) for f in files if f.exists()]


def test_every_project_module_imports_only_downward():
    modules = project_modules()
    assert len(modules) > 40, "the walk found too few modules; is ROOT right?"
    bad = [v for name, path in modules for v in violations(name, path.read_text())]
    assert bad == []


def test_every_module_belongs_to_a_room():
    assert [name for name, _ in project_modules() if room_of(name) is None and name != "qcap" and
            not name.startswith("qcap.cli") and name != "qcap.__main__"] == []


@pytest.mark.parametrize(
    ("module", "source", "forbidden"),
    [
        ("capacity.plan.service", "import pulumi\n", "pulumi"),
        ("capacity.plan.service", "from qcap.live import doctor\n", "qcap"),
        ("components.sqs_queue", "from policies import rules_base\n", "policies"),
        ("policies.rules_capacity", "def f():\n    from components.tags import tags\n", "components"),
        ("qcap.offline.preview", "from qcap.commands.stack_loading import load_stack\n", "qcap.commands"),
        ("qcap.live.doctor", "from qcap import offline\n", "qcap.offline"),
        ("qcap.offline.mock_engine", "from ..commands import preview\n", "qcap.commands"),
    ],
)
def test_a_planted_upward_import_is_caught(module, source, forbidden):
    found = violations(module, source)
    assert len(found) == 1
    assert f"must not import {forbidden}" in found[0]


def test_downward_imports_are_allowed():
    assert violations("qcap.commands.preview", "from qcap.offline.preview import preview\nimport capacity\n") == []
    assert violations("components.workload", "from capacity.plan import Plan\nimport pulumi\n") == []
