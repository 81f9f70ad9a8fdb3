"""ArnLike aws:SourceArn arn:aws:sns:*:*:* pins nothing: any account's topic may send."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
queue = aws.sqs.Queue("fanout", name="fanout", sqs_managed_sse_enabled=True)
aws.sqs.QueuePolicy("fanout-policy", queue_url=queue.url, policy='{"Version":"2012-10-17","Statement":[{"Effect":'
                    '"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"},'
                    '{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*","Condition":'
                    '{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}}]}')
