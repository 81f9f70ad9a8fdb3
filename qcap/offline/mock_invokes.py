"""Data sources answered offline as the AWS provider answers them, with the outputs its schema declares.

The stack's own account, region and partition for caller identity, region and partition; three
zones of the region for availability zones; the policy JSON computed from its statements for
get_policy_document (qcap.offline.mock_policy_document). Any other data source returns every
output its result type declares: the arguments echoed, and for `get<Type>` the id, name and ARN
the resource type `<Type>` of the same module would have (qcap.offline.mock_resource_outputs),
the rest with plausible values of the declared type.
"""

from __future__ import annotations

import collections.abc
import typing
from typing import Any, Callable

from qcap.offline import provider_sdk
from qcap.offline.mock_policy_document import policy_document
from qcap.offline.mock_resource_outputs import placeholder, short_hash
from qcap.offline.mock_resource_outputs import computed as resource_outputs

POLICY_DOCUMENT = "aws:iam/getPolicyDocument:getPolicyDocument"
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
REGION = "aws:index/getRegion:getRegion"
PARTITION = "aws:index/getPartition:getPartition"
AVAILABILITY_ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"
AVAILABILITY_ZONE_LETTERS = ("a", "b", "c")
# The AWS managed policies a program names by name; their ARNs sit in the "aws" account.
AWS_MANAGED_POLICY_PREFIXES = ("Amazon", "AWS", "Administrator", "PowerUser", "ReadOnly", "SecurityAudit",
                               "ViewOnly", "Billing", "IAMFullAccess", "IAMReadOnlyAccess")
# Short region codes for zone ids (use1-az1): the first letters of the region's parts.
DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne",
              "northwest": "nw", "southeast": "se", "southwest": "sw"}


def zone_id_prefix(region: str) -> str:
    """`us-east-1` -> `use1`, `ap-southeast-2` -> `apse2`: the prefix of the region's zone ids."""
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    return parts[0] + DIRECTIONS.get(parts[1], parts[1][:1]) + parts[2]


def availability_zones(region: str) -> dict[str, Any]:
    return {"id": region, "region": region, "names": [f"{region}{x}" for x in AVAILABILITY_ZONE_LETTERS],
            "zoneIds": [f"{zone_id_prefix(region)}-az{i + 1}" for i in range(len(AVAILABILITY_ZONE_LETTERS))],
            "groupNames": [region], "state": "available", "excludeNames": [], "excludeZoneIds": [], "filters": []}


def _resource_token(function_token: str) -> str | None:
    """`aws:sqs/getQueue:getQueue` -> `aws:sqs/queue:Queue` when that resource type exists."""
    provider, _, rest = function_token.partition(":")
    module_path, _, function = rest.partition(":")
    if not function.startswith("get") or len(function) <= 3:
        return None
    member = function[3:]
    token = f"{provider}:{module_path.split('/')[0]}/{member[:1].lower()}{member[1:]}:{member}"
    return token if provider_sdk.resource_class(token) else None


def _managed_policy(args: dict[str, Any], account: str) -> dict[str, Any]:
    name = str(args.get("name") or str(args.get("arn") or "policy").rsplit("/", 1)[-1])
    owner = "aws" if name.startswith(AWS_MANAGED_POLICY_PREFIXES) else account
    arn = args.get("arn") or f"arn:aws:iam::{owner}:policy{args.get('pathPrefix') or '/'}{name}"
    return {"name": name, "arn": arn, "id": arn, "path": args.get("pathPrefix") or "/"}


def _fits(value: Any, hint: Any) -> bool:
    """Whether a resource's output can stand for a data source's output of this declared type."""
    kind = typing.get_origin(hint) or hint
    if kind in (collections.abc.Sequence, list):
        return isinstance(value, list)
    if kind in (collections.abc.Mapping, dict) or provider_sdk.is_output_object(hint):
        return isinstance(value, dict)
    if hint is bool:
        return isinstance(value, bool)
    if hint in (int, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, hint) if isinstance(hint, type) else True


class InvokeAnswers:
    """Answers data source calls for one stack's region and account."""

    def __init__(self, region: str, account: str,
                 resources: Callable[[str, str, dict[str, Any]], tuple[str, dict[str, Any]]] | None = None):
        self.region = region
        self.account = account
        # (type, logical name, inputs) -> (id, outputs): the provider's answer for an existing resource.
        self.resources = resources or (lambda t, n, i: resource_outputs(t, n, i, self.region, self.account))

    def answer(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """Every output the data source declares, for these arguments."""
        region = str(args.get("region") or self.region)
        if token == POLICY_DOCUMENT:
            return policy_document(args)
        if token == CALLER_IDENTITY:
            return {"accountId": self.account, "arn": f"arn:aws:iam::{self.account}:user/mock",
                    "id": self.account, "userId": "AIDAMOCK"}
        if token == REGION:
            return {"name": region, "region": region, "id": region, "description": region,
                    "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == PARTITION:
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}
        if token == AVAILABILITY_ZONES:
            return availability_zones(region)
        return self._declared(token, args, region)

    def _declared(self, token: str, args: dict[str, Any], region: str) -> dict[str, Any]:
        declared = provider_sdk.invoke_result_types(token)
        out: dict[str, Any] = {k: v for k, v in args.items() if v is not None}
        known: dict[str, Any] = {}
        if token == "aws:iam/getPolicy:getPolicy":
            known = _managed_policy(args, self.account)
        elif (resource := _resource_token(token)) is not None:
            logical = str(args.get("name") or args.get("arn") or token.rpartition(":")[2])
            rid, known = self.resources(resource, logical, dict(args))
            known.setdefault("id", rid)
        name = str(known.get("name") or args.get("name") or short_hash(token, 8))
        context = {"name": name, "arn": known.get("arn") or f"arn:aws:{token.split(':')[1].split('/')[0]}:{region}:"
                   f"{self.account}:{name}", "region": region, "account": self.account,
                   "service": token.split(":")[1].split("/")[0], "tags": args.get("tags")}
        for key, hint in declared.items():
            if key in out:
                continue
            if key in known and _fits(known[key], hint):
                out[key] = known[key]
                continue
            if key == "id":
                out[key] = name
                continue
            value = placeholder(key, hint, context)
            if value is not None:
                out[key] = value
        return out
