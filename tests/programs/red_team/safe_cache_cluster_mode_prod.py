"""A prod cluster-mode Redis: 2 shards x 1 replica, failover, Multi-AZ, TLS required, AUTH, snapshots, noeviction."""
import pulumi_aws as aws

EXPECTED = None
STACK = "prod"
params = aws.elasticache.ParameterGroup("tracks-params", name="tracks-params", family="redis7",
                                        parameters=[{"name": "maxmemory-policy", "value": "noeviction"},
                                                    {"name": "cluster-enabled", "value": "yes"}])
aws.elasticache.ReplicationGroup("tracks", replication_group_id="tracks", description="tracks queue", node_type="cache.r7g.large",
                                 num_node_groups=2, replicas_per_node_group=1, automatic_failover_enabled=True,
                                 multi_az_enabled=True, at_rest_encryption_enabled=True, transit_encryption_enabled=True,
                                 transit_encryption_mode="required", auth_token="a-long-enough-token-123",
                                 kms_key_id="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                 snapshot_retention_limit=7, parameter_group_name=params.name,
                                 tags={"qcap:role": "cache", "qcap:workload": "tracks"})
