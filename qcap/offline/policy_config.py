"""Policy config, as `pulumi preview --policy-pack-config` takes it: read, validated against the pack, resolved.

A policy's level and properties come from the pack (GetAnalyzerInfo); a config file overlays
them per policy (or for "all"); anything the pack does not declare is a PolicyConfigError that
names the file, the policy and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
ALL_POLICIES_KEY = "all"
_JSON_TYPES = {"number": (int, float), "integer": (int,), "boolean": (bool,), "string": (str,),
               "array": (list,), "object": (dict,)}


class PolicyConfigError(Exception):
    """A policy-config file that cannot be used: names the file, the policy and the field."""


@dataclass(frozen=True)
class PolicyInfo:
    """A policy as the pack describes itself in GetAnalyzerInfo."""

    name: str
    description: str
    level: str
    remediation: str
    config_schema: Mapping[str, Any]
    stack: bool
    tags: tuple[str, ...]

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_schema.items() if isinstance(v, Mapping) and "default" in v}


def read_policy_config(path: Path | str) -> dict[str, Any]:
    """Read a policy-config JSON file shaped like the CLI's --policy-pack-config (validated later against the pack)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise PolicyConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise PolicyConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object keyed by policy name, got {type(data).__name__}")
    return data


def _check_property(where: str, key: str, value: Any, schema: Mapping[str, Any]) -> None:
    kind = schema.get("type")
    allowed = _JSON_TYPES.get(str(kind))
    if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and kind != "boolean")):
        raise PolicyConfigError(f"{where}: {key} must be a {kind}, got {value!r}")
    minimum = schema.get("minimum")
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        raise PolicyConfigError(f"{where}: {key} is {value!r}; allowed: >= {minimum}")


def resolve_policy_config(
    policies: Sequence[PolicyInfo], given: Mapping[str, Any] | None, source: str = "policy config"
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each policy's (level, properties): its own level and schema defaults, overlaid with `given`.

    `given` maps a policy name (or "all") to a level string or to an object with an optional
    `enforcementLevel` and the policy's properties; anything else is a PolicyConfigError.
    """
    by_name = {p.name: p for p in policies}
    given = dict(given or {})
    unknown = sorted(k for k in given if k not in by_name and k != ALL_POLICIES_KEY)
    if unknown:
        raise PolicyConfigError(f"{source}: unknown polic{'ies' if len(unknown) > 1 else 'y'} "
                                f"{', '.join(unknown)}; known: {', '.join(sorted(by_name))}")
    everyone = given.pop(ALL_POLICIES_KEY, None)
    if everyone is not None and everyone not in LEVELS:
        raise PolicyConfigError(f"{source}: all: {everyone!r} is not allowed; allowed: {', '.join(LEVELS)}")
    resolved = {}
    for name, policy in by_name.items():
        level = everyone or policy.level
        properties = policy.defaults()
        entry = given.get(name)
        where = f"{source}: {name}"
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        if entry is not None and not isinstance(entry, Mapping):
            raise PolicyConfigError(f"{where}: expected a level ({', '.join(LEVELS)}) or an object, got {entry!r}")
        for key, value in (entry or {}).items():
            if key == "enforcementLevel":
                if value not in LEVELS:
                    raise PolicyConfigError(f"{where}: enforcementLevel {value!r} is not allowed; allowed: "
                                            f"{', '.join(LEVELS)}")
                level = value
                continue
            schema = policy.config_schema.get(key)
            if schema is None:
                known = ", ".join(sorted(policy.config_schema)) or "none (only enforcementLevel)"
                raise PolicyConfigError(f"{where}: unknown property {key!r}; allowed: {known}")
            _check_property(where, key, value, schema)
            properties[key] = value
        resolved[name] = (level, properties)
    return resolved
