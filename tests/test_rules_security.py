"""Security and operations rules: each fires on a minimal bad resource and stays quiet on the good one."""

from __future__ import annotations

import json

import pytest

from policies.pack import wrap_props
from policies.rules_base import ResourceView, Rule
from policies.rules_security import RULES, denies_insecure_transport

RULE = {r.id: r for r in RULES}
QUEUE = "aws:sqs/queue:Queue"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
TLS_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "arn:q",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def view(type_: str, name: str, props: dict, *, deps: tuple[str, ...] = (), **options) -> ResourceView:
    return ResourceView(type=type_, name=name, props=wrap_props(props), urn=f"urn:{name}", dependencies=deps,
                        **options)


def messages(rule: Rule, resource: ResourceView, config: dict | None = None) -> list[str]:
    return [v.message for v in rule.run(resource, config)]


def queue(environment: str = "dev", protect: bool = False, **props) -> ResourceView:
    base = {"name": "qcap-dev-orders", "sqsManagedSseEnabled": True,
            "tags": {"qcap:role": "queue", "qcap:environment": environment}}
    return view(QUEUE, "orders-queue", {**base, **props}, protect=protect)


def test_sqs_encrypted_fires_without_sse_or_kms():
    assert messages(RULE["sqs-encrypted"], queue(sqsManagedSseEnabled=False)) == [
        "SQS queue `orders-queue` is not encrypted at rest: neither sqsManagedSseEnabled nor kmsMasterKeyId is set."
    ]


def test_sqs_encrypted_is_quiet_with_sse_sqs_or_a_kms_key():
    assert messages(RULE["sqs-encrypted"], queue()) == []
    assert messages(RULE["sqs-encrypted"], queue(sqsManagedSseEnabled=None, kmsMasterKeyId="alias/aws/sqs")) == []


def test_tls_only_fires_when_no_policy_denies_plain_http():
    result = RULE["sqs-tls-only"].run_stack([queue()])
    assert [v.message for v in result] == [
        "SQS queue `orders-queue` has no policy denying requests without TLS (aws:SecureTransport = false)."
    ]
    assert result[0].urn == "urn:orders-queue"


def test_tls_only_is_quiet_with_a_deny_policy_attached_by_dependency():
    policy = view("aws:sqs/queuePolicy:QueuePolicy", "orders-queue-policy", {"queueUrl": "u", "policy": TLS_ONLY},
                  deps=("urn:orders-queue",))
    assert RULE["sqs-tls-only"].run_stack([queue(), policy]) == []


def test_denies_insecure_transport_ignores_an_allow_statement():
    allow = json.dumps({"Statement": [{"Effect": "Allow", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
    assert denies_insecure_transport(allow) is False
    assert denies_insecure_transport(TLS_ONLY) is True


def test_prod_queue_protected_fires_for_an_unprotected_prod_queue():
    assert messages(RULE["prod-queue-protected"], queue("prod")) == [
        "SQS queue `orders-queue` is in a prod stack but not protected: a rename or a `pulumi destroy` deletes it "
        "with its messages."
    ]


def test_prod_queue_protected_is_quiet_when_protected_or_not_prod():
    assert messages(RULE["prod-queue-protected"], queue("prod", protect=True)) == []
    assert messages(RULE["prod-queue-protected"], queue("dev")) == []


def service(public: bool) -> ResourceView:
    return view("aws:ecs/service:Service", "orders-service",
                {"networkConfiguration": {"assignPublicIp": public, "subnets": ["subnet-1"]}})


def test_no_public_ip_fires_when_tasks_get_public_ips():
    assert messages(RULE["ecs-no-public-ip"], service(True)) == [
        "ECS service `orders-service` assigns public IPs to its tasks (networkConfiguration.assignPublicIp)."
    ]
    assert messages(RULE["ecs-no-public-ip"], service(False)) == []


def task(**container) -> ResourceView:
    base = {"name": "consumer", "image": "python:3.12", "environment": [{"name": "QUEUE_URL", "value": "https://q"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {}}}
    return view(TASK, "orders-task", {"family": "f", "containerDefinitions": json.dumps([{**base, **container}])})


def test_not_privileged_fires_for_a_privileged_container():
    assert messages(RULE["ecs-not-privileged"], task(privileged=True)) == [
        "task definition `orders-task` runs container `consumer` privileged."
    ]
    assert messages(RULE["ecs-not-privileged"], task()) == []


def test_plaintext_secrets_fires_on_a_password_in_the_environment():
    leaky = task(environment=[{"name": "DB_PASSWORD", "value": "hunter2hunter2"}])
    assert messages(RULE["ecs-no-plaintext-secrets"], leaky) == [
        "task definition `orders-task`, container `consumer`: environment variable `DB_PASSWORD` holds what looks "
        "like a secret in plain text (detect-secrets: Secret Keyword)."
    ]


def test_plaintext_secrets_fires_on_an_access_key_whatever_its_name():
    leaky = task(environment=[{"name": "SETTING", "value": "AKIAABCDEFGHIJKLMNOP"}])
    assert len(messages(RULE["ecs-no-plaintext-secrets"], leaky)) == 1


@pytest.mark.parametrize("name,value", [
    ("DB_PASS", "hunter2-but-longer"),
    ("JWT_SIGNING_KEY", "k8Jd92hfQ0pLm3Nz7Yx1Vb5Tc"),
    ("SENTRY_DSN", "https://3f2a9c1e5b7d4e8f9a0b1c2d3e4f5a6b@o123456.ingest.sentry.io/4504"),
    ("DATABASE_URL", "postgres://app:S3cr3tPassw0rd@db.internal:5432/app"),
    ("UPSTREAM", "AKIAIOSFODNN7EXAMPLE"),
    ("SETTINGS_BLOB", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
])
def test_plaintext_secrets_fires_on_a_credential_by_its_name_or_its_value(name, value):
    leaky = task(environment=[{"name": name, "value": value}])
    assert [m.split("`")[5] for m in messages(RULE["ecs-no-plaintext-secrets"], leaky)] == [name]


def test_plaintext_secrets_never_reports_the_worker_documented_variables():
    from policies.contract import WORKER_PLAIN_VARIABLES

    values = {"QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/orders", "METRIC_NAMESPACE": "qcap/Redis",
              "REDIS_QUEUE_KEY": "qcap:{orders}", "ECS_AGENT_URI": "http://169.254.170.2/api/3f2a9c1e5b7d4e8f"}
    fine = task(environment=[{"name": n, "value": values.get(n, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLE")}
                             for n in WORKER_PLAIN_VARIABLES if n not in ("AWS_REGION",)])
    assert messages(RULE["ecs-no-plaintext-secrets"], fine) == []


def test_plaintext_secrets_is_quiet_for_references_and_ordinary_settings():
    fine = task(environment=[{"name": "QUEUE_URL", "value": "https://q"}, {"name": "DB_SECRET_ARN", "value": "arn:x"}],
                secrets=[{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:..."}])
    assert messages(RULE["ecs-no-plaintext-secrets"], fine) == []


def test_container_logging_fires_without_a_log_configuration():
    assert messages(RULE["ecs-container-logging"], task(logConfiguration=None)) == [
        "task definition `orders-task`, container `consumer` has no logConfiguration: its output is lost."
    ]
    assert messages(RULE["ecs-container-logging"], task()) == []


def role_policy(statements: list[dict]) -> ResourceView:
    return view("aws:iam/rolePolicy:RolePolicy", "orders-task-policy",
                {"role": "r", "policy": json.dumps({"Version": "2012-10-17", "Statement": statements})})


def test_least_privilege_fires_on_wildcard_actions_and_resources():
    broad = role_policy([{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}])
    assert messages(RULE["iam-least-privilege"], broad) == [
        "IAM `orders-task-policy` allows wildcard action(s) sqs:* (= 20 actions).",
        "IAM `orders-task-policy` allows sqs:addpermission, sqs:cancelmessagemovetask, sqs:changemessagevisibility, "
        "sqs:createqueue and 16 more on every resource (*).",
    ]


def test_least_privilege_allows_put_metric_data_on_any_resource_and_named_queue_actions():
    narrow = role_policy([
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": ["arn:aws:sqs:q"]},
        {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": "*"},
    ])
    assert messages(RULE["iam-least-privilege"], narrow) == []


def test_least_privilege_fires_on_a_broad_managed_policy():
    role = view("aws:iam/role:Role", "orders-task-role",
                {"assumeRolePolicy": "{}", "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSQSFullAccess"]})
    assert messages(RULE["iam-least-privilege"], role) == [
        "IAM role `orders-task-role` attaches the broad managed policy arn:aws:iam::aws:policy/AmazonSQSFullAccess."
    ]


def cache(environment: str = "prod", **props) -> ResourceView:
    base = {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True, "authToken": "x" * 32,
            "numCacheClusters": 2, "automaticFailoverEnabled": True, "multiAzEnabled": True,
            "snapshotRetentionLimit": 7, "tags": {"qcap:role": "cache", "qcap:environment": environment}}
    return view(CACHE, "tracks-cache", {**base, **props})


def test_cache_encrypted_fires_without_at_rest_or_transit_encryption():
    assert messages(RULE["cache-encrypted"], cache(atRestEncryptionEnabled=False, transitEncryptionEnabled=False)) == [
        "replication group `tracks-cache` does not enable atRestEncryptionEnabled and transitEncryptionEnabled."
    ]
    assert messages(RULE["cache-encrypted"], cache()) == []


def test_cache_auth_fires_without_a_token_or_user_group():
    assert messages(RULE["cache-auth-token"], cache(authToken=None)) == [
        "replication group `tracks-cache` has no AUTH token or user group: anyone on the network can read and "
        "delete the queue."
    ]
    assert messages(RULE["cache-auth-token"], cache()) == []


def test_cache_auth_fires_when_the_token_would_travel_without_tls():
    result = messages(RULE["cache-auth-token"], cache(transitEncryptionEnabled=False))
    assert len(result) == 1 and "without transit encryption" in result[0]


def test_cache_failover_fires_for_a_single_node_prod_cache():
    single = cache(numCacheClusters=1, automaticFailoverEnabled=False, multiAzEnabled=False)
    assert messages(RULE["cache-failover-in-prod"], single) == [
        "replication group `tracks-cache` is prod with 1 node per shard: a lost primary loses the queue.",
        "replication group `tracks-cache` is prod without automaticFailoverEnabled.",
        "replication group `tracks-cache` is prod without multiAzEnabled.",
    ]


def test_cache_failover_reads_a_cluster_mode_group_by_its_shards_replicas():
    sharded = {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True, "authToken": "x" * 32,
               "automaticFailoverEnabled": True, "multiAzEnabled": True, "snapshotRetentionLimit": 7,
               "tags": {"qcap:role": "cache", "qcap:environment": "prod"}}
    two_by_one = view("aws:elasticache/replicationGroup:ReplicationGroup", "tracks-cache",
                      {**sharded, "numNodeGroups": 2, "replicasPerNodeGroup": 1})
    assert messages(RULE["cache-failover-in-prod"], two_by_one) == []
    no_replica = view("aws:elasticache/replicationGroup:ReplicationGroup", "tracks-cache",
                      {**sharded, "numNodeGroups": 2, "replicasPerNodeGroup": 0})
    assert len(messages(RULE["cache-failover-in-prod"], no_replica)) == 1


def test_cache_failover_is_quiet_in_dev_and_for_a_replicated_prod_cache():
    assert messages(RULE["cache-failover-in-prod"], cache("dev", numCacheClusters=1)) == []
    assert messages(RULE["cache-failover-in-prod"], cache()) == []


def test_cache_snapshots_fire_for_prod_without_snapshots():
    assert messages(RULE["cache-snapshot-retention"], cache(snapshotRetentionLimit=0)) == [
        "replication group `tracks-cache` is prod and keeps 0 days of snapshots; keep at least 1."
    ]
    assert messages(RULE["cache-snapshot-retention"], cache()) == []
    assert messages(RULE["cache-snapshot-retention"], cache("dev", snapshotRetentionLimit=0)) == []


def test_log_retention_fires_when_logs_never_expire():
    forever = view("aws:cloudwatch/logGroup:LogGroup", "orders-logs", {"name": "/qcap/dev/orders"})
    kept = view("aws:cloudwatch/logGroup:LogGroup", "orders-logs", {"name": "/qcap/dev/orders", "retentionInDays": 30})
    assert messages(RULE["log-group-retention"], forever) == [
        "log group `orders-logs` keeps logs forever (retentionInDays unset): the bill grows without bound."
    ]
    assert messages(RULE["log-group-retention"], kept) == []


def test_alarm_has_actions_fires_for_a_silent_alarm():
    silent = view("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-alarm-age", {"alarmActions": []})
    heard = view("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-alarm-age", {"alarmActions": ["arn:aws:sns:t"]})
    assert messages(RULE["alarm-has-actions"], silent) == [
        "alarm `orders-alarm-age` has no alarmActions: it changes state and nobody hears it."
    ]
    assert messages(RULE["alarm-has-actions"], heard) == []


def test_every_security_rule_names_its_remediation():
    for rule in RULES:
        assert rule.remediation and rule.why, rule.id
