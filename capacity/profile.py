"""Typed capacity profiles (`stacks/<stack>.yaml`) and loading them with readable errors.

A profile says what a workload receives and what it may tolerate; the planner derives
everything else. Models are frozen and reject unknown keys so a typo is an error, not a
silently ignored setting; every problem of a file is reported at once (capacity/profile_base.py).
The sections of a workload live in capacity/profile_sections.py and are re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Iterator

import yaml
from pydantic import Field, ValidationError

from capacity import limits, strict_yaml
from capacity.contract import SQS_BROKERS, Broker, Environment
from capacity.profile_base import Count, Section
from capacity.profile_errors import describe_error
from capacity.profile_sections import (
    Autoscaling,
    Cache,
    Consumer,
    ConsumerMode,
    DailyShape,
    Objective,
    Overrides,
    Priority,
    Retries,
    Sink,
    Traffic,
)

__all__ = [
    "Alerts", "Autoscaling", "Broker", "Cache", "Consumer", "ConsumerMode", "DailyShape", "Environment", "Objective", "Overrides",
    "Priority", "Profile", "ProfileError", "Retries", "SQS_BROKERS", "STACKS_DIR", "Sink", "Traffic", "Workload",
    "load_profile", "parse_profile", "parse_profile_yaml", "resolve_stack", "stack_names",
]

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"


MAX_MESSAGE_BYTES_BY_BROKER = {
    Broker.sqs: limits.SQS_MAX_MESSAGE_BYTES,
    Broker.sqs_fifo: limits.SQS_MAX_MESSAGE_BYTES,
    Broker.cloudflare: limits.CLOUDFLARE_MAX_MESSAGE_BYTES,
    # Redis strings can hold 512 MB; we cap queue items at SQS's size to stay sane.
    Broker.redis: limits.SQS_MAX_MESSAGE_BYTES,
}


class Workload(Section):
    name: str = Field(pattern=NAME_PATTERN)
    """Workload name: lowercase letters, digits and hyphens, starting with a letter, up to 40."""
    broker: Broker
    """sqs, sqs-fifo, cloudflare or redis."""
    traffic: Traffic
    """What arrives: rates, peak, trough, message size, backlog."""
    consumer: Consumer
    """Who processes it: per-message time, concurrency, task size, mode."""
    objective: Objective
    """What it must achieve: the age of the oldest message, the backlog drain time."""
    sink: Sink | None = None
    """The downstream system's limits (rate, bandwidth, request size, connections), if any."""
    retries: Retries = Retries()
    """The retry budget before the dead-letter queue."""
    cache: Cache | None = None
    """Redis connection and memory settings; only for `broker: redis`."""
    partitions: Count = Field(default=1, ge=1, le=100)
    """Queues sharing the traffic by a hash of a key (each with its own consumers). Default: 1."""
    priorities: tuple[Priority, ...] = ()
    """Named levels, each a queue with its own share of traffic and objective."""
    autoscaling: Autoscaling = Autoscaling()
    """Predictive scaling on top of target tracking (service fleets on ECS)."""
    overrides: Overrides = Overrides()
    """Derived values set by hand (min/max workers, target, cooldowns, retention); applied to every lane."""

    def check_message_fits_broker(self) -> Iterator[str]:
        allowed = MAX_MESSAGE_BYTES_BY_BROKER[self.broker]
        if self.traffic.message_bytes > allowed:
            yield (
                f"traffic.message_bytes ({self.traffic.message_bytes}) is larger than {self.broker.value} "
                f"allows ({allowed} bytes)"
            )

    def check_receive_batch(self) -> Iterator[str]:
        if self.broker in (Broker.sqs, Broker.sqs_fifo) and self.consumer.receive_batch > limits.SQS_MAX_RECEIVE_BATCH:
            yield (
                f"consumer.receive_batch ({self.consumer.receive_batch}) is over SQS's {limits.SQS_MAX_RECEIVE_BATCH} "
                "messages per receive; allowed: 1-10"
            )

    def check_push_consumer(self) -> Iterator[str]:
        if self.broker is Broker.cloudflare and self.consumer.mode is ConsumerMode.scheduled:
            yield "broker cloudflare runs push consumers (Workers); consumer.mode must be service"

    def check_consumer_code(self) -> Iterator[str]:
        if self.broker is Broker.cloudflare:
            if not self.consumer.script_name:
                yield "broker cloudflare needs consumer.script_name (the consumer Worker script)"
        elif not self.consumer.image:
            yield f"broker {self.broker.value} needs consumer.image (the consumer container image)"

    def check_cloudflare_partitions(self) -> Iterator[str]:
        if self.broker is Broker.cloudflare and self.partitions > 1:
            yield "broker cloudflare shards automatically; leave partitions at 1 (use overrides.shards)"

    def check_cache_broker(self) -> Iterator[str]:
        if self.cache is not None and self.broker is not Broker.redis:
            yield "cache only applies to broker redis"

    def check_priorities_or_partitions(self) -> Iterator[str]:
        if self.priorities and self.partitions > 1:
            yield "use partitions or priorities, not both"

    def check_priority_shares(self) -> Iterator[str]:
        total = sum(p.share for p in self.priorities)
        if self.priorities and abs(total - 1.0) > 1e-6:
            shares = ", ".join(f"{p.name}={p.share}" for p in self.priorities)
            yield f"priorities' shares must add up to 1 (they add up to {total:.3f}: {shares})"

    def check_predictive_on_a_service(self) -> Iterator[str]:
        if self.autoscaling.predictive is None:
            return
        if self.broker is Broker.cloudflare or self.consumer.mode is ConsumerMode.scheduled:
            kind = "broker cloudflare" if self.broker is Broker.cloudflare else "mode scheduled"
            yield (f"autoscaling.predictive applies to ECS service fleets (broker sqs, sqs-fifo or redis, mode "
                   f"service), not {kind}; allowed: leave it out")

    def check_priority_names(self) -> Iterator[str]:
        names = [p.name for p in self.priorities]
        if len(set(names)) != len(names):
            yield f"priority names must be unique: {names}"

    @property
    def sqs_like(self) -> bool:
        return self.broker in SQS_BROKERS


class Alerts(Section):
    emails: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")], ...] = ()
    """Addresses subscribed to the stack's alarm topic."""


class Profile(Section):
    environment: Environment
    """dev, staging or prod: prod protects queues, enables cache failover, forbids single retries."""
    alerts: Alerts = Alerts()
    """Where alarms go."""
    workloads: tuple[Workload, ...]
    """The queues of this stack, each planned and provisioned on its own."""

    def check_workloads_given(self) -> Iterator[str]:
        if not self.workloads:
            yield "workloads is empty; give at least one workload"

    def check_unique_names(self) -> Iterator[str]:
        names = [w.name for w in self.workloads]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            yield f"workload names must be unique; repeated: {', '.join(duplicates)}"


class ProfileError(Exception):
    """A profile that cannot be used, with one message per problem naming file and field."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


def parse_profile(data: object, path: Path | str = "<profile>") -> Profile:
    """Validate already-parsed YAML data; raise ProfileError with every problem at once."""
    if not isinstance(data, dict):
        raise ProfileError(path, [f"(top level): expected a mapping with environment and workloads, got {type(data).__name__}"])
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = [describe_error(e, Profile) for e in exc.errors(include_url=False)]
        raise ProfileError(path, problems) from None


def load_profile(path: Path | str) -> Profile:
    """Read and validate a stack profile file."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(limits.MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        raise ProfileError(path, ["file not found"]) from None
    except OSError as exc:
        raise ProfileError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    if len(raw) > limits.MAX_PROFILE_BYTES:
        raise ProfileError(path, [f"larger than {limits.MAX_PROFILE_BYTES:,} bytes; a profile is a short YAML file"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileError(
            path, [f"line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8"]
        ) from None
    return parse_profile_yaml(text, path)


def parse_profile_yaml(text: str, path: Path | str = "<profile>") -> Profile:
    """Validate a profile given as YAML text (a file's content), with the messages `load_profile` gives."""
    if len(text.encode("utf-8", "surrogatepass")) > limits.MAX_PROFILE_BYTES:
        raise ProfileError(path, [f"larger than {limits.MAX_PROFILE_BYTES:,} bytes; a profile is a short YAML file"])
    try:
        data = strict_yaml.load(text)
    except strict_yaml.DuplicateKeyError as exc:
        raise ProfileError(path, [str(exc)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
        raise ProfileError(path, [f"{where}not valid YAML: {problem}"]) from None
    except RecursionError:
        raise ProfileError(path, ["not valid YAML: nested too deeply"]) from None
    return parse_profile(data, path)


STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"


def resolve_stack(stack: str, stacks_dir: Path | None = None) -> Path:
    """A path to a profile file, or a stack name under ./stacks/ (else this project's stacks/)."""
    candidate = Path(stack)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    if stacks_dir is None:
        local = Path.cwd() / "stacks" / f"{stack}.yaml"
        return local if local.exists() else STACKS_DIR / f"{stack}.yaml"
    return stacks_dir / f"{stack}.yaml"


def stack_names(stacks_dir: Path = STACKS_DIR) -> list[str]:
    """The stacks shipped under stacks/."""
    return sorted(p.stem for p in stacks_dir.glob("*.yaml"))

