"""Policy config files: read with their errors placed, validated against what the pack declares, resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcap.offline.policy_config import PolicyConfigError, PolicyInfo, read_policy_config, resolve_policy_config

INFO = [PolicyInfo("sqs-visibility-covers-processing", "d", "mandatory", "r",
                   {"processingFactor": {"type": "number", "minimum": 1, "default": 2.0}}, False, ())]


def test_resolve_policy_config_rejects_an_unknown_policy_naming_the_known_ones():
    with pytest.raises(PolicyConfigError) as error:
        resolve_policy_config(INFO, {"no-such-rule": "advisory"}, source="cfg.json")
    assert str(error.value) == "cfg.json: unknown policy no-such-rule; known: sqs-visibility-covers-processing"


def test_resolve_policy_config_rejects_bad_levels_properties_and_values():
    with pytest.raises(PolicyConfigError, match=r"enforcementLevel 'loud' is not allowed; allowed: advisory"):
        resolve_policy_config(INFO, {"sqs-visibility-covers-processing": "loud"})
    with pytest.raises(PolicyConfigError, match=r"unknown property 'factor'; allowed: processingFactor"):
        resolve_policy_config(INFO, {"sqs-visibility-covers-processing": {"factor": 3}})
    with pytest.raises(PolicyConfigError, match=r"processingFactor must be a number, got 'x'"):
        resolve_policy_config(INFO, {"sqs-visibility-covers-processing": {"processingFactor": "x"}})
    with pytest.raises(PolicyConfigError, match=r"processingFactor is 0.5; allowed: >= 1"):
        resolve_policy_config(INFO, {"sqs-visibility-covers-processing": {"processingFactor": 0.5}})


def test_resolve_policy_config_merges_defaults_and_the_all_key():
    assert resolve_policy_config(INFO, None) == {"sqs-visibility-covers-processing": ("mandatory", {"processingFactor": 2.0})}
    assert resolve_policy_config(INFO, {"all": "advisory"}) == {
        "sqs-visibility-covers-processing": ("advisory", {"processingFactor": 2.0})}


def test_read_policy_config_reports_invalid_json_with_its_position(tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": ')
    with pytest.raises(PolicyConfigError, match=r"broken.json: line 1, column 7: not valid JSON"):
        read_policy_config(broken)
    with pytest.raises(PolicyConfigError, match=r"missing.json: file not found"):
        read_policy_config(tmp_path / "missing.json")
