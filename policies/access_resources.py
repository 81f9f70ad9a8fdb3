"""A resource as the access model reads it, from a mock run's registration or from what the pack is given.

Values the engine cannot know yet (a new stack's first preview) become UNKNOWN instead of raising,
and each property keeps the resources its value came from (property dependencies), so a link
whose value is unknown can still be made. Also: the account, partition and region of the stack,
read from the ARNs its resources carry. Pure: no pulumi.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.iam_conditions import UNKNOWN

# The engine's markers for values not known during a preview (pulumi rpc and pulumi_policy.proxy).
UNKNOWN_SENTINELS = frozenset({
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})
ARN_PREFIX = re.compile(r"arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}):")


def plain(value: Any) -> Any:
    """Properties as plain dicts and lists, with UNKNOWN for unknown values.

    pulumi_policy hands a rule proxies that raise on an unknown value; their `__target` item is
    the wrapped container, read here without triggering the check."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        try:
            target = value["__target"]
        except (KeyError, TypeError):
            target = value
        return {str(k): plain(v) for k, v in dict(target).items()}
    if isinstance(value, Sequence):
        try:
            target = value["__target"]  # type: ignore[index]
        except (KeyError, TypeError, IndexError):
            target = value
        return [plain(v) for v in list(target)]
    return value


@dataclass(frozen=True)
class AccessResource:
    """One resource: identity, plain properties, and the URNs each property's value depends on."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dependencies: tuple[str, ...] = ()

    def get(self, key: str) -> Any:
        """A property: its value, None when unset, UNKNOWN when not known yet."""
        return self.props.get(key)

    def deps(self, key: str) -> tuple[str, ...]:
        return tuple(self.property_dependencies.get(key, ()))

    def text(self, key: str) -> str | None:
        """A property that is a known string, else None."""
        value = self.props.get(key)
        return value if isinstance(value, str) else None

    def document(self, key: str) -> Any:
        """A JSON-string (or object) property parsed: a dict, UNKNOWN, or None when unset or not JSON."""
        value = self.props.get(key)
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, Mapping):
            return value
        if isinstance(value, str) and value.strip():
            try:
                parsed = json.loads(value)
            except ValueError:
                return None
            return _unknowns_inside(parsed)
        return None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.type.split(':')[1]})"


def _unknowns_inside(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, dict):
        return {k: _unknowns_inside(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns_inside(v) for v in value]
    return value


def from_parts(urn: str, type_: str, name: str, props: Mapping[str, Any],
               property_dependencies: Mapping[str, Iterable[str]] | None = None,
               dependencies: Iterable[str] = ()) -> AccessResource:
    return AccessResource(urn=urn, type=type_, name=name, props=plain(dict(props)),
                          property_dependencies={k: tuple(v) for k, v in (property_dependencies or {}).items()},
                          dependencies=tuple(dependencies))


@dataclass(frozen=True)
class StackEnvironment:
    """The account, partition and region the stack's resources live in."""

    account: str
    partition: str
    region: str

    def arn(self, service: str, resource: str, region: str | None = None, regional: bool = True) -> str:
        where = (region or self.region) if regional else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account}:{resource}"

    @property
    def root(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def stack_environment(resources: Iterable[AccessResource], region_hint: str | None = None) -> StackEnvironment | None:
    """The most common account and partition in the stack's ARNs; the region from the hint, else the ARNs.

    None when no AWS ARN appears (a Cloudflare-only stack has no AWS principals)."""
    accounts: Counter[str] = Counter()
    partitions: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for resource in resources:
        if not resource.type.startswith("aws:"):
            continue
        for text in _strings(resource.props):
            for partition, service, region, account in ARN_PREFIX.findall(text):
                if account == "000000000000":
                    continue
                accounts[account] += 1
                partitions[partition] += 1
                if region:
                    regions[region] += 1
    if not accounts:
        return None
    region = region_hint or (regions.most_common(1)[0][0] if regions else "")
    return StackEnvironment(accounts.most_common(1)[0][0], partitions.most_common(1)[0][0], region)
