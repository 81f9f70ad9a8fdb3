"""The qcap policy pack, as `pulumi preview --policy-pack policies` and `qcap preview` start it.

Self-contained: the CLI (or `pulumi policy publish`, which uploads only this directory) runs
`python -m pulumi.policy <engine> .` here, and this file loads the directory itself as the
package `policies`, whatever the directory is called, so nothing outside it is imported and
the rule modules' `from policies.rules_base import ...` resolve to the files beside this one.
The pack's version is PulumiPolicy.yaml's, which is the project's (pyproject.toml); a test
keeps the two equal.
"""

import importlib.util
import re
import sys
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parent
PACKAGE = "policies"


def _load_pack_package() -> None:
    spec = importlib.util.spec_from_file_location(PACKAGE, PACK_DIR / "__init__.py",
                                                  submodule_search_locations=[str(PACK_DIR)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)


def pack_version() -> str:
    """`version:` of PulumiPolicy.yaml (read without a YAML parser: the pack needs only pulumi-policy)."""
    found = re.search(r"^version:\s*['\"]?([^'\"\s]+)", (PACK_DIR / "PulumiPolicy.yaml").read_text(), re.M)
    return found.group(1) if found else "0.0.1"


_load_pack_package()

import pulumi_policy.policy as _pulumi_policy  # noqa: E402
from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.pack import PACK_DESCRIPTION, PACK_NAME, build_policies  # noqa: E402

# pulumi-policy's Python server always reports version 0.0.1 (it expects the CLI to read the
# version from PulumiPolicy.yaml), and puts that in its own messages ("qcap@v0.0.1"); hand it ours.
_servicer_init = _pulumi_policy._PolicyAnalyzerServicer.__init__


def _servicer_with_pack_version(self, name, version, *args, **kwargs):
    _servicer_init(self, name, pack_version(), *args, **kwargs)


_pulumi_policy._PolicyAnalyzerServicer.__init__ = _servicer_with_pack_version

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
)
