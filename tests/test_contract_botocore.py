"""The AWS API model layer: translated calls against botocore's service models, min/max/enum/pattern included."""

from __future__ import annotations

import botocore
import pytest

from qcap.offline.contract_botocore import check_calls, compiled_pattern, operation_input
from qcap.offline.contract_calls import ApiCall

SCHEDULE = {"Name": "qcap-dev-questions", "ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": "arn:aws:ecs:us-east-1:123456789012:cluster/qcap-dev",
                       "RoleArn": "arn:aws:iam::123456789012:role/qcap-dev-questions-schedule"}}


def call(operation: str, params: dict, service: str = "scheduler") -> ApiCall:
    return ApiCall("questions-schedule", "aws:scheduler/schedule:Schedule", service, operation, params)


def found(c: ApiCall) -> list[tuple[str, str, str]]:
    return [(v.field, v.limit, v.message) for v in check_calls([c]).violations]


def test_a_valid_schedule_passes_and_every_constraint_counts_as_a_check():
    checker = check_calls([call("CreateSchedule", SCHEDULE)])
    assert checker.violations == []
    assert checker.checks > 20


def test_a_65_character_schedule_name_is_over_the_models_maximum():
    params = {**SCHEDULE, "Name": "q" * 65}
    (violation,) = check_calls([call("CreateSchedule", params)]).violations
    assert (violation.resource, violation.field, violation.limit) == ("questions-schedule", "CreateSchedule.Name",
                                                                      "<= 64 characters")
    assert violation.message == "65 characters is above the maximum"
    assert violation.source == f"botocore {botocore.__version__} scheduler model, CreateSchedule Name"


def test_an_enum_value_the_model_does_not_list_is_named():
    params = {**SCHEDULE, "FlexibleTimeWindow": {"Mode": "SOMETIMES"}}
    assert found(call("CreateSchedule", params)) == [
        ("CreateSchedule.FlexibleTimeWindow.Mode", "one of OFF, FLEXIBLE", "'SOMETIMES' is not an allowed value")]


def test_a_value_that_breaks_the_models_pattern_is_named():
    params = {**SCHEDULE, "Target": {**SCHEDULE["Target"], "RoleArn": "arn:aws:iam::123:role/x"}}
    ((field, limit, message),) = found(call("CreateSchedule", params))
    assert field == "CreateSchedule.Target.RoleArn" and limit.startswith("pattern arn:aws[a-z-]*:iam::")
    assert message == "'arn:aws:iam::123:role/x' does not match the pattern"


def test_an_integer_below_the_models_minimum_is_named():
    params = {**SCHEDULE, "Target": {**SCHEDULE["Target"], "RetryPolicy": {"MaximumEventAgeInSeconds": 30}}}
    assert found(call("CreateSchedule", params)) == [
        ("CreateSchedule.Target.RetryPolicy.MaximumEventAgeInSeconds", ">= 60", "30 is below the minimum")]


def test_unknown_and_missing_members_are_named():
    params = {k: v for k, v in SCHEDULE.items() if k != "ScheduleExpression"} | {"Schedule": "rate(1 minute)"}
    assert found(call("CreateSchedule", params)) == [
        ("CreateSchedule.ScheduleExpression", "required", "missing required member"),
        ("CreateSchedule.Schedule", "the members of CreateScheduleInput", "unknown member 'Schedule'"),
    ]


def test_map_keys_are_checked_against_their_enum():
    c = ApiCall("q", "aws:sqs/queue:Queue", "sqs", "CreateQueue",
                {"QueueName": "qcap-dev-q", "Attributes": {"VisibilityTimeoutSeconds": "60"}})
    ((field, limit, message),) = found(c)
    assert field == "CreateQueue.Attributes.VisibilityTimeoutSeconds(key)"
    assert limit.startswith("one of All, Policy, VisibilityTimeout, ")
    assert message == "'VisibilityTimeoutSeconds' is not an allowed value"


def test_wrong_types_are_named():
    c = ApiCall("t", "aws:appautoscaling/target:Target", "application-autoscaling", "RegisterScalableTarget",
                {"ServiceNamespace": "ecs", "ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount",
                 "MinCapacity": 1.5, "MaxCapacity": "10"})
    assert [m for _, _, m in found(c)] == ["expected an integer, got 1.5", "expected an integer, got '10'"]


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "qcap:max-age-seconds", True),
    (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "bad#key", False),
    (r"[\w+=,.@-]+", "qcap-dev-orders-execution", True),
])
def test_java_unicode_classes_in_model_patterns_are_translated(pattern, text, matches):
    assert (compiled_pattern(pattern).fullmatch(text) is not None) is matches


def test_operation_input_is_the_models_input_shape():
    assert operation_input("iam", "CreateRole").name == "CreateRoleRequest"


def test_java_word_characters_are_ascii_so_a_non_ascii_role_name_is_refused():
    pattern = compiled_pattern(r"[\w+=,.@-]+")
    assert pattern.fullmatch("qcap-dev_role.1") and not pattern.fullmatch("qcap-rôle")
    role = ApiCall("r", "aws:iam/role:Role", "iam", "CreateRole", {"RoleName": "qcap-rôle", "AssumeRolePolicyDocument": "{}"})
    accepted = ApiCall("r", "aws:iam/role:Role", "iam", "CreateRole", {"RoleName": "qcap-role",
                                                                        "AssumeRolePolicyDocument": "{}"})
    assert found(role) == [("CreateRole.RoleName", r"pattern [\w+=,.@-]+", "'qcap-rôle' does not match the pattern")]
    assert found(accepted) == []


def test_java_unicode_classes_keep_non_ascii_letters_and_digits_but_not_tabs():
    pattern = compiled_pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
    assert pattern.fullmatch("équipe ٣") and not pattern.fullmatch("a\tb")
