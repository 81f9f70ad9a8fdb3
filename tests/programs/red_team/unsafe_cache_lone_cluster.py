"""A lone aws.elasticache.Cluster holding a Redis queue: no encryption at rest, no failover."""
import pulumi_aws as aws

EXPECTED = "cache-cluster-in-replication-group"
aws.elasticache.Cluster("lone", cluster_id="lone", engine="redis", node_type="cache.t4g.micro", num_cache_nodes=1)
