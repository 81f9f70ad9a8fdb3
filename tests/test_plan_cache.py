"""The Redis cache: a node type set in overrides is planned and judged, never a crash."""

from __future__ import annotations

import json

import yaml
from conftest import REDIS_WORKLOAD
from typer.testing import CliRunner

from capacity.plan import num
from qcap.cli import app
from tests.factories import plan_one, profile_data
from tests.item_profiles import plan_of, profile_path


def test_cache_node_type_override_is_used_and_explained():
    (w,) = plan_of("cache_node_override").workloads
    assert w.cache.node_type == "cache.m7g.large"
    assert w.reasons["cache_node_type"].startswith(
        "cache.m7g.large set in overrides (the planner would choose cache.t4g.micro: ")
    assert w.feasible


def test_text_values_read_as_they_are():
    assert num("cache.t4g.micro") == "cache.t4g.micro"


def test_qcap_plan_on_a_cache_node_override_prints_a_plan_and_exits_zero():
    result = CliRunner().invoke(app, ["plan", str(profile_path("cache_node_override")), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workloads"][0]["cache_node_type"] == "cache.m7g.large"


def test_a_cache_node_too_small_for_the_backlog_is_an_error_with_the_planners_node_as_patch(tmp_path):
    data = profile_data(REDIS_WORKLOAD, traffic__backlog_messages=3_000_000,
                        overrides={"cache_node_type": "cache.t4g.micro"})
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["plan", str(path), "--json"])
    assert result.exit_code == 1, result.output
    (w,) = json.loads(result.stdout)["workloads"]
    (error,) = [f for f in w["findings"] if f["limit"] == "Redis memory"]
    assert error["patch"] == {"workloads[0].overrides.cache_node_type": "cache.t4g.small"}


def test_a_backlog_no_node_holds_is_one_error_whose_patch_partitions_the_queue():
    w = plan_one(REDIS_WORKLOAD, traffic__backlog_messages=100_000_000, objective__drain_backlog_within_hours=336)
    (error,) = w.errors
    # 100,000,000 x (200 + 100) B / 0.75 = 40 GB; cache.r7g.large holds 13.07 GiB: ceil(2.85) + 1 = 4 queues.
    assert error.fix == "shard the queue across 4 replication groups (partitions) or keep items smaller"
    assert error.patch == {"workloads[0].partitions": 4}
