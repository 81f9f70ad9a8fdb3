"""qcap:index:QueueWorkload over gRPC: for every shipped stack it registers what the Python program
registers (types, names, parents, inputs, protection) and outputs what it exports, the pack gives
both the same verdict, and a bad profile fails Construct with `qcap plan`'s lines, not a traceback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from provider_harness import ProviderProcess, camel_keys, program_inputs, stack_urn, tree

from capacity.plan import plan
from capacity.profile import load_profile, resolve_stack, stack_names
from qcap.offline.analyzer_client import PolicyPackProcess, run_analysis
from qcap.offline.contract import check_contract
from qcap.offline.mock_engine import run_program
from qcap.offline.preview import to_analyzer_resources
from qcap.offline.program_run import ProgramRun
from qcap.offline.pulumi_project import stack_config

pytestmark = pytest.mark.slow
STACKS = stack_names()
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(scope="module")
def provider():
    with ProviderProcess() as process:
        yield process


@pytest.fixture(scope="module")
def python_runs() -> dict[str, ProgramRun]:
    runs = {stack: run_program(stack) for stack in STACKS}
    assert all(run.ok for run in runs.values()), {s: r.error for s, r in runs.items()}
    return runs


def profile_inputs(stack: str, form: str) -> dict:
    text = resolve_stack(stack).read_text()
    profile = {"profileYaml": text} if form == "yaml" else {"profile": camel_keys(yaml.safe_load(text))}
    return {**profile, "stack": stack, **program_inputs(stack)}


def construct(provider, stack: str, form: str = "yaml"):
    construction = provider.construct("QueueWorkload", stack, profile_inputs(stack, form), stack=stack,
                                      secret_inputs=["redisAuthToken"])
    assert construction.ok, f"{construction.error.details()}\n{provider.stderr()}"
    return construction


@pytest.mark.parametrize("form", ["yaml", "fields"])
@pytest.mark.parametrize("stack", STACKS)
def test_queue_workload_registers_what_the_python_program_registers(provider, python_runs, stack, form):
    construction = construct(provider, stack, form)
    expected = tree(python_runs[stack].registrations, {stack_urn(stack)})
    assert tree(construction.registrations, {stack_urn(stack), construction.urn}) == expected
    component = [r for r in construction.registrations if r.type == "qcap:index:QueueWorkload"]
    assert [(r.name, r.parent) for r in component] == [(stack, stack_urn(stack))]


@pytest.mark.parametrize("stack", STACKS)
def test_queue_workload_outputs_what_the_python_program_exports_and_the_plan(provider, python_runs, stack):
    state = construct(provider, stack).state
    exported = python_runs[stack].outputs
    assert state["workloads"] == exported["workloads"] and state["routing"] == exported["routing"]
    assert state.get("dashboardUrl") == exported.get("dashboardUrl")
    sqs = {name: out for name, out in exported["workloads"].items() if "queueUrl" in out}
    assert state["queueUrls"] == {name: out["queueUrl"] for name, out in sqs.items()}
    assert state["dlqArns"] == {name: out["dlqArn"] for name, out in sqs.items()}
    stack_plan = plan(load_profile(resolve_stack(stack)))
    assert state["monthlyCostUsd"] == stack_plan.monthly_cost_usd
    for w in stack_plan.workloads:
        queue = state["plan"][w.name]
        assert (queue["minTasks"], queue["maxTasks"]) == (w.min_capacity, w.max_capacity)
        assert (queue["retentionSeconds"], queue["monthlyCostUsd"]) == (w.retention_seconds, w.monthly_cost_usd)
        assert queue.get("targetBacklogPerTask") == (w.scaling.target_backlog_per_task if w.scaling else None)


@pytest.mark.parametrize("stack", STACKS)
def test_the_policy_pack_gives_the_components_resources_the_python_programs_verdict(provider, python_runs, stack):
    construction = construct(provider, stack)
    environment = plan(load_profile(resolve_stack(stack))).environment
    config = {"qcap:environment": environment, **stack_config(stack)[0]}

    def verdicts(registrations):
        resources = to_analyzer_resources(SimpleNamespace(registrations=registrations))
        unwatched = [r for r in resources if r.type != ALARM]  # a control: the pack must see what is missing
        return [sorted((d.policy, d.level, d.message) for d in run_analysis(pack, rs).diagnostics)
                for rs in (resources, unwatched)]

    with PolicyPackProcess(stack=stack, project="qcap", config=config) as pack:
        python, component = verdicts(python_runs[stack].registrations), verdicts(construction.registrations)
    assert component == python
    assert not [d for d in component[0] if d[1] == "mandatory"]
    if any(r.type == "aws:sqs/queue:Queue" for r in construction.registrations):
        assert {"queue-has-age-alarm", "dlq-has-depth-alarm"} <= {policy for policy, _, _ in component[1]}
    assert check_contract(construction.registrations).violations == []


def test_a_bad_profile_fails_construct_with_the_field_paths_and_allowed_values_and_creates_nothing(provider):
    inputs = profile_inputs("dev", "fields")
    workload = inputs["profile"]["workloads"][0]
    workload["broker"] = "kafka"
    workload["consumer"]["taskCpu"] = 300
    construction = provider.construct("QueueWorkload", "shop", inputs)
    assert construction.error.code().name == "INVALID_ARGUMENT"
    assert construction.error.details().splitlines() == [
        "QueueWorkload 'shop': the capacity profile cannot be used:",
        "profile: workloads[0].broker: 'kafka' is not allowed; allowed: 'sqs', 'sqs-fifo', 'cloudflare' or 'redis'",
        "profile: workloads[0].consumer: task_cpu 300 is not a Fargate size; allowed: 256, 512, 1024, 2048, 4096, "
        "8192, 16384",
    ]
    assert [path for path, _ in construction.property_errors()] == ["profile.workloads[0].broker",
                                                                    "profile.workloads[0].consumer"]
    assert "Traceback" not in construction.error.details() and 'File "' not in construction.error.details()
    assert construction.registrations == []


def test_an_infeasible_profile_and_a_missing_setting_fail_construct_by_name(provider):
    inputs = profile_inputs("dev", "fields")
    inputs["profile"]["workloads"][0]["sink"] = {"name": "Orders DB", "requestsPerSecond": 1}
    details = provider.construct("QueueWorkload", "shop", inputs).error.details()
    assert details.startswith("QueueWorkload 'shop': stack 'dev' is not deployed: its plan is infeasible.\n")
    assert "binding limit: sink request rate (Orders DB 1 req/s)" in details
    missing = provider.construct("QueueWorkload", "shop", {"profileYaml": resolve_stack("dev").read_text()})
    assert missing.error.details() == ("QueueWorkload 'shop': input subnetIds is not set (private subnets for the "
                                       "consumer tasks)")
    assert missing.property_errors() == [("subnetIds", "required: private subnets for the consumer tasks")]
