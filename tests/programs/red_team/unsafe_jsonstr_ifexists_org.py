"""StringEqualsIfExists on aws:PrincipalOrgID: a caller without the key (any service, anonymous) passes."""
import pulumi_aws as aws

EXPECTED = "resource-policy-not-public"
aws.sns.Topic("news", name="news", kms_master_key_id="alias/news", policy="""{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*",
   "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}""")
