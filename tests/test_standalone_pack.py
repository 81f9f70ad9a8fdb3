"""The pack runs on its own: copied to an empty folder, with only its requirements in a fresh virtualenv.

This is what `pulumi policy publish` relies on (it uploads the pack directory and nothing else). The
copy must give every shipped stack the same verdicts as the pack in the repository, the one
`qcap preview` runs.
The test installs from the package index, so it is slow (one virtualenv, about a minute).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from qcap.commands.stack_loading import load_stack
from qcap.offline.analysis import AnalyzerResource
from qcap.offline.analyzer_client import run_analysis
from qcap.offline.policy_pack_process import PolicyPackProcess, pack_python
from qcap.offline.preview import program_config, run_stack_program, to_analyzer_resources
from qcap.offline.pulumi_project import project_name, stack_config

ROOT = Path(__file__).resolve().parent.parent
POLICIES_DIR = ROOT / "policies"
SHIPPED_STACKS = sorted(p.stem for p in (ROOT / "stacks").glob("*.yaml"))
PIP_INSTALL_TIMEOUT_SECONDS = 600


def test_pulumi_policy_yaml_carries_only_fields_the_cli_reads_and_the_project_version():
    project = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    # workspace.PolicyPackProject: runtime, version, main, description, author, website, license.
    assert set(project) <= {"runtime", "version", "main", "description", "author", "website", "license"}
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert project["version"] == version


@pytest.mark.slow
def test_pack_copied_to_an_empty_folder_runs_from_its_own_virtualenv(tmp_path):
    pack = tmp_path / "qcap-pack"
    shutil.copytree(POLICIES_DIR, pack, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", str(pack / "venv")], check=True)
    subprocess.run([str(pack / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                    str(pack / "requirements.txt")], check=True, timeout=PIP_INSTALL_TIMEOUT_SECONDS)
    assert pack_python(pack) == str((pack / "venv").resolve() / "bin" / "python")
    public_ip = AnalyzerResource(
        urn="urn:pulumi:dev::raw::aws:ecs/service:Service::orders", type="aws:ecs/service:Service", name="orders",
        inputs={"networkConfiguration": {"assignPublicIp": True}})
    with PolicyPackProcess(pack, stack="dev", project="raw") as process:
        analysis = run_analysis(process, [public_ip])
    assert analysis.pack_name == "qcap"
    assert analysis.pack_version == yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["version"]
    assert [(d.policy, d.level) for d in analysis.diagnostics] == [("ecs-no-public-ip", "mandatory")]
    for name in SHIPPED_STACKS:
        assert verdicts(pack, name) == verdicts(POLICIES_DIR, name), name


@functools.cache
def stack_run(name: str) -> tuple[dict, tuple[AnalyzerResource, ...]]:
    """One shipped stack's pack config and update-preview resources, as `qcap preview` builds them."""
    loaded = load_stack(name)
    overrides, _ = program_config(loaded)
    present, _ = stack_config(loaded.name)
    run = run_stack_program(loaded.name, overrides, None)
    assert run.ok, run.error
    return {"qcap:environment": loaded.plan.environment, **present, **overrides}, tuple(to_analyzer_resources(run))


def verdicts(pack_dir: Path, name: str) -> list[tuple[str, str, str, str]]:
    """(policy, level, urn, message) of every diagnostic a pack gives one shipped stack's update preview."""
    config, resources = stack_run(name)
    with PolicyPackProcess(pack_dir, stack=name, project=project_name(), config=config) as process:
        analysis = run_analysis(process, list(resources))
    return sorted((d.policy, d.level, d.urn, d.message) for d in analysis.diagnostics)
