"""Turn the pure rules into pulumi_policy policies, and wrap properties exactly as the pack server does.

`build_policies()` is what `policies/__main__.py` hands to `PolicyPack`; `wrap_props()` lets a
unit test feed a rule the same proxies the Analyzer server builds from the wire.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from policies import (
    rules_access,
    rules_alarms,
    rules_autoscaling,
    rules_capacity,
    rules_iam,
    rules_scaling,
    rules_security,
    rules_services,
    rules_signals,
    rules_stack,
    rules_types,
)
from policies.rules_base import MANDATORY, ResourceView, Rule, environment_of_stack

PACK_NAME = "qcap"
PACK_DESCRIPTION = "qcap: capacity rules (DLQ, retention, visibility, scaling, budgets) and queue security rules."
FAMILIES: tuple[tuple[str, tuple[Rule, ...]], ...] = (
    ("capacity", rules_capacity.RULES + rules_autoscaling.RULES),
    ("scaling", rules_scaling.RULES + rules_signals.RULES),
    ("alarms", rules_alarms.RULES),
    ("security", rules_security.RULES),
    ("iam", rules_iam.RULES),
    ("services", rules_services.RULES + rules_types.RULES),
    ("stack", rules_stack.RULES),
    ("access", rules_access.RULES),
)


def all_rules() -> tuple[Rule, ...]:
    """Every rule of the pack, in a stable order; ids are unique."""
    rules = tuple(rule for _, family in FAMILIES for rule in family)
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"rule ids must be unique; repeated: {', '.join(duplicates)}")
    return rules


def family_of(rule: Rule) -> str:
    return next(name for name, rules in FAMILIES if rule in rules)


def default_config() -> dict[str, dict[str, Any]]:
    """Each configurable rule's schema defaults, keyed by rule id (the shape of the CLI's --policy-config)."""
    return {r.id: r.defaults() for r in all_rules() if r.config_schema}


def wrap_props(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Properties as a validation sees them: through a protobuf Struct, deserialized, unknown-checked."""
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def _level(rule: Rule) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if rule.level == MANDATORY else EnforcementLevel.ADVISORY


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()}) if rule.config_schema else None


@functools.cache
def stack_environment() -> str | None:
    """The environment of the stack under analysis, from what the engine gives the pack.

    `qcap:environment` in the stack config (PULUMI_CONFIG) when set, else `prod` when the
    stack's name (PULUMI_STACK) says prod; None when neither says.
    """
    try:
        config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        config = {}
    configured = config.get("qcap:environment") if isinstance(config, dict) else None
    return environment_of_stack(os.environ.get("PULUMI_STACK"), configured)


def _view(resource_type: str, name: str, urn: str, props: Mapping[str, Any], opts: Any,
          dependencies: Sequence[str] = (), property_dependencies: Mapping[str, Sequence[str]] | None = None
          ) -> ResourceView:
    return ResourceView(
        type=resource_type,
        name=name,
        props=props,
        urn=urn,
        protect=bool(opts.protect),
        ignore_changes=tuple(opts.ignore_changes or ()),
        parent=opts.parent or None,
        dependencies=tuple(dependencies),
        stack_environment=stack_environment(),
        property_dependencies={k: tuple(v) for k, v in (property_dependencies or {}).items()},
    )


def _resource_validation(rule: Rule):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        view = _view(args.resource_type, args.name, args.urn, args.props, args.opts)
        for violation in rule.run(view, args.get_config()):
            report_violation(violation.message, None)

    return validate


def _stack_validation(rule: Rule):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        views = [_view(r.resource_type, r.name, r.urn, r.props, r.opts, [d.urn for d in r.dependencies],
                       {k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()})
                 for r in args.resources]
        for violation in rule.run_stack(views, args.get_config()):
            report_violation(violation.message, violation.urn or None)

    return validate


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    """One pulumi_policy policy for one rule, carrying its level, remediation, schema and family tag."""
    common = dict(
        name=rule.id,
        description=rule.description,
        enforcement_level=_level(rule),
        config_schema=_schema(rule),
        severity=Severity.HIGH if rule.level == MANDATORY else Severity.LOW,
        tags=[family_of(rule)],
        remediation_steps=rule.remediation,
    )
    if rule.stack:
        return StackValidationPolicy(validate=_stack_validation(rule), **common)
    return ResourceValidationPolicy(validate=_resource_validation(rule), **common)


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [to_policy(rule) for rule in all_rules()]
