"""A tagged queue-cache parameter group with volatile-lfu, set in mixed case."""
import pulumi_aws as aws

EXPECTED = "cache-no-eviction"
aws.elasticache.ParameterGroup("tracks-params", name="tracks-params", family="valkey8",
                               parameters=[{"name": "MaxMemory-Policy", "value": "volatile-lfu"}],
                               tags={"qcap:workload": "tracks"})
