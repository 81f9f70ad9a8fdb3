"""A policy pack as its own process: one that crashes, one that never prints its port, a folder that is no pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcap.offline.analysis import AnalyzerResource
from qcap.offline.analyzer_client import analyze, run_analysis
from qcap.offline.policy_pack_process import PolicyPackError, PolicyPackProcess

pytestmark = pytest.mark.slow

# What the pack would be asked about had it started; none of these tests gets that far.
RESOURCES = [AnalyzerResource(urn="urn:pulumi:dev::qcap::aws:sqs/queue:Queue::orders-queue", type="aws:sqs/queue:Queue",
                              name="orders-queue", inputs={"name": "qcap-dev-orders"})]


def write_pack(directory: Path, main: str) -> Path:
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("name: broken\nruntime: python\n")
    (directory / "__main__.py").write_text(main)
    return directory


def test_a_pack_that_crashes_raises_with_its_stderr_and_is_stopped(tmp_path: Path):
    pack_dir = write_pack(tmp_path / "crashing", "raise RuntimeError('rule module failed to import')\n")
    pack = PolicyPackProcess(pack_dir, start_timeout_seconds=20)
    with pytest.raises(PolicyPackError) as error, pack:
        run_analysis(pack, RESOURCES)
    assert "did not start" in str(error.value)
    assert "rule module failed to import" in str(error.value)
    assert not pack.running


def test_a_pack_that_never_prints_its_port_times_out_and_is_killed(tmp_path: Path):
    pack_dir = write_pack(tmp_path / "silent", "import time\ntime.sleep(60)\n")
    pack = PolicyPackProcess(pack_dir, start_timeout_seconds=1)
    with pytest.raises(PolicyPackError, match=r"printed no port within 1 s"), pack:
        run_analysis(pack, RESOURCES)
    assert not pack.running


def test_a_directory_without_pulumi_policy_yaml_is_refused(tmp_path: Path):
    with pytest.raises(PolicyPackError, match=r"no PulumiPolicy.yaml, not a policy pack"):
        analyze(RESOURCES, pack_dir=tmp_path)
