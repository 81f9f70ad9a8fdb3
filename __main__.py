"""The Pulumi program: stacks/<stack>.yaml -> plan -> components -> outputs.

`pulumi up -s STACK` plans the stack's capacity profile, refuses an infeasible plan with the
planner's message (binding limit, shortfall, fix), then builds every workload. Stack config
`qcap:profile` may point at another profile file.
"""

from pathlib import Path

import pulumi

from capacity.plan import plan
from capacity.profile import ProfileError, load_profile
from components.workload import build_stack, infeasible_message, read_settings

stack = pulumi.get_stack()
profile_path = pulumi.Config("qcap").get("profile") or Path(__file__).resolve().parent / "stacks" / f"{stack}.yaml"
try:
    profile = load_profile(profile_path)
except ProfileError as exc:
    raise pulumi.RunError(f"stack {stack!r}: the capacity profile cannot be used:\n{exc}") from None

stack_plan = plan(profile)
if not stack_plan.feasible:
    raise pulumi.RunError(infeasible_message(stack_plan, stack))

for name, value in build_stack(stack_plan, read_settings(stack_plan, stack)).items():
    pulumi.export(name, value)
