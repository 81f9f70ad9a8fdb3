"""The doctor's verdicts: a workload's live facts judged against its plan, as ok / warn / critical checks.

Pure: facts in (qcap.live.facts), checks out, each carrying the numbers behind it; the
gathering with boto3 is in qcap.live.doctor. docs/doctor.md states every formula.
Here: which checks a workload gets; the verdicts themselves are in qcap.live.queue_checks,
service_checks and drift_checks, the numbers they judge in qcap.live.derived_numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from capacity.plan import WorkloadPlan
from qcap.live.derived_numbers import Computed, compute
from qcap.live.drift_checks import check_queue_drift, check_scaling_drift
from qcap.live.facts import Level, WorkloadFacts
from qcap.live.queue_checks import check_age, check_dlq, check_drain, check_expiry, check_flow
from qcap.live.service_checks import check_service
from qcap.live.verdict import Check, worst


@dataclass(frozen=True)
class Diagnosis:
    """One workload's checks, with the facts and the numbers they were judged from."""

    workload: str
    facts: WorkloadFacts
    computed: Computed | None
    checks: tuple[Check, ...]

    @property
    def level(self) -> Level:
        return worst(c.level for c in self.checks)


def diagnose(plan: WorkloadPlan, facts: WorkloadFacts) -> Diagnosis:
    """All checks of one workload against its plan."""
    name = plan.name
    if facts.queue is None:
        check = Check(
            name,
            "queue",
            "critical",
            "missing",
            facts.queue_name,
            f"queue {facts.queue_name} does not exist in this account and region: deploy the stack "
            "(pulumi up) or point doctor at the queue with --queue-url",
        )
        return Diagnosis(name, facts, None, (check,))
    c = compute(plan, facts)
    checks = [
        check_flow(plan, c),
        check_age(plan, c),
        check_drain(plan, facts.queue, c),
        check_expiry(name, facts.queue, c),
    ]
    if facts.service is not None:
        checks.extend(check_service(plan, facts, c))
    checks.append(check_dlq(facts, c))
    checks.extend(check_queue_drift(plan, facts.queue))
    if facts.scaling is not None and (facts.service is None or facts.service.found):
        checks.extend(check_scaling_drift(plan, facts.scaling))
    return Diagnosis(name, facts, c, tuple(checks))
