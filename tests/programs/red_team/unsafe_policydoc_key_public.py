"""get_policy_document for a key policy letting any principal decrypt."""
import pulumi_aws as aws

EXPECTED = "kms-key-policy-not-public"
document = aws.iam.get_policy_document(statements=[
    {"sid": "Root", "actions": ["kms:*"], "resources": ["*"],
     "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::123456789012:root"]}]},
    {"sid": "Anyone", "actions": ["kms:Decrypt", "kms:GenerateDataKey"], "resources": ["*"],
     "principals": [{"type": "AWS", "identifiers": ["*"]}]}])
aws.kms.Key("queue-key", enable_key_rotation=True, policy=document.json)
