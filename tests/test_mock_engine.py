"""The offline engine: full registration records, repeatable runs, the stack config and its secrets."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from qcap.offline.mock_engine import run_function, run_program
from qcap.offline.mock_provider import MOCK_ACCOUNT_ID
from qcap.offline.pulumi_project import OFFLINE_SECRET_VALUE, stack_config


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("test:index:Box", name, None, opts)
        self.queue = aws.sqs.Queue(f"{name}-queue", name=f"{name}-q",
                                   opts=pulumi.ResourceOptions(parent=self, protect=True))
        self.service = aws.ecs.Service(
            f"{name}-service", name="svc",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desired_count"], depends_on=[self.queue]),
        )
        self.register_outputs({})


def test_run_records_parent_options_and_dependencies_of_each_registration():
    run = run_function(lambda: Box("box"), stack="s1")
    assert run.ok, run.error
    box = run.named("box")
    queue, service = run.named("box-queue"), run.named("box-service")
    assert queue.parent == service.parent == box.urn
    assert queue.protect is True and service.protect is False
    assert service.ignore_changes == ("desiredCount",)
    assert queue.urn in service.dependencies
    assert box.urn == "urn:pulumi:s1::qcap::test:index:Box::box"
    assert queue.urn == "urn:pulumi:s1::qcap::test:index:Box$aws:sqs/queue:Queue::box-queue"


def test_runs_are_independent_when_made_one_after_another_in_one_process():
    first = run_function(lambda: {"url": Box("one").queue.url}, stack="first", config={"aws:region": "eu-west-1"})
    second = run_function(lambda: {"url": Box("two").queue.url}, stack="second", config={"aws:region": "us-west-2"})
    assert sorted(r.name for r in second.resources) == ["two", "two-queue", "two-service"]
    assert second.outputs == {"url": f"https://sqs.us-west-2.amazonaws.com/{MOCK_ACCOUNT_ID}/two-q"}
    assert first.outputs == {"url": f"https://sqs.eu-west-1.amazonaws.com/{MOCK_ACCOUNT_ID}/one-q"}
    assert all(":second::" in r.urn for r in second.registrations)


def test_run_reports_the_programs_error_and_the_next_run_still_works():
    def failing():
        raise pulumi.RunError("the plan is infeasible")

    failed = run_function(failing)
    assert failed.error == "the plan is infeasible" and not failed.ok
    assert run_function(lambda: Box("again")).ok


def test_run_reports_an_error_raised_inside_an_apply():
    def failing():
        aws.sqs.Queue("q", name=pulumi.Output.from_input("x").apply(lambda _: 1 / 0))

    assert run_function(failing).error == "ZeroDivisionError: division by zero"


def test_run_program_reads_the_stack_config_file_and_overlays_given_config():
    values, secure = stack_config("event-backlog")
    assert values["aws:region"] == "ap-south-1" and secure == []
    run = run_program("event-backlog")
    assert run.ok, run.error
    assert run.outputs["workloads"]["events"]["queueUrl"].startswith("https://sqs.ap-south-1.amazonaws.com/")
    moved = run_program("event-backlog", {"aws:region": "eu-central-1"})
    assert moved.outputs["workloads"]["events"]["queueUrl"].startswith("https://sqs.eu-central-1.amazonaws.com/")


def test_run_program_supplies_an_offline_secret_only_when_asked_to():
    stand_in = run_program("track-points")
    assert stand_in.ok, stand_in.error
    assert stand_in.named("track-points-cache-group").inputs["authToken"] == OFFLINE_SECRET_VALUE
    missing = run_program("track-points", offline_secrets=False)
    assert "pulumi config set --secret qcap:redisAuthToken" in missing.error
    given = run_program("track-points", {"qcap:redisAuthToken": "a-real-token-with-32-characters!"},
                        offline_secrets=False)
    assert given.named("track-points-cache-group").inputs["authToken"] == "a-real-token-with-32-characters!"


def test_a_raw_program_gets_a_computed_policy_document_and_the_arn_of_a_policy_it_attaches():
    def program():
        doc = aws.iam.get_policy_document(statements=[aws.iam.GetPolicyDocumentStatementArgs(
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources=["*"])])
        policy = aws.iam.Policy("read", policy=doc.json)
        role = aws.iam.Role("task", assume_role_policy=doc.json)
        aws.iam.RolePolicyAttachment("read-attach", role=role.name, policy_arn=policy.arn)
        zones = aws.get_availability_zones()
        return {"zones": zones.names, "region": aws.get_region().region}

    run = run_function(program, config={"aws:region": "eu-west-1"})
    assert run.ok, run.error
    policy = run.named("read")
    assert policy.inputs["policy"] == run.named("task").inputs["assumeRolePolicy"]
    assert '"Action": [\n        "sqs:ReceiveMessage",\n        "sqs:DeleteMessage"\n      ]' in policy.inputs["policy"]
    attachment = run.named("read-attach")
    assert attachment.inputs["policyArn"] == policy.outputs["arn"] == policy.id
    assert attachment.inputs["policyArn"].startswith(f"arn:aws:iam::{MOCK_ACCOUNT_ID}:policy/read-")
    assert run.outputs == {"zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"], "region": "eu-west-1"}


def test_a_failed_run_says_where_in_the_program_the_error_was_raised(tmp_path):
    import runpy

    program = tmp_path / "prog.py"
    program.write_text("import pulumi_aws as aws\nq = aws.sqs.Queue('q')\nq.arn.apply(lambda arn: arn / 2)\n")
    failed = run_function(lambda: runpy.run_path(str(program)))
    assert failed.error.startswith("TypeError: unsupported operand")
    assert failed.error_location == f"{program}, line 3, in <lambda>"


def test_a_program_that_calls_sys_exit_ends_its_run_not_the_process():
    import sys

    failed = run_function(lambda: sys.exit(3))
    assert failed.error == "the program called sys.exit(3)"
    assert failed.error_location.endswith("in <lambda>")
