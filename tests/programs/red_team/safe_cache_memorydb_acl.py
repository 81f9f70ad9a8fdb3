"""MemoryDB with its own ACL and user, TLS on."""
import pulumi_aws as aws

EXPECTED = None
user = aws.memorydb.User("worker", user_name="worker", access_string="on ~qcap:* +@all",
                         authentication_mode={"type": "password", "passwords": ["a-long-enough-password-1"]})
acl = aws.memorydb.Acl("workers", name="workers", user_names=[user.user_name])
aws.memorydb.Cluster("queue-db", name="queue-db", node_type="db.t4g.small", acl_name=acl.name, tls_enabled=True,
                     num_shards=1, num_replicas_per_shard=1)
