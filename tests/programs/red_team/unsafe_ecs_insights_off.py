"""A cluster with Container Insights disabled: no RunningTaskCount for backlog per task."""
import pulumi_aws as aws

EXPECTED = "ecs-cluster-container-insights"
aws.ecs.Cluster("bare", settings=[{"name": "containerInsights", "value": "disabled"}])
