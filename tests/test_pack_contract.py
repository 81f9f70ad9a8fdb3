"""The pack ships its own copy of the tag keys and metric names its rules read; each equals capacity/contract.py's."""

from __future__ import annotations

from capacity import contract as planner_contract
from policies import contract as pack_contract
from policies import rules_base, rules_capacity, rules_scaling, rules_services, rules_stack


VARIABLE_SUFFIX = "_VARIABLE"


def _planner_value(name: str):
    """The contract's constant of that name; for X_VARIABLE, the name of the contract's environment variable X."""
    if name.endswith(VARIABLE_SUFFIX):
        variable = getattr(planner_contract, name[: -len(VARIABLE_SUFFIX)], None)
        return getattr(variable, "name", "missing")
    return getattr(planner_contract, name, "missing")


def test_every_pack_contract_name_equals_the_contract_constant_of_the_same_name():
    names = [n for n in dir(pack_contract) if n.isupper() and n != "WORKER_PLAIN_VARIABLES"]
    assert len(names) >= 20
    mismatched = {n: (getattr(pack_contract, n), _planner_value(n)) for n in names
                  if _planner_value(n) != getattr(pack_contract, n)}
    assert mismatched == {}


def test_the_pack_copies_every_tag_key_its_rules_read_and_no_key_the_components_do_not_write():
    pack_keys = {getattr(pack_contract, n) for n in dir(pack_contract) if n.startswith("TAG_")}
    assert pack_keys <= set(planner_contract.TAG_KEYS)
    read_by_rules = {v for module in (rules_base, rules_capacity, rules_scaling, rules_services, rules_stack)
                     for n, v in vars(module).items() if n.startswith("TAG_")}
    assert read_by_rules <= pack_keys


def test_the_rules_read_their_roles_and_metrics_from_the_pack_copy():
    assert rules_capacity.DLQ_ROLE == planner_contract.ROLE_DLQ
    assert rules_services.ALARM_TOPIC_ROLE == planner_contract.ROLE_TOPIC
    assert (rules_stack.SQS_NAMESPACE, rules_stack.AGE_METRIC, rules_stack.QUEUE_DIMENSION) == (
        planner_contract.SQS_NAMESPACE, planner_contract.SQS_AGE_METRIC, planner_contract.SQS_QUEUE_DIMENSION)
    assert rules_scaling.REDIS_AGE_METRIC == planner_contract.REDIS_OLDEST_AGE_METRIC


def test_the_pack_lists_every_plain_variable_of_the_worker_and_none_of_its_secrets():
    assert pack_contract.WORKER_PLAIN_VARIABLES == tuple(
        v.name for v in planner_contract.WORKER_ENVIRONMENT if not v.secret)
