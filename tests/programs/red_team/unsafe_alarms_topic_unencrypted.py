"""A topic without any KMS key."""
import pulumi_aws as aws

EXPECTED = "sns-encrypted"
aws.sns.Topic("clear", name="clear")
