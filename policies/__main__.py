"""The qcap policy pack, as `pulumi preview --policy-pack policies` and `qcap preview` start it.

Thin on purpose: PolicyPack starts the Analyzer gRPC server, prints its port and blocks, so
the rules live in the rule modules and `pack.py` turns them into policies.
"""

import sys
from pathlib import Path

# The CLI runs this file with the pack directory as the working directory; the project root
# (with `capacity` and `policies`) must be importable even when qcap is not pip-installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.pack import PACK_DESCRIPTION, PACK_NAME, build_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
)
