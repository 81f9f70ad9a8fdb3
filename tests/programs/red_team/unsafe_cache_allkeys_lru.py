"""The queue's cache on a parameter group with maxmemory-policy allkeys-lru."""
import pulumi_aws as aws

EXPECTED = "cache-no-eviction"
params = aws.elasticache.ParameterGroup("queue-params", name="queue-params", family="redis7",
                                        parameters=[{"name": "maxmemory-policy", "value": "allkeys-lru"}])
aws.elasticache.ReplicationGroup("queue-cache", description="queue", node_type="cache.t4g.small", num_cache_clusters=2,
                                 parameter_group_name=params.name, at_rest_encryption_enabled=True,
                                 transit_encryption_enabled=True, auth_token="a-long-enough-token-123",
                                 tags={"qcap:role": "cache", "qcap:workload": "tracks"})
