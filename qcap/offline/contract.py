"""Would AWS and Cloudflare accept it? The contract over every resource a stack registers, in four layers.

`check_contract(resources)` takes the registrations of a mock run (qcap.offline.mock_engine) and
checks, without any cloud call:

1. provider schema (contract_schema): every input key and nested key against
   pulumi-aws / pulumi-cloudflare's typed Args: unknown keys, missing required keys,
   wrong scalar types;
2. AWS API model (contract_calls + contract_botocore): each resource translated to the API
   calls its provider makes, validated against botocore's service models, including min,
   max, enum and pattern;
3. documented rules (contract_rules): what AWS and Cloudflare document and botocore does
   not carry (alarm periods and windows, metric math, Fargate sizes, stop timeout, SQS
   ranges and DLQs, Cloudflare consumer settings and DLQ);
4. physical names (contract_names): lengths (autonames included) and uniqueness per
   account, region and narrower scope.

Tests run it over every shipped stack and the edge profiles; `qcap preview` runs it after
the program and blocks on a violation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from qcap.offline.contract_base import Resource, Violation
from qcap.offline.contract_botocore import check_calls
from qcap.offline.contract_calls import ApiCall, translate
from qcap.offline.contract_names import check_names
from qcap.offline.contract_rules import check_rules
from qcap.offline.contract_schema import check_schema

AWS_PREFIX = "aws:"


@dataclass
class ContractReport:
    """What the contract checked and what it found."""

    resources: int
    checks_by_layer: dict[str, int]
    violations: list[Violation]
    calls: list[ApiCall] = field(default_factory=list)
    untranslated_types: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def checks(self) -> int:
        return sum(self.checks_by_layer.values())

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        """The report for `qcap preview --json`."""
        return {
            "resources": self.resources, "api_calls": len(self.calls), "checks": self.checks,
            "checks_by_layer": dict(self.checks_by_layer), "seconds": round(self.seconds, 4),
            "untranslated_types": list(self.untranslated_types),
            "violations": [{"layer": v.layer, "resource": v.resource, "type": v.type, "field": v.field,
                            "limit": v.limit, "source": v.source, "message": v.message} for v in self.violations],
        }

    def summary(self) -> str:
        layers = ", ".join(f"{layer} {count}" for layer, count in self.checks_by_layer.items())
        return (f"contract: {self.checks} checks over {self.resources} resources and {len(self.calls)} API calls "
                f"({layers}): {len(self.violations)} violation{'s' if len(self.violations) != 1 else ''}")


def translate_all(resources: Iterable[Resource]) -> tuple[list[ApiCall], list[str]]:
    """Every AWS resource's API calls, and the AWS types that have no translation (not checked at layer 2)."""
    calls: list[ApiCall] = []
    untranslated: set[str] = set()
    for r in resources:
        if not r.custom or not r.type.startswith(AWS_PREFIX):
            continue
        translated = translate(r)
        if translated is None:
            untranslated.add(r.type)
        else:
            calls.extend(translated)
    return calls, sorted(untranslated)


def check_contract(resources: Iterable[Resource]) -> ContractReport:
    """Run the four layers over a run's registrations (component resources are skipped)."""
    started = time.perf_counter()
    custom = [r for r in resources if r.custom]
    calls, untranslated = translate_all(custom)
    layers = [check_schema(custom), check_calls(calls), check_rules(calls, custom), check_names(calls, custom)]
    return ContractReport(
        resources=len(custom),
        checks_by_layer={layer.layer: layer.checks for layer in layers},
        violations=[v for layer in layers for v in layer.violations],
        calls=calls,
        untranslated_types=untranslated,
        seconds=time.perf_counter() - started,
    )
