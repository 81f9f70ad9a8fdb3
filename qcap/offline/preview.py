"""Preview a stack offline: run its Pulumi program under mocks and the real policy pack over gRPC.

The offline counterpart of `pulumi preview --policy-pack policies`: the pack starts first (as
its own process, exactly as the CLI starts it) while the program runs under the SDK's mock
monitor; then every registration goes through Analyze and the whole stack through
AnalyzeStack. `qcap preview` (qcap.commands.preview) renders what this returns.
"""

from __future__ import annotations

import runpy
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capacity.contract import EXIT_NOT_OK, EXIT_OK
from capacity.profile import STACKS_DIR
from capacity.stacks import LoadedStack
from qcap.offline.analysis import Analysis, AnalyzerResource, Diagnostic
from policies.access_check import AccessReport
from qcap.offline.access import check_run
from qcap.offline.analyzer_client import run_analysis
from qcap.offline.contract import ContractReport, check_contract
from qcap.offline.mock_engine import run_function, run_program
from qcap.offline.policy_config import PolicyConfigError
from qcap.offline.policy_pack_process import PolicyPackError, PolicyPackProcess
from qcap.offline.program_run import ProgramRun
from qcap.offline.pulumi_project import project_name, stack_config

# Stack config `qcap preview` fills in when Pulumi.<stack>.yaml lacks it: offline, network ids
# and accounts only need to exist, never to be real. Listed in the output when used.
OFFLINE_PLACEHOLDER_CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    "qcap:subnetIds": ["subnet-0offline000000000a", "subnet-0offline000000000b"],
    "qcap:securityGroupIds": ["sg-0offline000000000a"],
    "qcap:vpcId": "vpc-0offline000000000a",
    "qcap:cloudflareAccountId": "0" * 32,
}
# Which placeholders each broker's components read.
AWS_PLACEHOLDER_KEYS = ("aws:region", "qcap:subnetIds", "qcap:securityGroupIds")
PLACEHOLDER_KEYS_BY_BROKER: dict[str, tuple[str, ...]] = {
    "sqs": AWS_PLACEHOLDER_KEYS,
    "sqs-fifo": AWS_PLACEHOLDER_KEYS,
    "redis": (*AWS_PLACEHOLDER_KEYS, "qcap:vpcId"),
    "cloudflare": ("qcap:cloudflareAccountId",),
}


# --- inputs ----------------------------------------------------------------------------


def program_config(loaded: LoadedStack) -> tuple[dict[str, Any], list[str]]:
    """Config overrides for the run: the profile path when it is not stacks/<stack>.yaml, and placeholders."""
    overrides: dict[str, Any] = {}
    if loaded.path.resolve() != (STACKS_DIR / f"{loaded.name}.yaml").resolve():
        overrides["qcap:profile"] = str(loaded.path.resolve())
    present, secure = stack_config(loaded.name)
    needed = {k for w in loaded.plan.workloads for k in PLACEHOLDER_KEYS_BY_BROKER.get(w.broker, ())}
    placeholders = [k for k in OFFLINE_PLACEHOLDER_CONFIG if k in needed and k not in present and k not in secure]
    overrides.update({k: OFFLINE_PLACEHOLDER_CONFIG[k] for k in placeholders})
    return overrides, placeholders


def run_stack_program(name: str, overrides: dict[str, Any], program: Path | None,
                      new_stack: bool = False) -> ProgramRun:
    """Run the project's __main__.py for the stack, or another Pulumi program (a file, or a directory with
    Pulumi.yaml and __main__.py) with the same config; `new_stack` runs it as a new stack's first preview."""
    if program is None:
        return run_program(name, config=overrides, new_stack=new_stack)
    values, secure = stack_config(name)
    values.update(overrides)
    path = program / "__main__.py" if program.is_dir() else program

    def body() -> None:  # returns None: run_function would export a returned dict (runpy's globals)
        runpy.run_path(str(path), run_name="__main__")

    return run_function(body, stack=name, config=values, secret_keys=[k for k in secure if k in values],
                        new_stack=new_stack)


def program_problem(program: Path) -> str | None:
    """Why --program cannot be run, or None: a Python file, or a Pulumi project directory with __main__.py."""
    if program.is_file():
        return None
    if program.is_dir():
        if not (program / "__main__.py").is_file():
            return f"{program}: a program directory needs __main__.py (a Pulumi Python project)"
        return None
    return f"{program}: program file not found"


# The message pulumi-policy reports for a policy that read a value unknown during preview.
UNDECIDED_MARKER = "can't run policy"


def undecided(analysis: Analysis) -> list[Diagnostic]:
    """The policies that could not decide because a value they read is unknown until the resource exists."""
    return [d for d in analysis.diagnostics if UNDECIDED_MARKER in d.message]


def undecided_mandatory(analysis: Analysis) -> list[Diagnostic]:
    levels = {p.name: p.level for p in analysis.policies}
    return [d for d in undecided(analysis) if levels.get(d.policy) == "mandatory"]


def to_analyzer_resources(run: ProgramRun) -> list[AnalyzerResource]:
    """The registrations of a run as the Analyzer receives them (inputs, outputs, parent, options)."""
    return [
        AnalyzerResource(
            urn=r.urn, type=r.type, name=r.name, inputs=r.inputs, outputs=r.outputs, parent=r.parent,
            dependencies=r.dependencies, property_dependencies=r.property_dependencies,
            protect=r.protect, ignore_changes=r.ignore_changes,
        )
        for r in run.registrations
    ]


class PreviewError(Exception):
    """The preview could not run: the program failed, or the pack or its config cannot be used."""


def program_failure(stack: str, program: Path | None, run: ProgramRun) -> str:
    """One paragraph: which program failed for which stack, the error on one line, and where it was raised."""
    which = f"the program {program}" if program is not None else f"the program (__main__.py) for stack {stack!r}"
    error = " ".join(line.strip() for line in str(run.error).splitlines() if line.strip())
    where = f" (raised at {run.error_location})" if run.error_location else ""
    return f"{which} could not run: {error}{where}. Nothing was previewed; fix the program and run again."


def check_failure(stage: str, exc: Exception) -> str:
    """One paragraph for a check of qcap's own that failed on this program: the error and where qcap raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (raised at {frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return (f"{stage} could not check this program: {type(exc).__name__}: {exc}{where}. This is a fault in qcap, "
            "not in the program; the preview is incomplete, so it does not pass.")


@dataclass
class Preview:
    """The update preview (run and analysis), the first preview of a new stack, the provider contract, the
    access check of each preview, the placeholders used and the timings. With `new_stack_only` the update
    preview is the new stack's."""

    run: ProgramRun
    analysis: Analysis
    new_stack_run: ProgramRun
    new_stack_analysis: Analysis
    contract: ContractReport
    placeholders: list[str]
    new_stack_only: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    access: AccessReport = field(default_factory=AccessReport)
    new_stack_access: AccessReport = field(default_factory=AccessReport)

    @property
    def blocked(self) -> bool:
        """A mandatory policy violation in either preview, a resource AWS or Cloudflare would refuse, or a call
        a principal needs at run time and would be denied, in either preview."""
        return bool(self.analysis.mandatory or self.new_stack_analysis.mandatory or self.contract.violations
                    or self.access.violations or self.new_stack_access.violations)


def preview(loaded: LoadedStack, program: Path | None = None, policy_config: dict[str, Any] | None = None,
            policy_config_source: str = "policy config", new_stack_only: bool = False) -> Preview:
    """Run the stack's program (or another program) and the policy pack, in parallel as the CLI does: as an
    update (every output known) and as the first preview of a new stack (outputs computed on create unknown)."""
    started = time.perf_counter()
    overrides, placeholders = program_config(loaded)
    present, _ = stack_config(loaded.name)
    timings: dict[str, float] = {"program": 0.0, "analysis": 0.0}
    # The pack reads the stack's environment from config, so prod rules apply to untagged resources too.
    pack_config = {"qcap:environment": loaded.plan.environment, **present, **overrides}
    modes = (True,) if new_stack_only else (False, True)
    results: dict[bool, tuple[ProgramRun, Analysis]] = {}
    with PolicyPackProcess(stack=loaded.name, project=project_name(), config=pack_config) as pack:
        for fresh in modes:
            clock = time.perf_counter()
            run = run_stack_program(loaded.name, overrides, program, new_stack=fresh)
            timings["program"] += time.perf_counter() - clock
            if not run.ok:
                raise PreviewError(program_failure(loaded.name, program, run))
            try:
                analysis = run_analysis(pack, to_analyzer_resources(run), policy_config,
                                        config_source=policy_config_source)
            except (PolicyConfigError, PolicyPackError) as exc:
                raise PreviewError(str(exc)) from None
            results[fresh] = (run, analysis)
            timings["analysis"] += sum(analysis.timings_seconds[k] for k in ("configure", "analyze", "analyze_stack"))
            timings.setdefault("policy_wait_after_program", analysis.timings_seconds["pack_ready"])
    run, analysis = results[modes[0]]
    # The contract checks the values AWS and Cloudflare receive, so it reads a run where all are known.
    known = results[False][0] if False in results else run_stack_program(loaded.name, overrides, program)
    if not known.ok:
        raise PreviewError(program_failure(loaded.name, program, known))
    try:
        contract = check_contract(known.registrations)
    except Exception as exc:  # noqa: BLE001 - a check that cannot read a resource must not end in a traceback
        raise PreviewError(check_failure("the provider contract", exc)) from None
    timings["contract"] = contract.seconds
    timings["pack_start"] = analysis.timings_seconds["pack_start"]
    fresh_run, fresh_analysis = results[True]
    try:
        access, access_seconds = check_run(run)
        new_stack_access, fresh_seconds = (access, 0.0) if new_stack_only else check_run(fresh_run)
    except Exception as exc:  # noqa: BLE001 - as above
        raise PreviewError(check_failure("the access check", exc)) from None
    timings["access"] = access_seconds + fresh_seconds
    timings["total"] = time.perf_counter() - started
    return Preview(run, analysis, fresh_run, fresh_analysis, contract, placeholders, new_stack_only, timings,
                   access, new_stack_access)


def new_stack_json(preview_result: Preview) -> dict[str, Any]:
    """What the first preview of a new stack decides, and which rules cannot decide there."""
    run, analysis = preview_result.new_stack_run, preview_result.new_stack_analysis
    names = {r.urn: r.name for r in run.registrations}
    levels = {p.name: p.level for p in analysis.policies}
    blind = undecided(analysis)
    return {
        "exit_code": EXIT_NOT_OK if analysis.mandatory else EXIT_OK,
        "violations": [{"policy": d.policy, "level": d.level, "resource": names.get(d.urn), "message": d.message}
                       for d in analysis.diagnostics if d not in blind],
        "undecided": [{"policy": d.policy, "level": levels.get(d.policy), "resource": names.get(d.urn),
                       "reason": d.message.split("during preview: ", 1)[-1]} for d in blind],
        "undecided_mandatory": len(undecided_mandatory(analysis)),
        "access": preview_result.new_stack_access.as_dict(),
    }


def as_json(loaded: LoadedStack, run: ProgramRun, analysis: Analysis, placeholders: list[str],
            timings: dict[str, float], exit_code: int) -> dict[str, Any]:
    names = {r.urn: r for r in run.registrations}
    return {
        "stack": loaded.name,
        "profile": str(loaded.path),
        "exit_code": exit_code,
        "plan": loaded.plan.as_json(),
        "planner_warnings": [
            {"workload": w.name, "limit": f.limit, "message": f.message, "fix": f.fix, "patch": f.patch}
            for w in loaded.plan.workloads for f in w.warnings
        ],
        "offline_placeholders": placeholders,
        "policy_pack": {"name": analysis.pack_name, "version": analysis.pack_version,
                        "policies": len(analysis.policies)},
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "protect": r.protect,
                       "ignore_changes": list(r.ignore_changes)} for r in run.registrations],
        "violations": [
            {"policy": d.policy, "level": d.level, "urn": d.urn,
             "resource": names[d.urn].name if d.urn in names else None,
             "type": names[d.urn].type if d.urn in names else None,
             "message": d.message, "remediation": d.remediation}
            for d in analysis.diagnostics
        ],
        "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
    }
