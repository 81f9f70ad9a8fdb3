"""Plant a mistake in a shipped stack's recorded resources and see what the access check says.

A stack runs once under the mock engine; each test edits the resources it recorded (a policy
statement dropped, a Deny added, a valueFrom changed) and asks which calls are then denied, as
(principal ARN, action) pairs.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from capacity.stacks import load_stack
from policies.access_check import AccessReport, check_access
from policies.access_resources import AccessResource
from qcap.offline.access import access_resources
from qcap.offline.mock_engine import run_program
from qcap.offline.preview import program_config

ACCOUNT = "123456789012"


@functools.cache
def recorded(stack: str) -> tuple[AccessResource, ...]:
    loaded = load_stack(stack)
    overrides, _ = program_config(loaded)
    run = run_program(stack, overrides)
    assert run.ok, run.error
    return tuple(access_resources(run.registrations))


def named(resources, name: str) -> AccessResource:
    return next(r for r in resources if r.name == name)


def edit(resources, name: str, change: Callable[[dict[str, Any]], None]) -> list[AccessResource]:
    """The resources with `name`'s properties changed in place on a copy."""
    out = []
    for r in resources:
        if r.name == name:
            props = copy.deepcopy(dict(r.props))
            change(props)
            r = replace(r, props=props)
        out.append(r)
    return out


def edit_document(resources, name: str, key: str, change: Callable[[dict[str, Any]], None]) -> list[AccessResource]:
    """Change the JSON policy document in property `key` of resource `name`."""
    def apply(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        change(document)
        props[key] = json.dumps(document)
    return edit(resources, name, apply)


def drop_statement(sid: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        before = len(document["Statement"])
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
        assert len(document["Statement"]) == before - 1, f"no statement {sid}"
    return change


def add_statement(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["Statement"].append(statement)


def statement(sid: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        change(next(s for s in document["Statement"] if s.get("Sid") == sid))
    return apply


def without(resources, *names: str) -> list[AccessResource]:
    return [r for r in resources if r.name not in names]


def denied(resources) -> set[tuple[str, str]]:
    """(principal ARN or service, action) of every call that would be denied."""
    return {(f.call.principal.arn, f.call.action) for f in report(resources).violations}


def report(resources) -> AccessReport:
    return check_access(list(resources))


def role(stack: str, workload: str, purpose: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/qcap-{stack}-{workload}-{purpose}"
