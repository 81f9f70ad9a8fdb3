"""The hand-written profiles under tests/profiles/, one per planner case, loaded and planned."""

from __future__ import annotations

from pathlib import Path

from capacity.plan import Plan, plan
from capacity.profile import Profile, load_profile

PROFILES = Path(__file__).resolve().parent / "profiles"


def profile_path(name: str) -> Path:
    return PROFILES / f"{name}.yaml"


def load(name: str) -> Profile:
    return load_profile(profile_path(name))


def plan_of(name: str) -> Plan:
    return plan(load(name))
