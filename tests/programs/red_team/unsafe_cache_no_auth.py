"""A Redis queue with neither AUTH token nor user group."""
import pulumi_aws as aws

EXPECTED = "cache-auth-token"
aws.elasticache.ReplicationGroup("open-cache", description="open", node_type="cache.t4g.small", num_cache_clusters=2,
                                 at_rest_encryption_enabled=True, transit_encryption_enabled=True)
