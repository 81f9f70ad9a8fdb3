"""AWS API translation of whole stacks: a type without translation is said; a moto replay checks the calls' wiring.

Each service family's translation is tested in tests/test_contract_calls_<family>.py.

The replay (marked slow, bounded to four stacks) sends the translated calls of a whole stack
to moto in registration order: ECS services need their cluster and task definition, scalable
targets need their service, the cache needs its subnet group, security group and parameter
group. The network ids of the stack config and the ids moto assigns (security group, secret)
are mapped as the calls go. The one AWS-managed policy the consumers attach is created in
moto's IAM backend by hand, instead of loading all of them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from factories import registration
from moto import mock_aws

from capacity.stacks import load_stack
from qcap.offline.mock_engine import run_program
from qcap.offline.mock_provider import MOCK_ACCOUNT_ID
from qcap.offline.program_run import ProgramRun
from qcap.offline.pulumi_project import stack_config
from qcap.offline.contract import translate_all
from qcap.offline.contract_calls import ApiCall, translate
from qcap.offline.preview import program_config

PROFILES_DIR = Path(__file__).parent / "profiles"
REPLAY_STACKS = ("dev", "track-points", "scheduled-questions", "edge-redisparts")
# Operations moto 5.2 does not implement: the replay skips them and says so.
MOTO_UNIMPLEMENTED = frozenset({"CreateCacheParameterGroup", "ModifyCacheParameterGroup"})


# --- translation -----------------------------------------------------------------------


def test_a_type_without_translation_is_reported_not_guessed():
    assert translate(registration("aws:s3/bucket:Bucket", "b", {})) is None
    calls, untranslated = translate_all([registration("aws:s3/bucket:Bucket", "b", {})])
    assert (calls, untranslated) == ([], ["aws:s3/bucket:Bucket"])


# --- moto replay ------------------------------------------------------------------------


def stack_run(stack: str) -> tuple[ProgramRun, dict[str, Any]]:
    if stack.startswith("edge-"):
        loaded = load_stack(str(PROFILES_DIR / f"{stack}.yaml"))
        overrides, _ = program_config(loaded)
        return run_program(loaded.name, overrides), overrides
    return run_program(stack), stack_config(stack)[0]


def create_aws_managed_policy(arn: str) -> None:
    """Put one AWS-managed policy into moto's IAM backend (moto loads none of them by default)."""
    from moto.iam.models import AWSManagedPolicy, iam_backends

    path, name = arn.split(":policy", 1)[1].rsplit("/", 1)
    policy = AWSManagedPolicy(name, account_id=MOCK_ACCOUNT_ID, region="us-east-1", default_version_id="v1",
                              path=f"{path}/", document=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam_backends[MOCK_ACCOUNT_ID]["aws"].managed_policies[policy.arn] = policy


def substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


def replay(calls: list[ApiCall], region: str, config: dict[str, Any]) -> list[str]:
    """Send the calls to moto in order; returns "Operation resource" for each call ("skipped ..." where moto has none)."""
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = boto3.client(service, region_name=region)
        return clients[service]

    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids = {config.get("qcap:vpcId", "vpc-none"): vpc}
    for i, subnet in enumerate(config.get("qcap:subnetIds", [])):
        ids[subnet] = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"]
    for group in config.get("qcap:securityGroupIds", []):
        ids[group] = ec2.create_security_group(GroupName=group, Description="consumers", VpcId=vpc)["GroupId"]
    for arn in {c.params["PolicyArn"] for c in calls if c.operation == "AttachRolePolicy"}:
        create_aws_managed_policy(arn)
    made = []
    for call in calls:
        if call.operation in MOTO_UNIMPLEMENTED:
            made.append(f"skipped {call.operation} {call.resource}")
            continue
        response = getattr(client(call.service), xform_name(call.operation))(**substitute(call.params, ids))
        if call.operation == "CreateSecurityGroup":
            ids[call.arn.rsplit("/", 1)[-1]] = response["GroupId"]
        if call.operation == "CreateSecret":
            ids[call.arn] = response["ARN"]
        if call.operation == "CreateKey":  # the mock's key ARN and id stand for moto's
            ids[call.arn] = response["KeyMetadata"]["Arn"]
            ids[call.arn.rsplit("/", 1)[-1]] = response["KeyMetadata"]["KeyId"]
        made.append(f"{call.operation} {call.resource}")
    return made


@pytest.fixture
def aws_credentials(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.mark.slow
def test_moto_accepts_every_translated_call_of_four_stacks_in_order(aws_credentials, capsys):
    started = time.perf_counter()
    counts = {}
    for stack in REPLAY_STACKS:
        run, config = stack_run(stack)
        calls, untranslated = translate_all(run.registrations)
        assert untranslated == []
        with mock_aws():
            made = replay(calls, config.get("aws:region", "us-east-1"), config)
        assert len(made) == len(calls)
        skipped = {m.split()[1] for m in made if m.startswith("skipped ")}
        assert skipped <= MOTO_UNIMPLEMENTED
        counts[stack] = len(made) - sum(m.startswith("skipped ") for m in made)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nmoto replay: {counts} calls in {elapsed:.2f} s")  # printed, not judged: machines differ
    assert counts["edge-redisparts"] > counts["track-points"]


@pytest.mark.slow
def test_moto_refuses_the_second_replication_group_when_two_partitions_share_an_id(aws_credentials):
    run, config = stack_run("edge-redisparts")
    calls, _ = translate_all(run.registrations)
    cut = "qcap-edge-redisparts-gps-track-points-in"  # the id both partitions got before lane names were fitted
    collided = [ApiCall(c.resource, c.type, c.service, c.operation, {**c.params, "ReplicationGroupId": cut}, c.autonamed,
                        c.arn) if c.operation == "CreateReplicationGroup" else c for c in calls]
    with mock_aws(), pytest.raises(ClientError) as refused:
        replay(collided, config["aws:region"], config)
    assert refused.value.response["Error"]["Code"] == "ReplicationGroupAlreadyExists"
    assert refused.value.operation_name == "CreateReplicationGroup"
