"""A topic whose TLS deny uses BoolIfExists, and a publisher pinned by aws:SourceArn in the own account."""
import pulumi_aws as aws

EXPECTED = None
aws.sns.Topic("events", name="events", kms_master_key_id="alias/events", policy="""{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
    {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*",
     "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:123456789012:*"}}}
  ]
}""")
