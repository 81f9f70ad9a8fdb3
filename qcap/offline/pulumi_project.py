"""The Pulumi project on disk: its name, its program, and the config of each Pulumi.<stack>.yaml.

Also the stand-in for the secrets the Pulumi CLI would decrypt, which the offline engine cannot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROGRAM_PATH = PROJECT_DIR / "__main__.py"
# Secrets the Pulumi CLI would decrypt from Pulumi.<stack>.yaml. Offline there is nothing to
# decrypt with, so a missing or encrypted one gets this stand-in (never deployed anywhere).
OFFLINE_SECRET_KEYS = ("qcap:redisAuthToken", "cloudflare:apiToken")
OFFLINE_SECRET_VALUE = "offline-mock-secret-0123456789abcdef"


def project_name() -> str:
    data = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    return str(data["name"])


def stack_config(stack: str) -> tuple[dict[str, Any], list[str]]:
    """The plain config of Pulumi.<stack>.yaml and the keys that are secure (encrypted) there."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return {}, []
    data = yaml.safe_load(path.read_text()) or {}
    values: dict[str, Any] = {}
    secure: list[str] = []
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.append(key)
        else:
            values[key] = value
    return values, secure


def config_string(value: Any) -> str:
    """Config as the engine hands it to a program: strings as-is, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)
