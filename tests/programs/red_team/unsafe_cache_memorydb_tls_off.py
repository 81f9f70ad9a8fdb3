"""A MemoryDB cluster with TLS off (and a real ACL)."""
import pulumi_aws as aws

EXPECTED = "memorydb-access-controlled"
acl = aws.memorydb.Acl("workers", name="workers", user_names=["worker"])
aws.memorydb.Cluster("plain-db", name="plain-db", node_type="db.t4g.small", acl_name=acl.name, tls_enabled=False)
