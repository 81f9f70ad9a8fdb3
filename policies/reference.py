"""The pack's rules as Markdown tables, generated from the rules themselves.

`python -m policies.reference` prints the rule table the README carries and the table of
peer checks (checkov, cdk-nag) docs/policies.md carries; tests keep both in step.
"""

from __future__ import annotations

from policies.pack import all_rules, family_of

# Every peer check the issue names, with the qcap rules covering it, or why none applies.
PEER_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("checkov CKV_AWS_27", "SQS queue encrypted", "sqs-encrypted"),
    ("checkov CKV_AWS_72", "SQS policy does not allow every action", "resource-policy-not-public"),
    ("checkov CKV_AWS_168", "SQS policy not public", "resource-policy-not-public"),
    ("checkov CKV_AWS_333", "ECS service without public IP", "ecs-no-public-ip, target-no-public-ip"),
    ("checkov CKV_AWS_334", "ECS container not privileged", "ecs-not-privileged"),
    ("checkov CKV_AWS_336", "ECS container read-only root filesystem", "ecs-read-only-root"),
    ("checkov CKV_AWS_249", "execution role differs from task role", "ecs-distinct-task-roles (advisory)"),
    ("checkov CKV_AWS_65", "ECS cluster Container Insights", "ecs-cluster-container-insights"),
    ("checkov CKV_AWS_29", "ElastiCache encrypted at rest", "cache-encrypted, cache-cluster-in-replication-group"),
    ("checkov CKV_AWS_30", "ElastiCache encrypted in transit", "cache-encrypted, cache-cluster-in-replication-group"),
    ("checkov CKV_AWS_31", "ElastiCache transit encryption with an AUTH token", "cache-auth-token"),
    ("checkov CKV_AWS_191", "ElastiCache at rest under a customer key", "customer-managed-key (advisory)"),
    ("checkov CKV_AWS_134", "ElastiCache automatic backups", "cache-snapshot-retention (prod; the components keep "
                                                            "1 day elsewhere too)"),
    ("checkov CKV_AWS_26", "SNS topic encrypted", "sns-encrypted"),
    ("checkov CKV_AWS_60", "IAM role assumable only by named principals", "iam-trust-not-public"),
    ("checkov CKV_AWS_274", "no AdministratorAccess", "iam-no-admin-policy"),
    ("checkov CKV_AWS_66", "log group retention", "log-group-retention (advisory; a year in prod: CKV_AWS_338)"),
    ("cdk-nag AwsSolutions-SQS2", "SQS server-side encryption", "sqs-encrypted"),
    ("cdk-nag AwsSolutions-SQS3", "a queue not used as a DLQ has a DLQ", "sqs-queue-has-dlq"),
    ("cdk-nag AwsSolutions-SQS4", "SQS requires TLS", "sqs-tls-only"),
    ("cdk-nag AwsSolutions-ECS2", "no secrets in container environment", "ecs-no-plaintext-secrets"),
    ("cdk-nag AwsSolutions-ECS4", "Container Insights", "ecs-cluster-container-insights"),
    ("cdk-nag AwsSolutions-ECS7", "container logging", "ecs-container-logging (advisory)"),
    ("cdk-nag AwsSolutions-AEC3", "Redis encryption at rest and in transit", "cache-encrypted"),
    ("cdk-nag AwsSolutions-AEC4", "Redis Multi-AZ", "cache-failover-in-prod (prod only: a dev cache may be one "
                                                   "node, its loss costs test data)"),
    ("cdk-nag AwsSolutions-AEC5", "cache not on the default port",
     "not covered: a non-default port hides nothing from a scanner inside the VPC; the cache is reachable only "
     "from the consumers' security group, over TLS, with AUTH (cache-encrypted, cache-auth-token), and a custom "
     "port only breaks clients"),
    ("cdk-nag AwsSolutions-AEC6", "Redis AUTH", "cache-auth-token"),
    ("cdk-nag AwsSolutions-SNS2", "SNS server-side encryption", "sns-encrypted"),
    ("cdk-nag AwsSolutions-SNS3", "SNS requires TLS publishers", "sns-tls-only"),
    ("cdk-nag AwsSolutions-IAM4", "no AWS-managed policies",
     "partly: iam-no-admin-policy blocks the admin and *FullAccess managed policies; narrowly scoped ones "
     "(AmazonECSTaskExecutionRolePolicy, which AWS keeps current for ECR and Logs) stay allowed"),
    ("cdk-nag AwsSolutions-IAM5", "no wildcard permissions", "iam-least-privilege, iam-no-allow-not-action"),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    lines = ["| id | family | level | kind | what it checks | why | fix | anchor |",
             "|---|---|---|---|---|---|---|---|"]
    for rule in all_rules():
        config = "".join(f" Config: `{k}` (default {v['default']!r})." for k, v in rule.config_schema.items()
                         if "default" in v)
        kind = "stack" if rule.stack else "resource"
        lines.append(f"| `{rule.id}` | {family_of(rule)} | {rule.level} | {kind} | {_cell(rule.description + config)} "
                     f"| {_cell(rule.why)} | {_cell(rule.remediation)} | {_cell(rule.anchor or '-')} |")
    return "\n".join(lines) + "\n"


def peers_markdown() -> str:
    lines = ["| peer check | what it asks | qcap rule(s), or why it does not apply |", "|---|---|---|"]
    lines += [f"| {peer} | {_cell(what)} | {_cell(covered)} |" for peer, what, covered in PEER_CHECKS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_markdown())
    print(peers_markdown())
