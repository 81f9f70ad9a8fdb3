"""`aws.iam.get_policy_document` computed offline, as the provider writes it.

pulumi-aws runs Terraform's aws_iam_policy_document data source, whose rules this follows so a
rule reads the same JSON it would read after a real preview:
- the document: Version ("2012-10-17" unless given), Id from `policyId`, then Statement (left out
  when there is none);
- a statement: Sid (left out when empty), Effect ("Allow" unless given), Action, NotAction,
  Resource, NotResource, Principal, NotPrincipal, Condition, each left out when empty;
- a list of one string becomes that string; a longer list (actions, resources, identifiers) is
  a set, written once each in reverse sorted order; condition values keep their order;
- principals group identifiers by type, and a lone `{"type": "*", "identifiers": ["*"]}` is `"*"`;
- conditions group values by operator and key, one value collapsing to a string;
- `&{var}` becomes the policy variable `${var}`;
- sourcePolicyDocuments are merged first, then the statements, then overridePolicyDocuments,
  a statement with a Sid replacing an earlier one with the same Sid;
- `json` is indented by two spaces, `minifiedJson` has no whitespace; both escape <, > and & as
  Go's encoder does; map keys are sorted (Principal types, Condition operators and keys).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

DEFAULT_VERSION = "2012-10-17"
DEFAULT_EFFECT = "Allow"
STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                  "Condition")


def _vars(text: str) -> str:
    return text.replace("&{", "${")


def _string_set(values: list[Any] | None, *, replace_vars: bool = False) -> Any:
    """A Terraform string set as the provider writes it: one item as a string, more in reverse sorted order."""
    items = sorted({str(v) for v in values or []}, reverse=True)
    if replace_vars:
        items = [_vars(v) for v in items]
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def _principals(blocks: list[dict[str, Any]] | None) -> Any:
    """Principal blocks grouped by type (sorted), identifiers reverse sorted; {"*": ["*"]} alone is "*"."""
    if not blocks:
        return None
    if len(blocks) == 1 and blocks[0].get("type") == "*" and sorted(set(blocks[0].get("identifiers") or [])) == ["*"]:
        return "*"
    grouped: dict[str, Any] = {}
    for block in blocks:
        kind = str(block.get("type"))
        identifiers = _string_set(block.get("identifiers"), replace_vars=True)
        if identifiers is None:
            continue
        current = grouped.get(kind)
        if current is None:
            grouped[kind] = identifiers
            continue
        merged = [current] if isinstance(current, str) else list(current)
        merged.extend([identifiers] if isinstance(identifiers, str) else identifiers)
        grouped[kind] = merged
    return {k: grouped[k] for k in sorted(grouped)} or None


def _conditions(blocks: list[dict[str, Any]] | None) -> Any:
    """Condition blocks as {operator: {key: values}}, values in order, one value as a string."""
    if not blocks:
        return None
    grouped: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        values = [_vars(str(v)) for v in block.get("values") or []]
        grouped.setdefault(str(block.get("test")), {}).setdefault(str(block.get("variable")), []).extend(values)
    return {test: {key: (vals[0] if len(vals) == 1 else vals) for key, vals in sorted(keys.items())}
            for test, keys in sorted(grouped.items())}


def statement_from_args(block: dict[str, Any]) -> dict[str, Any]:
    """One `statements` entry of the data source's arguments as the JSON statement the provider writes."""
    statement: dict[str, Any] = {
        "Sid": block.get("sid") or None,
        "Effect": block.get("effect") or DEFAULT_EFFECT,
        "Action": _string_set(block.get("actions")),
        "NotAction": _string_set(block.get("notActions")),
        "Resource": _string_set(block.get("resources"), replace_vars=True),
        "NotResource": _string_set(block.get("notResources"), replace_vars=True),
        "Principal": _principals(block.get("principals")),
        "NotPrincipal": _principals(block.get("notPrincipals")),
        "Condition": _conditions(block.get("conditions")),
    }
    return {k: v for k, v in statement.items() if v is not None}


def _normalised(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement read from a given document, re-written as the provider's encoder writes it back."""
    out = {k: statement[k] for k in STATEMENT_KEYS if statement.get(k) not in (None, "", [], {})}
    for key in ("Principal", "NotPrincipal"):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = {kind: (sorted(ids, reverse=True) if isinstance(ids, list) else ids)
                        for kind, ids in sorted(value.items())}
        elif isinstance(value, str):
            out[key] = "*"
    if isinstance(out.get("Condition"), dict):
        out["Condition"] = {
            test: {k: (str(v).lower() if isinstance(v, bool) else (v[0] if isinstance(v, list) and len(v) == 1 else v))
                   for k, v in sorted(keys.items())}
            for test, keys in sorted(out["Condition"].items())}
    return out


def _merge(doc: dict[str, Any], other: dict[str, Any]) -> None:
    """Merge `other` into `doc`: its Id wins, a later Version wins, a statement with a known Sid replaces it."""
    if other.get("Id"):
        doc["Id"] = other["Id"]
    if str(other.get("Version") or "") > str(doc.get("Version") or ""):
        doc["Version"] = other["Version"]
    statements = doc.setdefault("Statement", [])
    for statement in other.get("Statement") or []:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(statements) if sid and s.get("Sid") == sid), None)
        if index is None:
            statements.append(statement)
        else:
            statements[index] = statement


def _parsed(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    statements = doc.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return {"Version": doc.get("Version"), "Id": doc.get("Id"), "Statement": [_normalised(s) for s in statements]}


def _go_json(value: Any, indent: int | None) -> str:
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """The data source's outputs (json, minifiedJson, id and the echoed arguments) for its wire arguments."""
    merged: dict[str, Any] = {}
    for source in args.get("sourcePolicyDocuments") or []:
        if source:
            _merge(merged, _parsed(source))
    own = {"Version": args.get("version") or DEFAULT_VERSION, "Id": args.get("policyId"),
           "Statement": [statement_from_args(s) for s in args.get("statements") or []]}
    _merge(merged, own)
    for override in args.get("overridePolicyDocuments") or []:
        if override:
            _merge(merged, _parsed(override))
    document = {"Version": merged.get("Version"), "Id": merged.get("Id"), "Statement": merged.get("Statement")}
    document = {k: v for k, v in document.items() if v}
    pretty = _go_json(document, indent=2)
    return {**args, "version": document.get("Version"), "json": pretty, "minifiedJson": _go_json(document, None),
            "id": str(int(hashlib.sha256(pretty.encode()).hexdigest()[:8], 16))}
