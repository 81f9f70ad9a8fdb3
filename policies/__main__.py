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


class _SharedDeserialization:
    """pulumi-policy deserializes every resource once per policy (AnalyzeStack: every resource once per stack
    policy); with 50 policies that dominates the analysis of a large stack. This shim hands every policy the same
    deserialized properties of a message (keyed by its bytes; rules never modify them). Bounded, and an entry
    keeps its input alive, so a cached id is never a reused one."""

    MAX_ENTRIES = 50_000

    def __init__(self, json_format, deserialize) -> None:
        self._json_format = json_format
        self._deserialize = deserialize
        self._dicts: dict[bytes, dict] = {}
        self._deserialized: dict[int, tuple[dict, dict]] = {}

    def __getattr__(self, name):  # the rest of google.protobuf.json_format
        return getattr(self._json_format, name)

    def MessageToDict(self, message, *args, **kwargs):  # noqa: N802 - json_format's name
        if args or kwargs:
            return self._json_format.MessageToDict(message, *args, **kwargs)
        key = message.SerializeToString(deterministic=True)
        found = self._dicts.get(key)
        if found is None:
            if len(self._dicts) > self.MAX_ENTRIES:
                self._dicts.clear()
                self._deserialized.clear()
            found = self._dicts[key] = self._json_format.MessageToDict(message)
        return found

    def deserialize_properties(self, props, proxy_secrets=False):
        if proxy_secrets:
            return self._deserialize(props, proxy_secrets)
        entry = self._deserialized.get(id(props))
        if entry is None or entry[0] is not props:
            entry = self._deserialized[id(props)] = (props, self._deserialize(props))
        return entry[1]


_shared = _SharedDeserialization(_pulumi_policy.json_format, _pulumi_policy.deserialize_properties)
_pulumi_policy.json_format = _shared
_pulumi_policy.deserialize_properties = _shared.deserialize_properties


def _servicer_with_pack_version(self, name, version, *args, **kwargs):
    _servicer_init(self, name, pack_version(), *args, **kwargs)


_pulumi_policy._PolicyAnalyzerServicer.__init__ = _servicer_with_pack_version

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
)
