"""The consumer's log group keeps logs forever: advised."""
import pulumi_aws as aws

EXPECTED = "log-group-retention"
LEVEL = "advisory"
aws.cloudwatch.LogGroup("consumer-logs", name="/ecs/consumer")
