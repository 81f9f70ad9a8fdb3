"""A prod stack's Redis queue on a single node."""
import pulumi_aws as aws

EXPECTED = "cache-failover-in-prod"
STACK = "payments-prod"
aws.elasticache.ReplicationGroup("pay-cache", description="pay", node_type="cache.t4g.small", num_cache_clusters=1,
                                 at_rest_encryption_enabled=True, transit_encryption_enabled=True,
                                 auth_token="a-long-enough-token-123", snapshot_retention_limit=7)
