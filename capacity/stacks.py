"""A stack as every command sees it: its profile file, the validated profile and its plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from capacity.plan import Plan, plan
from capacity.profile import Profile, load_profile, resolve_stack


@dataclass(frozen=True)
class LoadedStack:
    """A stack's profile file, the validated profile and its plan."""

    name: str
    path: Path
    profile: Profile
    plan: Plan


def load_stack(stack: str) -> LoadedStack:
    """Load and plan STACK (a name under stacks/ or a path); raises ProfileError naming file and fields."""
    path = resolve_stack(stack)
    profile = load_profile(path)
    return LoadedStack(name=path.stem, path=path, profile=profile, plan=plan(profile))
