"""ElastiCache translation: a replication group's id when Pulumi chooses it, and the shards of cluster mode."""

from __future__ import annotations

import re

from factories import registration
from pulumi.runtime.mocks import MockResourceArgs

from qcap.offline.contract import check_contract
from qcap.offline.contract_calls import translate
from qcap.offline.mock_provider import QcapMocks

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def group(logical: str, **inputs):
    _, outputs = QcapMocks().new_resource(MockResourceArgs(typ=GROUP, name=logical, inputs=inputs))
    return registration(GROUP, logical, inputs, outputs)


def test_a_replication_group_without_an_id_gets_pulumis_lowercase_autoname():
    cache = group("Orders-Cache", description="orders", nodeType="cache.t4g.small", numCacheClusters=2.0)
    (call,) = translate(cache)
    assert re.fullmatch(r"orders-cache-[0-9a-f]{7}", call.params["ReplicationGroupId"])
    assert call.autonamed == ("ReplicationGroupId",)
    assert check_contract([cache]).violations == []


def test_a_cluster_mode_group_sends_its_shards_and_replicas():
    cache = group("sessions", replicationGroupId="qcap-prod-sessions", description="s", nodeType="cache.r7g.large",
                  numNodeGroups=2.0, replicasPerNodeGroup=1.0, automaticFailoverEnabled=True)
    (call,) = translate(cache)
    assert (call.params["NumNodeGroups"], call.params["ReplicasPerNodeGroup"]) == (2, 1)
    assert call.autonamed == () and "NumCacheClusters" not in call.params
    assert check_contract([cache]).violations == []
