"""Documented rules layer of the contract: what AWS and Cloudflare document but botocore's models do not carry.

Each rule reads a named constant with its source: from capacity/limits.py where the planner
or the policies share it, else from here (a fact only the contract needs). Rules run over
the translated AWS calls (contract_calls) and over the Cloudflare registrations as recorded.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from capacity import limits
from qcap.offline.contract_base import RULES_LAYER, Checker, Resource, check_range, fmt, is_integral
from qcap.offline.contract_calls import ApiCall
from qcap.offline.contract_rules_queues import check_queues

# --- facts only the contract needs, with their sources ----------------------------------

# CloudWatch PutMetricAlarm, Period: 10, 20 or 30 s (high resolution) or a multiple of 60.
HIGH_RESOLUTION_PERIODS_SECONDS = (10, 20, 30)
PERIOD_MULTIPLE_SECONDS = 60
# PutMetricAlarm: Period x EvaluationPeriods at most one day for periods under an hour, else 7 days.
LONG_PERIOD_SECONDS = 3_600
MAX_ALARM_WINDOW_LONG_PERIOD_SECONDS = 7 * limits.SECONDS_PER_DAY
# CloudWatch MetricDataQuery Id: starts with a lowercase letter; letters, digits and underscores.
METRIC_ID_PATTERN = re.compile(r"[a-z][a-zA-Z0-9_]*")
# CloudWatch metric math: functions are upper case (IF, FILL, MAX, METRICS, ...); any other
# identifier in an expression must be the id of a query of the same request.
METRIC_MATH_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
METRIC_MATH_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
# CloudWatch Logs PutRetentionPolicy retentionInDays: these values only.
LOG_RETENTION_DAYS_ALLOWED = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                              2557, 2922, 3288, 3653)
# Cloudflare Queues limits: a delivery or retry delay of at most 12 hours; retries 0-100.
CLOUDFLARE_MIN_BATCH_SIZE = 1
CLOUDFLARE_MIN_CONCURRENCY = 1

SRC_ALARM = "CloudWatch API reference, PutMetricAlarm"
SRC_ALARM_LIMITS = "CloudWatch alarm limits (metric math in alarms)"
SRC_METRIC_QUERY = "CloudWatch API reference, MetricDataQuery"
SRC_TRACKING = "Application Auto Scaling API reference, TargetTrackingMetricDataQuery"
SRC_FARGATE = "ECS RegisterTaskDefinition, Fargate task CPU and memory"
SRC_STOP = "ECS container definition stopTimeout (Fargate maximum)"
SRC_LOGS = "CloudWatch Logs API reference, PutRetentionPolicy"
SRC_CACHE = "ElastiCache API reference, CreateReplicationGroup"
SRC_CLOUDFLARE = "Cloudflare Queues limits (developers.cloudflare.com/queues/platform/limits/)"
SRC_CLOUDFLARE_DLQ = "Cloudflare Queues, dead letter queues (the DLQ must be a queue of the account)"

CF_QUEUE = "cloudflare:index/queue:Queue"
CF_CONSUMER = "cloudflare:index/queueConsumer:QueueConsumer"


_range = check_range


# --- CloudWatch alarms and metric math ------------------------------------------------------


def period_ok(period: float) -> bool:
    return period in HIGH_RESOLUTION_PERIODS_SECONDS or (period > 0 and period % PERIOD_MULTIPLE_SECONDS == 0)


def check_metric_math(c: Checker, where: tuple[str, str], field: str, queries: list[dict[str, Any]],
                      source: str, return_data_default: bool) -> None:
    """Ids well formed and unique, exactly one ReturnData, every identifier an expression uses defined."""
    ids = [q.get("Id", "") for q in queries]
    for i, query_id in enumerate(ids):
        c.check(METRIC_ID_PATTERN.fullmatch(query_id) is not None, where, f"{field}[{i}].Id",
                "a lowercase letter, then letters, digits or _", SRC_METRIC_QUERY, f"id {query_id!r} is not allowed")
        c.check(ids.count(query_id) == 1, where, f"{field}[{i}].Id", "unique ids", SRC_METRIC_QUERY,
                f"id {query_id!r} is used {ids.count(query_id)} times")
    returned = [q.get("Id") for q in queries if q.get("ReturnData", return_data_default)]
    c.check(len(returned) == 1, where, f"{field}[].ReturnData", "exactly one ReturnData true", source,
            f"{len(returned)} queries return data ({', '.join(map(str, returned)) or 'none'})")
    for i, q in enumerate(queries):
        expression = q.get("Expression")
        if not expression:
            continue
        names = METRIC_MATH_IDENTIFIER.findall(METRIC_MATH_STRING.sub("", expression))
        unknown = sorted({n for n in names if not n.isupper() and n not in ids})
        c.check(not unknown, where, f"{field}[{i}].Expression", "references only ids of the same request",
                SRC_METRIC_QUERY, f"{expression!r} references {', '.join(unknown)}, which no query defines")
        c.check(q.get("Id") not in names, where, f"{field}[{i}].Expression", "no self-reference", SRC_METRIC_QUERY,
                f"{expression!r} references its own id {q.get('Id')!r}")


def check_alarm(c: Checker, call: ApiCall) -> None:
    p, where = call.params, call.source
    metrics = p.get("Metrics") or []
    c.check(bool(p.get("MetricName")) != bool(metrics), where, "MetricName/Metrics", "exactly one of the two",
            SRC_ALARM, "give either MetricName (one metric) or Metrics (metric math), not both or neither")
    periods = [("Period", p.get("Period"))] + [
        (f"Metrics[{i}].MetricStat.Period", (q.get("MetricStat") or {}).get("Period"))
        for i, q in enumerate(metrics) if q.get("MetricStat")]
    for field, period in periods:
        if period is not None:
            c.check(period_ok(period), where, field, "10, 20, 30 or a multiple of 60 seconds", SRC_ALARM,
                    f"a period of {fmt(period)} s is not allowed")
    longest = max((v for _, v in periods if v is not None), default=None)
    evaluations = p.get("EvaluationPeriods")
    if longest is not None and evaluations is not None:
        cap = (limits.CLOUDWATCH_MAX_ALARM_WINDOW_SECONDS if longest < LONG_PERIOD_SECONDS
               else MAX_ALARM_WINDOW_LONG_PERIOD_SECONDS)
        c.check(longest * evaluations <= cap, where, "EvaluationPeriods", f"Period x EvaluationPeriods <= {cap} s",
                SRC_ALARM, f"{fmt(longest)} s x {evaluations} = {fmt(longest * evaluations)} s")
    if p.get("DatapointsToAlarm") is not None and evaluations is not None:
        c.check(p["DatapointsToAlarm"] <= evaluations, where, "DatapointsToAlarm", "<= EvaluationPeriods", SRC_ALARM,
                f"{p['DatapointsToAlarm']} datapoints of {evaluations} periods")
    if p.get("TreatMissingData") is not None:
        c.check(p["TreatMissingData"] in limits.CLOUDWATCH_TREAT_MISSING_DATA, where, "TreatMissingData",
                f"one of {', '.join(limits.CLOUDWATCH_TREAT_MISSING_DATA)}", SRC_ALARM,
                f"{p['TreatMissingData']!r} is not allowed")
    if metrics:
        c.check(len(metrics) <= limits.CLOUDWATCH_MAX_METRICS_PER_ALARM, where, "Metrics",
                f"<= {limits.CLOUDWATCH_MAX_METRICS_PER_ALARM} queries", SRC_ALARM_LIMITS, f"{len(metrics)} queries")
        check_metric_math(c, where, "Metrics", metrics, SRC_ALARM_LIMITS, return_data_default=True)


def check_scaling_policy(c: Checker, call: ApiCall) -> None:
    custom = ((call.params.get("TargetTrackingScalingPolicyConfiguration") or {})
              .get("CustomizedMetricSpecification") or {})
    if custom.get("Metrics"):
        check_metric_math(c, call.source, "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification"
                          ".Metrics", custom["Metrics"], SRC_TRACKING, return_data_default=True)


# --- ECS, Logs, ElastiCache (SQS: contract_rules_queues) --------------------------------------------------------------


def check_task_definition(c: Checker, call: ApiCall) -> None:
    p, where = call.params, call.source
    if "FARGATE" in (p.get("requiresCompatibilities") or []):
        cpu, memory = int(p.get("cpu", 0)), int(p.get("memory", 0))
        allowed = limits.FARGATE_MEMORY_MIB_BY_CPU.get(cpu)
        if c.check(allowed is not None, where, "cpu", f"one of {', '.join(map(str, limits.FARGATE_MEMORY_MIB_BY_CPU))}",
                   SRC_FARGATE, f"{cpu} CPU units is not a Fargate size"):
            shown = f"{allowed[0]}-{allowed[-1]} MiB" if len(allowed) > 3 else ", ".join(map(str, allowed)) + " MiB"
            c.check(memory in allowed, where, "memory", f"with cpu {cpu}: {shown}", SRC_FARGATE,
                    f"{cpu} CPU / {memory} MiB is not a Fargate combination")
    for i, container in enumerate(p.get("containerDefinitions") or []):
        stop = container.get("stopTimeout")
        if stop is not None:
            c.check(stop <= limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS, where, f"containerDefinitions[{i}].stopTimeout",
                    f"<= {limits.FARGATE_MAX_STOP_TIMEOUT_SECONDS} s", SRC_STOP, f"{stop} s")


def check_log_retention(c: Checker, call: ApiCall) -> None:
    days = call.params.get("retentionInDays")
    c.check(days in LOG_RETENTION_DAYS_ALLOWED, call.source, "retentionInDays",
            "one of " + ", ".join(map(str, LOG_RETENTION_DAYS_ALLOWED)), SRC_LOGS, f"{days} days is not allowed")


def check_replication_group(c: Checker, call: ApiCall) -> None:
    p, where = call.params, call.source
    nodes = p.get("NumCacheClusters")
    if nodes is not None:
        _range(c, where, "NumCacheClusters", nodes, 1, limits.ELASTICACHE_MAX_NODES_PER_SHARD, SRC_CACHE)
        if p.get("AutomaticFailoverEnabled"):
            c.check(nodes >= limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER, where, "AutomaticFailoverEnabled",
                    f">= {limits.ELASTICACHE_MIN_NODES_FOR_FAILOVER} cache clusters", SRC_CACHE, f"{nodes} node(s)")
    token = p.get("AuthToken")
    if token is not None:
        c.check(bool(p.get("TransitEncryptionEnabled")), where, "AuthToken", "needs TransitEncryptionEnabled",
                SRC_CACHE, "an AUTH token without transit encryption")
        _range(c, where, "AuthToken (length)", len(token), limits.ELASTICACHE_AUTH_TOKEN_MIN_CHARS,
               limits.ELASTICACHE_AUTH_TOKEN_MAX_CHARS, SRC_CACHE)


# --- Cloudflare -------------------------------------------------------------------------------


def check_cloudflare(c: Checker, resources: Iterable[Resource]) -> None:
    resources = list(resources)
    queue_names = {r.inputs.get("queueName") for r in resources if r.type == CF_QUEUE}
    for r in resources:
        if r.type == CF_QUEUE:
            settings = r.inputs.get("settings") or {}
            _range(c, r, "settings.messageRetentionPeriod", settings.get("messageRetentionPeriod"),
                   limits.CLOUDFLARE_MIN_RETENTION_SECONDS, limits.CLOUDFLARE_MAX_RETENTION_SECONDS, SRC_CLOUDFLARE)
            _range(c, r, "settings.deliveryDelay", settings.get("deliveryDelay"), 0,
                   limits.CLOUDFLARE_MAX_DELIVERY_DELAY_SECONDS, SRC_CLOUDFLARE)
        elif r.type == CF_CONSUMER:
            s = r.inputs.get("settings") or {}
            for field, low, high in (
                ("batchSize", CLOUDFLARE_MIN_BATCH_SIZE, limits.CLOUDFLARE_MAX_BATCH_SIZE),
                ("maxWaitTimeMs", 0, limits.CLOUDFLARE_MAX_WAIT_TIME_MS),
                ("maxConcurrency", CLOUDFLARE_MIN_CONCURRENCY, limits.CLOUDFLARE_MAX_CONSUMER_CONCURRENCY),
                ("maxRetries", 0, limits.CLOUDFLARE_MAX_RETRIES),
                ("retryDelay", 0, limits.CLOUDFLARE_MAX_DELIVERY_DELAY_SECONDS),
            ):
                value = s.get(field)
                if value is not None:
                    c.check(is_integral(value), r, f"settings.{field}", "an integer", SRC_CLOUDFLARE, f"{value!r}")
                _range(c, r, f"settings.{field}", value, low, high, SRC_CLOUDFLARE)
            dlq = r.inputs.get("deadLetterQueue")
            if dlq:
                c.check(dlq in queue_names, r, "deadLetterQueue", "a queue this stack creates", SRC_CLOUDFLARE_DLQ,
                        f"{dlq!r} is not one of the stack's queues ({', '.join(sorted(map(str, queue_names)))}); "
                        "Cloudflare would create it by itself")


def check_rules(calls: list[ApiCall], resources: Iterable[Resource]) -> Checker:
    """Every documented rule over the translated calls and the Cloudflare registrations."""
    c = Checker(RULES_LAYER)
    check_queues(c, calls)
    for call in calls:
        if call.operation == "PutMetricAlarm":
            check_alarm(c, call)
        elif call.operation == "PutScalingPolicy":
            check_scaling_policy(c, call)
        elif call.operation == "RegisterTaskDefinition":
            check_task_definition(c, call)
        elif call.operation == "PutRetentionPolicy":
            check_log_retention(c, call)
        elif call.operation == "CreateReplicationGroup":
            check_replication_group(c, call)
    check_cloudflare(c, resources)
    return c
