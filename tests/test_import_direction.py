"""Imports flow one way: commands -> (offline, live, the program, components, policies) -> capacity.
The component package (provider) sits beside the program: it wraps components, nothing imports it.

The policy pack is self-contained (it ships its own copy of the limits it reads), so it imports
nothing of ours. Inside capacity the simulator is a leaf: the planner's search and the verifier
import it, never the other way round, and no two capacity modules import each other in a circle.

Reads the imports of every module in the project (top-level and inside functions) and fails
on any that runs upward or sideways, naming the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("capacity", "components", "policies", "provider", "qcap", "worker")

# Room -> the project packages (prefixes) it must never import. The most specific room wins.
_OUTSIDE_CAPACITY = ("components", "policies", "provider", "qcap", "worker", "__main__", "pulumi", "pulumi_aws",
                     "pulumi_cloudflare", "pulumi_policy", "boto3", "botocore", "typer", "rich", "redis")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "capacity": _OUTSIDE_CAPACITY,
    # The simulator knows queues, fleets and scenarios; turning a plan into its inputs is the verifier's.
    "capacity.simulate": (*_OUTSIDE_CAPACITY, "capacity.plan", "capacity.verify", "capacity.simulation_inputs",
                          "capacity.profile", "capacity.fixing", "capacity.stacks", "capacity.routing"),
    "components": ("policies", "provider", "qcap", "worker", "__main__", "boto3"),
    "provider": ("policies", "qcap", "worker", "__main__", "boto3"),
    "policies": ("capacity", "components", "qcap", "worker", "__main__", "boto3"),
    "__main__": ("policies", "provider", "qcap", "worker"),
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


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports.

    Importing `a.b.c` from outside package `a.b` runs `a.b`'s __init__ first, so that counts as an
    import of `a.b` too; a sibling import inside its own package does not.
    """
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
        targets = set()
        for _, target in imported_modules(source, module):
            parts = target.split(".")
            targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} - own
        graph[module] = {t for t in targets if t in sources and t != module}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports, each as the modules along it (first repeated last), found by depth-first search."""
    circles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                circle = path[path.index(target):] + [target]
                if frozenset(circle) not in seen:
                    seen.add(frozenset(circle))
                    circles.append(circle)
            elif state.get(target) is None:
                visit(target, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if state.get(module) is None:
            visit(module, [])
    return circles


def capacity_sources() -> dict[str, str]:
    return {name: path.read_text() for name, path in project_modules() if name.split(".")[0] == "capacity"}


def test_no_capacity_modules_import_each_other_in_a_circle():
    assert import_circles(import_graph(capacity_sources())) == []


def test_a_planted_circle_between_planner_and_simulator_is_named():
    sources = capacity_sources()
    sources["capacity.simulate.model"] += "\nfrom capacity.plan.models import WorkloadPlan\n"
    circles = [" -> ".join(c) for c in import_circles(import_graph(sources))]
    (circle,) = circles
    assert circle.startswith("capacity.plan -> capacity.plan.stack -> capacity.plan.service -> ")
    assert circle.endswith("-> capacity.simulate -> capacity.simulate.cloudflare -> capacity.simulate.model -> "
                           "capacity.plan")
    found = violations("capacity.simulate.model", "from capacity.plan.models import WorkloadPlan\n")
    assert found == ["capacity.simulate.model:1 imports capacity.plan.models, but capacity.simulate must not import "
                     "capacity.plan"]


def test_every_project_module_imports_only_downward():
    modules = project_modules()
    assert len(modules) > 40, "the walk found too few modules; is ROOT right?"
    bad = [v for name, path in modules for v in violations(name, path.read_text())]
    assert bad == []


# qcap decides run-time access with the pack's own model and evaluator (one copy, pure), never with its
# rules or the pulumi_policy glue, which run only in the pack's process.
SHARED_PACK_MODULES = ("policies.access_", "policies.iam_", "policies.managed_policies", "policies.rules_base",
                       "policies.contract")


def pack_imports_outside_the_shared_model(module: str, source: str) -> list[str]:
    return [f"{module}:{line} imports {target}" for line, target in imported_modules(source, module)
            if target.startswith("policies.") and not target.startswith(SHARED_PACK_MODULES)]


def test_qcap_imports_only_the_packs_shared_access_model():
    bad = [v for name, path in project_modules() if name.startswith("qcap")
           for v in pack_imports_outside_the_shared_model(name, path.read_text())]
    assert bad == []
    assert pack_imports_outside_the_shared_model("qcap.offline.access", "from policies.pack import build_policies\n")


def test_every_module_belongs_to_a_room():
    assert [name for name, _ in project_modules() if room_of(name) is None and name != "qcap" and
            not name.startswith("qcap.cli") and name != "qcap.__main__"] == []


@pytest.mark.parametrize(
    ("module", "source", "forbidden"),
    [
        ("capacity.plan.service", "import pulumi\n", "pulumi"),
        ("capacity.simulate.service", "def f():\n    from capacity.plan import plan\n", "capacity.plan"),
        ("capacity.simulate", "from capacity.simulation_inputs import model_from_plan\n", "capacity.simulation_inputs"),
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
