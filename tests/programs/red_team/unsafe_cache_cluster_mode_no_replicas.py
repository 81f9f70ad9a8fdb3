"""A prod cluster-mode Redis with 3 shards and no replica: each shard is one node."""
import pulumi_aws as aws

EXPECTED = "cache-failover-in-prod"
STACK = "prod"
aws.elasticache.ReplicationGroup("shards", description="shards", node_type="cache.t4g.small", num_node_groups=3,
                                 replicas_per_node_group=0, automatic_failover_enabled=True, multi_az_enabled=True,
                                 at_rest_encryption_enabled=True, transit_encryption_enabled=True,
                                 auth_token="a-long-enough-token-123", snapshot_retention_limit=7)
