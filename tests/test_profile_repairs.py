"""Clear repairs of a profile that does not validate: misspelt keys and impossible Fargate pairs."""

from __future__ import annotations

import copy

from capacity.fargate import nearest_fargate_size
from capacity.profile import parse_profile
from capacity.profile_repairs import apply_repairs, profile_repairs
from tests.factories import SQS_WORKLOAD

BASE = {"environment": "dev", "workloads": [copy.deepcopy(SQS_WORKLOAD)]}


def test_the_nearest_fargate_pair_keeps_the_cpu_and_moves_the_memory_least():
    assert nearest_fargate_size(1024, 512) == (1024, 2048)
    assert nearest_fargate_size(256, 4096) == (256, 2048)
    assert nearest_fargate_size(300, 512) == (256, 512)


def test_a_misspelt_key_and_a_bad_pair_are_repaired_at_once_and_the_result_validates():
    data = copy.deepcopy(BASE)
    consumer = data["workloads"][0]["consumer"]
    consumer["concurency_per_task"] = consumer.pop("concurrency_per_task")
    consumer.update(task_cpu=1024, task_memory_mib=512)
    repairs = profile_repairs(data)
    assert [(r.kind, r.path, r.value) for r in repairs] == [
        ("rename", "workloads[0].consumer.concurency_per_task", "concurrency_per_task"),
        ("set", "workloads[0].consumer.task_memory_mib", 2048),
    ]
    fixed = parse_profile(apply_repairs(data, repairs))
    assert fixed.workloads[0].consumer.concurrency_per_task == 2
    renamed = apply_repairs(data, repairs)["workloads"][0]["consumer"]
    assert list(renamed).index("concurrency_per_task") == list(consumer).index("concurency_per_task")


def test_a_valid_profile_needs_no_repair_and_an_unknown_key_with_no_close_match_gets_none():
    assert profile_repairs(BASE) == []
    data = copy.deepcopy(BASE)
    data["workloads"][0]["consumer"]["zzzz"] = 1
    assert profile_repairs(data) == []
