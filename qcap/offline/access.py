"""Would the tasks work once they start? The access check over a mock run's registrations.

The model and the evaluator live in the pack (policies/access_*.py, policies/iam_*.py), pure,
so `qcap preview` and `pulumi preview --policy-pack policies` decide with one copy; this module
hands them a run's custom resources with inputs, outputs and property dependencies.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from policies.access_check import AccessReport, check_access
from policies.access_resources import AccessResource, from_parts
from qcap.offline.program_run import ProgramRun, Registration


def access_resources(registrations: Iterable[Registration]) -> list[AccessResource]:
    """Custom resources as the access model reads them: inputs overlaid with the provider's outputs."""
    return [from_parts(r.urn, r.type, r.name, {**r.inputs, **r.outputs}, r.property_dependencies, r.dependencies)
            for r in registrations if r.custom]


def check_run(run: ProgramRun) -> tuple[AccessReport, float]:
    """The access report of one run and the seconds it took."""
    started = time.perf_counter()
    region = run.config.get("aws:region")
    report = check_access(access_resources(run.registrations), str(region) if region else None)
    return report, time.perf_counter() - started
