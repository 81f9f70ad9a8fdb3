"""From component inputs to a plan, validated as `qcap plan` validates a stack file.

A profile comes as typed fields (`profile`) or as a file's text (`profileYaml`); either way it
goes through capacity.profile, so every problem is reported at once, worded as `qcap plan`
words it. A problem fails Construct as an InputPropertiesError: the message carries the same
lines `qcap plan` prints, each property error the input's path in the schema's names.
"""

from typing import Any, Callable, Iterable, Optional, TypeVar

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.output import Unknown
from pulumi.provider.experimental.util import camel_case

from capacity import contract
from capacity.plan import Plan, WorkloadPlan, plan
from capacity.profile import Profile, ProfileError, parse_profile, parse_profile_yaml
from components.workload import StackSettings, infeasible_message

PROFILE = "profile"
PROFILE_YAML = "profileYaml"
T = TypeVar("T")


def rejected(message: str, problems: Iterable[tuple[str, str]] = ()) -> InputPropertiesError:
    """An input error: `message` for the user, (property path, reason) pairs for the engine."""
    return InputPropertiesError(message, [{"property_path": path, "reason": reason} for path, reason in problems])


def schema_path(field_path: str, prefix: str = PROFILE) -> str:
    """A profile field path (`workloads[0].traffic.message_bytes`) in the schema's names, under `prefix`."""
    if field_path in ("", "(top level)"):
        return prefix
    parts = []
    for part in field_path.split("."):
        head, bracket, rest = part.partition("[")
        parts.append(camel_case(head) + bracket + rest)
    return f"{prefix}.{'.'.join(parts)}"


def profile_rejected(where: str, exc: ProfileError) -> InputPropertiesError:
    """A ProfileError as an input error: the lines `qcap plan` prints, each problem at its input path."""
    problems = []
    for problem in exc.problems:
        field, _, reason = problem.partition(": ")
        path = PROFILE_YAML if exc.path == PROFILE_YAML else schema_path(field)
        problems.append((path, reason if exc.path == PROFILE else problem))
    return rejected(f"{where}: the capacity profile cannot be used:\n{exc}", problems)


def _unresolved(value: Any, path: str) -> list[str]:
    """Paths of values not known yet (another resource's outputs): a plan needs every number now."""
    if isinstance(value, (pulumi.Output, Unknown)):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unresolved(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unresolved(v, f"{path}[{i}]")]
    return []


def load_profile_input(where: str, args: dict[str, Any]) -> Profile:
    """The Profile of `args["profile"]` or `args["profile_yaml"]` (exactly one), validated."""
    given = [key for key in ("profile", "profile_yaml") if key in args]
    if len(given) != 1:
        problem = "both are given" if given else "neither is given"
        raise rejected(f"{where}: give the capacity profile as `{PROFILE}` (its fields) or `{PROFILE_YAML}` "
                       f"(a profile file's text), one of them; {problem}", [(PROFILE, problem)])
    key = given[0]
    name = PROFILE if key == "profile" else PROFILE_YAML
    unresolved = _unresolved(args[key], name)
    if unresolved:
        raise rejected(f"{where}: the capacity profile must be known when the plan is made: give plain values, "
                       f"not other resources' outputs ({', '.join(unresolved)})",
                       [(path, "not known before the plan is made") for path in unresolved])
    try:
        if key == "profile_yaml":
            if not isinstance(args[key], str):
                raise ProfileError(PROFILE_YAML, [f"(top level): expected the profile's YAML text, got "
                                                  f"{type(args[key]).__name__}"])
            return parse_profile_yaml(args[key], PROFILE_YAML)
        return parse_profile(args[key], PROFILE)
    except ProfileError as exc:
        raise profile_rejected(where, exc) from None


def feasible_plan(where: str, profile: Profile, stack: str) -> Plan:
    """The profile's plan; an infeasible one is refused with the planner's message, as `pulumi up` refuses it."""
    stack_plan = plan(profile)
    if not stack_plan.feasible:
        problems = [(PROFILE, f"{w.name}: binding limit: {w.binding_limit}") for w in stack_plan.workloads
                    if not w.feasible]
        raise rejected(f"{where}: {infeasible_message(stack_plan, stack)}", problems)
    return stack_plan


def queue_plan(where: str, stack_plan: Plan, queue: Optional[str]) -> WorkloadPlan:
    """The plan of one queue: the named one, or the only one (partitions and priorities plan several)."""
    names = [w.name for w in stack_plan.workloads]
    if queue is None:
        if len(names) == 1:
            return stack_plan.workloads[0]
        raise rejected(f"{where}: the plan has {len(names)} queues ({', '.join(names)}); name one with `queue`",
                       [("queue", f"one of {', '.join(names)}")])
    if queue not in names:
        raise rejected(f"{where}: queue {queue!r} is not in the plan; allowed: {', '.join(names)}",
                       [("queue", f"{queue!r} is not allowed; allowed: {', '.join(names)}")])
    return stack_plan.workload(queue)


def require(where: str, args: dict[str, Any], key: str, why: str) -> Any:
    """An input the plan needs: present and not empty, else an error naming the input and why it is needed."""
    value = args.get(key)
    if value in (None, "", [], ()):
        name = camel_case(key)
        raise rejected(f"{where}: input {name} is not set ({why})", [(name, f"required: {why}")])
    return value


def stack_name(args: dict[str, Any]) -> str:
    """The name in the resources' names (`qcap-<stack>-...`): the `stack` input, else the Pulumi stack's."""
    return str(args.get("stack") or pulumi.get_stack())


def region_of(args: dict[str, Any]) -> Optional[str]:
    """The `region` input, else the consumer stack's `aws:region` config (the AWS provider's region)."""
    return args.get("region") or pulumi.Config("aws").get("region")


def stack_settings(where: str, stack_plan: Plan, args: dict[str, Any]) -> StackSettings:
    """What the Python program reads from stack config, from the inputs; checked as it checks its config."""
    brokers = {w.broker for w in stack_plan.workloads}
    region = region_of(args)
    if brokers & set(contract.CONSUMER_BROKERS):
        require(where, {**args, "region": region}, "region", "the AWS region to deploy to; or set aws:region")
        require(where, args, "subnet_ids", "private subnets for the consumer tasks")
        require(where, args, "security_group_ids", "security groups of the consumer tasks")
    if contract.REDIS in brokers:
        require(where, args, "vpc_id", "the VPC of the Redis security group")
        require(where, args, "redis_auth_token", "the Redis AUTH token, 16-128 characters; pass it as a secret")
    if contract.Broker.cloudflare in brokers:
        require(where, args, "cloudflare_account_id", "the Cloudflare account that owns the queues")
    token = args.get("redis_auth_token")
    return StackSettings(
        stack=stack_name(args),
        region=region,
        subnet_ids=tuple(args.get("subnet_ids") or ()),
        security_group_ids=tuple(args.get("security_group_ids") or ()),
        vpc_id=args.get("vpc_id"),
        cluster_arn=args.get("cluster_arn"),
        redis_auth_token=None if token is None else pulumi.Output.secret(token),
        cloudflare_account_id=args.get("cloudflare_account_id"),
        alert_emails=stack_plan.alert_emails,
        kms_key_arn=args.get("kms_key_arn"),
    )


def block_plan(where: str, args: dict[str, Any]) -> tuple[WorkloadPlan, str, Plan]:
    """A building block's queue plan, stack name and whole plan: its profile validated and planned."""
    profile = load_profile_input(where, args)
    stack = stack_name(args)
    stack_plan = feasible_plan(where, profile, stack)
    return queue_plan(where, stack_plan, args.get("queue")), stack, stack_plan


def component_args(where: str, make: Callable[[], T]) -> T:
    """A component's Args, whose own checks (ValueError) become input errors with their message."""
    try:
        return make()
    except ValueError as exc:
        raise rejected(f"{where}: {exc}") from None
