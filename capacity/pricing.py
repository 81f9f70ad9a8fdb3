"""Prices of what a fleet runs, from the constants in capacity/limits.py, shared by the planner and the simulator."""

from __future__ import annotations

import math

from capacity import limits

MIB_PER_GB = 1024


def task_usd_per_hour(cpu_units: int, memory_mib: int, architecture: str) -> float:
    """On-demand price of one Fargate task-hour (us-east-1): vCPU-hours plus GB-hours."""
    vcpu = cpu_units / limits.FARGATE_CPU_UNITS_PER_VCPU
    gb = memory_mib / MIB_PER_GB
    if architecture == "arm64":
        return vcpu * limits.FARGATE_ARM_USD_PER_VCPU_HOUR + gb * limits.FARGATE_ARM_USD_PER_GB_HOUR
    return vcpu * limits.FARGATE_X86_USD_PER_VCPU_HOUR + gb * limits.FARGATE_X86_USD_PER_GB_HOUR


def cloudflare_usd_per_message(message_bytes: int) -> float:
    """Cloudflare Queues operations for one message (write, read, delete per 64 KB), beyond the free tier."""
    chunks = math.ceil(message_bytes / limits.CLOUDFLARE_BILLING_CHUNK_BYTES)
    operations = limits.CLOUDFLARE_OPERATIONS_PER_MESSAGE * chunks
    return operations * limits.CLOUDFLARE_USD_PER_MILLION_OPERATIONS / 1e6
