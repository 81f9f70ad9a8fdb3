"""A topic policy granting a named account sns:* : every action, including changing the policy."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
topic = aws.sns.Topic("ops", name="ops", kms_master_key_id="alias/ops")
aws.sns.TopicPolicy("ops-policy", arn=topic.arn, policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                    '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sns:*","Resource":"*"}]}')
