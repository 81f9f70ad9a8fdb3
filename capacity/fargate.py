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


def nearest_fargate_size(task_cpu: int, task_memory_mib: int) -> tuple[int, int]:
    """The valid Fargate pair closest to the one given (fewest doublings away in CPU and memory; the given
    CPU kept on a tie), the patch for an impossible pair such as 1024 CPU with 512 MiB."""
    import math

    def distance(pair: tuple[int, int]) -> tuple[float, int]:
        cpu, memory = pair
        return (abs(math.log2(cpu / max(task_cpu, 1))) + abs(math.log2(memory / max(task_memory_mib, 1))),
                0 if cpu == task_cpu else 1)

    pairs = [(cpu, memory) for cpu, memories in limits.FARGATE_MEMORY_MIB_BY_CPU.items() for memory in memories]
    return min(pairs, key=distance)
