"""Fargate task sizes: the CPU/memory pairs ECS accepts, one check shared by the profile and the component."""

from __future__ import annotations

from capacity import limits


def fargate_size_problem(task_cpu: int, task_memory_mib: int) -> str | None:
    """What is wrong with a Fargate CPU/memory pair (ECS RegisterTaskDefinition), or None."""
    allowed = limits.FARGATE_MEMORY_MIB_BY_CPU.get(task_cpu)
    if allowed is None:
        return (
            f"task_cpu {task_cpu!r} is not a Fargate size; allowed: "
            f"{', '.join(str(c) for c in limits.FARGATE_MEMORY_MIB_BY_CPU)}"
        )
    if task_memory_mib not in allowed:
        return (
            f"task_memory_mib {task_memory_mib!r} does not exist with task_cpu {task_cpu}; "
            f"allowed: {_describe_memory(allowed)}"
        )
    return None


def _describe_memory(allowed: tuple[int, ...]) -> str:
    if len(allowed) <= 4:
        return ", ".join(str(m) for m in allowed) + " MiB"
    step = allowed[1] - allowed[0]
    return f"{allowed[0]}-{allowed[-1]} MiB in steps of {step}"
