"""The Fargate size check names the bad value and what Fargate allows instead."""

from capacity.fargate import fargate_size_problem


def test_a_valid_cpu_memory_pair_has_no_problem():
    assert fargate_size_problem(256, 512) is None
    assert fargate_size_problem(1024, 8192) is None


def test_an_unknown_cpu_lists_every_fargate_cpu():
    assert fargate_size_problem(300, 512) == (
        "task_cpu 300 is not a Fargate size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384")


def test_memory_that_does_not_exist_with_the_cpu_lists_the_allowed_memory():
    assert fargate_size_problem(256, 4096) == (
        "task_memory_mib 4096 does not exist with task_cpu 256; allowed: 512, 1024, 2048 MiB")
    assert fargate_size_problem(1024, 1000) == (
        "task_memory_mib 1000 does not exist with task_cpu 1024; allowed: 2048-8192 MiB in steps of 1024")
