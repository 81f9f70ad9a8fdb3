"""A Redis replication group with transit encryption mode "preferred"."""
import pulumi_aws as aws

EXPECTED = "cache-transit-required"
aws.elasticache.ReplicationGroup("jobs-cache", description="jobs", node_type="cache.t4g.small", num_cache_clusters=2,
                                 automatic_failover_enabled=True, multi_az_enabled=True, at_rest_encryption_enabled=True,
                                 transit_encryption_enabled=True, transit_encryption_mode="preferred",
                                 auth_token="a-long-enough-token-123")
