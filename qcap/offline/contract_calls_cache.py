"""ElastiCache replication groups, parameter groups and subnet groups as the API calls pulumi-aws makes for them."""

from __future__ import annotations

from qcap.offline.contract_base import Resource
from qcap.offline.contract_params import drop_none, physical_name, tag_list


def replication_group(r: Resource) -> list:
    i = r.inputs
    group_id, auto = physical_name(r, "replicationGroupId", prefix_key="")
    return [("elasticache", "CreateReplicationGroup", drop_none({
        "ReplicationGroupId": group_id, "ReplicationGroupDescription": i.get("description"),
        "AutomaticFailoverEnabled": i.get("automaticFailoverEnabled"), "MultiAZEnabled": i.get("multiAzEnabled"),
        "NumCacheClusters": i.get("numCacheClusters"), "NumNodeGroups": i.get("numNodeGroups"),
        "ReplicasPerNodeGroup": i.get("replicasPerNodeGroup"), "CacheNodeType": i.get("nodeType"), "Engine": i.get("engine"),
        "EngineVersion": i.get("engineVersion"), "CacheParameterGroupName": i.get("parameterGroupName"),
        "CacheSubnetGroupName": i.get("subnetGroupName"), "SecurityGroupIds": i.get("securityGroupIds"),
        "Tags": tag_list(i.get("tags")), "PreferredMaintenanceWindow": i.get("maintenanceWindow"), "Port": i.get("port"),
        "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
        "SnapshotRetentionLimit": i.get("snapshotRetentionLimit"), "SnapshotWindow": i.get("snapshotWindow"),
        "AuthToken": i.get("authToken"), "TransitEncryptionEnabled": i.get("transitEncryptionEnabled"),
        "AtRestEncryptionEnabled": i.get("atRestEncryptionEnabled"), "KmsKeyId": i.get("kmsKeyId")}),
        ("ReplicationGroupId",) if auto else ())]


def parameter_group(r: Resource) -> list:
    name, auto = physical_name(r)
    calls = [("elasticache", "CreateCacheParameterGroup", drop_none({
        "CacheParameterGroupName": name, "CacheParameterGroupFamily": r.inputs.get("family"),
        "Description": r.inputs.get("description"), "Tags": tag_list(r.inputs.get("tags"))}),
        ("CacheParameterGroupName",) if auto else ())]
    if r.inputs.get("parameters"):
        calls.append(("elasticache", "ModifyCacheParameterGroup", {
            "CacheParameterGroupName": name,
            "ParameterNameValues": [{"ParameterName": p["name"], "ParameterValue": p["value"]}
                                    for p in r.inputs["parameters"]]}, ()))
    return calls


def subnet_group(r: Resource) -> list:
    name, auto = physical_name(r)
    return [("elasticache", "CreateCacheSubnetGroup", drop_none({
        "CacheSubnetGroupName": name.lower(), "CacheSubnetGroupDescription": r.inputs.get("description"),
        "SubnetIds": r.inputs.get("subnetIds"), "Tags": tag_list(r.inputs.get("tags"))}),
        ("CacheSubnetGroupName",) if auto else ())]
