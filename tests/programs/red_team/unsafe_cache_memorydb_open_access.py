"""A MemoryDB cluster on the open-access ACL."""
import pulumi_aws as aws

EXPECTED = "memorydb-access-controlled"
aws.memorydb.Cluster("queue-db", name="queue-db", node_type="db.t4g.small", acl_name="open-access", num_shards=1,
                     num_replicas_per_shard=1, tls_enabled=True)
