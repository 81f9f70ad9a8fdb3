"""The mock provider: realistic outputs for what qcap creates, and stable names for what Pulumi autonames."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi_aws as aws
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from qcap.offline.mock_provider import MOCK_ACCOUNT_ID, QcapMocks
from qcap.offline.provider_sdk import computed_outputs, invoke_result_types, resource_output_types

SCALARS = (str, int, float, bool)


def test_mocks_answer_a_queue_with_its_region_account_arn_and_url():
    resource_id, state = QcapMocks(region="ap-south-1").new_resource(
        MockResourceArgs(typ="aws:sqs/queue:Queue", name="q", inputs={"name": "qcap-s-events"})
    )
    assert resource_id == state["url"] == f"https://sqs.ap-south-1.amazonaws.com/{MOCK_ACCOUNT_ID}/qcap-s-events"
    assert state["arn"] == f"arn:aws:sqs:ap-south-1:{MOCK_ACCOUNT_ID}:qcap-s-events"


def test_mocks_give_an_auto_named_resource_a_stable_name_from_its_logical_name():
    mocks = QcapMocks()
    first = mocks.new_resource(MockResourceArgs(typ="aws:iam/role:Role", name="events-task-role", inputs={}))
    again = mocks.new_resource(MockResourceArgs(typ="aws:iam/role:Role", name="events-task-role", inputs={}))
    assert first == again
    assert first[1]["arn"] == f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/{first[1]['name']}"
    assert first[1]["name"].startswith("events-task-role-")


def test_a_key_created_without_a_policy_reads_back_kms_default_key_policy():
    _, state = QcapMocks().new_resource(MockResourceArgs(typ="aws:kms/key:Key", name="k", inputs={}))
    assert json.loads(state["policy"])["Statement"] == [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:root"},
         "Action": "kms:*", "Resource": "*"}]
    _, given = QcapMocks().new_resource(MockResourceArgs(typ="aws:kms/key:Key", name="k", inputs={"policy": "{}"}))
    assert given["policy"] == "{}"


def test_any_aws_type_gets_its_computed_outputs_and_qcaps_own_types_keep_their_exact_values():
    _, fn = QcapMocks(region="eu-west-1").new_resource(
        MockResourceArgs(typ="aws:lambda/function:Function", name="fn", inputs={"name": "worker"}))
    assert fn["arn"] == f"arn:aws:lambda:eu-west-1:{MOCK_ACCOUNT_ID}:function:worker"
    assert fn["qualifiedArn"] == f"{fn['arn']}:$LATEST" and fn["version"] == "$LATEST"
    assert fn["invokeArn"] == (f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{fn['arn']}"
                               "/invocations")
    rid, topic = QcapMocks().new_resource(MockResourceArgs(typ="aws:sns/topic:Topic", name="t", inputs={"name": "a"}))
    assert rid == topic["arn"] == f"arn:aws:sns:us-east-1:{MOCK_ACCOUNT_ID}:a"


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _parameters(source: str, function: str) -> set[str]:
    """The wire names of a generated `get_*` function's parameters: the arguments a data source echoes back."""
    signature = re.findall(rf"def {function}\(([^)]*)\)", source)[0]
    return {_camel(p.split(":")[0].split("=")[0].strip()) for p in signature.split(",") if p.strip()}


@pytest.mark.slow
def test_every_resource_type_and_data_source_of_pulumi_aws_gets_what_the_provider_computes():
    """All of the SDK, called with no inputs: no crash; every resource an id and, where it declares one, an ARN;
    every scalar output only the provider sets (resource) or that is not an argument (data source) a value of its
    type. One test, so the SDK's ~250 modules are imported once."""
    mocks, failures = QcapMocks(), []
    package = Path(aws.__file__).parent
    resources: set[str] = set()
    functions: dict[str, tuple[str, str]] = {}
    for path in package.glob("**/*.py"):
        source = path.read_text()
        if path.name.startswith("get_"):
            functions.update({token: (path.stem, source) for token in re.findall(r"invoke\('(aws:[^']+)'", source)})
        elif not path.name.startswith("_"):
            resources.update(re.findall(r"super\(\w+, __self__\).__init__\(\s*'(aws:[^']+)'", source))
    assert len(resources) > 1500 and len(functions) > 600
    for token in sorted(resources):
        rid, out = mocks.new_resource(MockResourceArgs(typ=token, name="x", inputs={}))
        if not rid or ("arn" in resource_output_types(token) and not str(out.get("arn")).startswith("arn:aws:")):
            failures.append((token, "id or arn"))
        failures.extend((token, key) for key, hint in computed_outputs(token).items()
                        if key != "id" and hint in SCALARS and not isinstance(out.get(key), hint))
    for token, (stem, source) in sorted(functions.items()):
        out = mocks.call(MockCallArgs(token=token, args={}, provider=""))
        arguments = _parameters(source, stem)
        failures.extend((token, key) for key, hint in invoke_result_types(token).items()
                        if key not in arguments and hint in SCALARS and not isinstance(out.get(key), hint))
    assert failures == []
