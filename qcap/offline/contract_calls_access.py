"""Access and secrets as the API calls pulumi-aws makes for them.

IAM roles and their policies, security groups, Secrets Manager secrets, SSM parameters, KMS keys and aliases.
"""

from __future__ import annotations

from qcap.offline.contract_base import Resource
from qcap.offline.contract_params import drop_none, physical_name, tag_list


def iam_role(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    params = drop_none({"RoleName": name, "AssumeRolePolicyDocument": i.get("assumeRolePolicy"),
                        "Description": i.get("description"), "Path": i.get("path"),
                        "MaxSessionDuration": i.get("maxSessionDuration"), "Tags": tag_list(i.get("tags"))})
    return [("iam", "CreateRole", params, ("RoleName",) if auto else ())]


def role_policy(r: Resource) -> list:
    name, auto = physical_name(r)
    return [("iam", "PutRolePolicy", {"RoleName": r.inputs.get("role"), "PolicyName": name,
                                      "PolicyDocument": r.inputs.get("policy")}, ("PolicyName",) if auto else ())]


def role_policy_attachment(r: Resource) -> list:
    return [("iam", "AttachRolePolicy", {"RoleName": r.inputs.get("role"), "PolicyArn": r.inputs.get("policyArn")}, ())]


def security_group(r: Resource) -> list:
    i = r.inputs
    name, auto = physical_name(r)
    calls = [("ec2", "CreateSecurityGroup", drop_none({"GroupName": name, "Description": i.get("description"),
                                                       "VpcId": i.get("vpcId")}), ("GroupName",) if auto else ())]
    rules = [drop_none({"IpProtocol": rule.get("protocol"), "FromPort": rule.get("fromPort"),
                        "ToPort": rule.get("toPort"),
                        "UserIdGroupPairs": [{"GroupId": g, "Description": rule.get("description")}
                                             for g in rule.get("securityGroups", [])] or None,
                        "IpRanges": [{"CidrIp": c} for c in rule.get("cidrBlocks", [])] or None})
             for rule in i.get("ingress", [])]
    if rules:
        calls.append(("ec2", "AuthorizeSecurityGroupIngress", {"GroupId": r.outputs.get("id"), "IpPermissions": rules}, ()))
    return calls


def secret(r: Resource) -> list:
    name, auto = physical_name(r)
    return [("secretsmanager", "CreateSecret", drop_none({"Name": name, "Description": r.inputs.get("description"),
                                                          "KmsKeyId": r.inputs.get("kmsKeyId"),
                                                          "Tags": tag_list(r.inputs.get("tags"))}),
             ("Name",) if auto else ())]


def secret_version(r: Resource) -> list:
    return [("secretsmanager", "PutSecretValue", {"SecretId": r.inputs.get("secretId"),
                                                  "SecretString": r.inputs.get("secretString")}, ())]


def ssm_parameter(r: Resource) -> list:
    name, auto = physical_name(r)
    return [("ssm", "PutParameter", drop_none({"Name": name, "Type": r.inputs.get("type"),
                                               "Value": r.inputs.get("value"), "KeyId": r.inputs.get("keyId"),
                                               "Description": r.inputs.get("description"),
                                               "Tags": tag_list(r.inputs.get("tags"))}),
             ("Name",) if auto else ())]


def kms_key(r: Resource) -> list:
    i = r.inputs
    calls = [("kms", "CreateKey", drop_none({
        "Description": i.get("description"), "KeyUsage": i.get("keyUsage"), "KeySpec": i.get("customerMasterKeySpec"),
        "Policy": i.get("policy"), "BypassPolicyLockoutSafetyCheck": i.get("bypassPolicyLockoutSafetyCheck"),
        "MultiRegion": i.get("multiRegion"), "CustomKeyStoreId": i.get("customKeyStoreId"),
        "XksKeyId": i.get("xksKeyId"), "Tags": tag_list(i.get("tags"), "TagKey", "TagValue")}), ())]
    if i.get("enableKeyRotation"):
        calls.append(("kms", "EnableKeyRotation", drop_none({
            "KeyId": r.outputs.get("keyId") or r.outputs.get("id"),
            "RotationPeriodInDays": i.get("rotationPeriodInDays")}), ()))
    return calls


def kms_alias(r: Resource) -> list:
    name, auto = physical_name(r)
    return [("kms", "CreateAlias", {"AliasName": name, "TargetKeyId": r.inputs.get("targetKeyId")},
             ("AliasName",) if auto else ())]
