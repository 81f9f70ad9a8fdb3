"""A clean raw pulumi_aws / pulumi_cloudflare program, written without qcap's components or planner.

`qcap preview dev --program tests/programs/baseline.py` passes it. Every unsafe case in
tests/unsafe_programs.py is this file with one knob below changed (or one resource added),
so each finding can be reproduced with one command on the generated file.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare

# --- knobs: each unsafe case changes exactly one ----------------------------------------
ENVIRONMENT_TAG = {"qcap:environment": "dev"}
QUEUE_PUBLIC_STATEMENTS = []
QUEUE_INLINE_POLICY = None
TOPIC_PUBLIC_STATEMENTS = []
TOPIC_KMS_KEY = "alias/qcap-raw"
TOPIC_DENY_INSECURE = True
TRUST_PRINCIPAL = {"Service": "ecs-tasks.amazonaws.com"}
TASK_STATEMENT = {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": "QUEUE_ARN"}
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
SCHEDULE_PUBLIC_IP = False
CONTAINER_INSIGHTS = "enabled"
PROCESSING_TAGS = {"qcap:processing-p99-seconds": "4", "qcap:receive-batch": "10", "qcap:concurrency-per-task": "10"}
VISIBILITY_SECONDS = 60
MAX_AGE_SECONDS = "900"
MIN_CAPACITY = 1
MAX_CAPACITY = 20
TARGET_VALUE = 8
BACKLOG_EXPRESSION = "(visible + inflight) / tasks"
STEP_POLICY = False
STEP_ALARM = True
SOURCE_FIFO = False
DLQ_FIFO = False
SOURCE_RETENTION_SECONDS = 1_123_200
DLQ_RETENTION_SECONDS = 1_209_600
CLOUDFLARE_MAX_RETRIES = 3
AGE_ALARM_THRESHOLD = 900
ALARM_TAGS = {"qcap:role": "alarm", "qcap:workload": "orders", "qcap:max-age-seconds": MAX_AGE_SECONDS}
CACHE_NODES = 2
CACHE_TAGS = {"qcap:role": "cache", "qcap:environment": "dev"}
EXTRA = ""

# --- the program ------------------------------------------------------------------------
ACCOUNT = aws.get_caller_identity().account_id
TAGS = {"qcap:role": "queue", "qcap:workload": "orders", **ENVIRONMENT_TAG, "qcap:max-age-seconds": MAX_AGE_SECONDS,
        "qcap:drain-seconds": "86400", "qcap:peak-messages-per-second": "20",
        "qcap:per-task-messages-per-second": "2.5", **PROCESSING_TAGS}


def deny_insecure(resource, action="sqs:*"):
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": resource, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


fifo = {"fifo_queue": True} if SOURCE_FIFO else {}
dlq = aws.sqs.Queue("orders-dlq", name="raw-orders-dlq" + (".fifo" if DLQ_FIFO else ""),
                    message_retention_seconds=DLQ_RETENTION_SECONDS, max_message_size=1048576,
                    sqs_managed_sse_enabled=True, fifo_queue=DLQ_FIFO or None,
                    tags={**TAGS, "qcap:role": "dlq"}, opts=pulumi.ResourceOptions(protect=True))
queue = aws.sqs.Queue("orders-queue", name="raw-orders" + (".fifo" if SOURCE_FIFO else ""),
                      message_retention_seconds=SOURCE_RETENTION_SECONDS,
                      visibility_timeout_seconds=VISIBILITY_SECONDS, max_message_size=1048576,
                      sqs_managed_sse_enabled=True, policy=QUEUE_INLINE_POLICY,
                      redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn,
                                                                           "maxReceiveCount": 5})),
                      tags=TAGS, opts=pulumi.ResourceOptions(protect=True), **fifo)
for name, q in (("orders-queue-policy", queue), ("orders-dlq-policy", dlq)):
    aws.sqs.QueuePolicy(name, queue_url=q.url, policy=q.arn.apply(lambda arn: json.dumps({
        "Version": "2012-10-17", "Statement": [deny_insecure(arn), *QUEUE_PUBLIC_STATEMENTS]})))

topic = aws.sns.Topic("orders-topic", name="raw-orders-alarms", kms_master_key_id=TOPIC_KMS_KEY,
                      tags={**TAGS, "qcap:role": "topic"})
aws.sns.TopicPolicy("orders-topic-policy", arn=topic.arn, policy=topic.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [*([deny_insecure(arn, "sns:*")] if TOPIC_DENY_INSECURE else []),
                  {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
                   "Resource": arn}, *TOPIC_PUBLIC_STATEMENTS]})))

alarm_tags = ALARM_TAGS
aws.cloudwatch.MetricAlarm("orders-alarm-age", namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage",
                           dimensions={"QueueName": queue.name}, statistic="Maximum", period=60,
                           evaluation_periods=3, threshold=AGE_ALARM_THRESHOLD,
                           comparison_operator="GreaterThanThreshold", alarm_actions=[topic.arn], tags=alarm_tags)
aws.cloudwatch.MetricAlarm("orders-alarm-dlq", namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                           dimensions={"QueueName": dlq.name}, statistic="Maximum", period=60, evaluation_periods=1,
                           threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
                           alarm_actions=[topic.arn], tags=alarm_tags)

cluster = aws.ecs.Cluster("cluster", name="raw", settings=[{"name": "containerInsights", "value": CONTAINER_INSIGHTS}])
trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": TRUST_PRINCIPAL, "Action": "sts:AssumeRole"}]})
execution_role = aws.iam.Role("orders-execution-role", assume_role_policy=trust)
aws.iam.RolePolicyAttachment("orders-execution-policy", role=execution_role.name, policy_arn=EXECUTION_POLICY_ARN)
task_role = aws.iam.Role("orders-task-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("orders-task-policy", role=task_role.id, policy=queue.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [json.loads(json.dumps(TASK_STATEMENT).replace("QUEUE_ARN", arn))]})))
log = aws.cloudwatch.LogGroup("orders-log", name="/raw/orders", retention_in_days=30, kms_key_id="arn:aws:kms:key")
task = aws.ecs.TaskDefinition("orders-task", family="raw-orders", cpu="256", memory="512", network_mode="awsvpc",
                              requires_compatibilities=["FARGATE"], execution_role_arn=execution_role.arn,
                              task_role_arn=task_role.arn, volumes=[{"name": "scratch"}],
                              container_definitions=json.dumps([{
                                  "name": "consumer", "image": "example/worker:1", "essential": True,
                                  "readonlyRootFilesystem": True,
                                  "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/tmp"}],
                                  "logConfiguration": {"logDriver": "awslogs",
                                                       "options": {"awslogs-group": "/raw/orders"}}}]))
service = aws.ecs.Service("orders-service", name="orders", cluster=cluster.arn, task_definition=task.arn,
                          desired_count=1, launch_type="FARGATE",
                          network_configuration={"subnets": ["subnet-1"], "assign_public_ip": False},
                          opts=pulumi.ResourceOptions(ignore_changes=["desiredCount"]))
target = aws.appautoscaling.Target("orders-scaling-target", service_namespace="ecs",
                                   scalable_dimension="ecs:service:DesiredCount",
                                   resource_id=pulumi.Output.concat("service/raw/", service.name),
                                   min_capacity=MIN_CAPACITY, max_capacity=MAX_CAPACITY,
                                   tags={**TAGS, "qcap:role": "scaling"})


def stat(query_id, namespace, metric, dimensions):
    return {"id": query_id, "return_data": False, "metric_stat": {"stat": "Average", "metric": {
        "namespace": namespace, "metric_name": metric,
        "dimensions": [{"name": k, "value": v} for k, v in dimensions.items()]}}}


aws.appautoscaling.Policy("orders-scaling-backlog", policy_type="TargetTrackingScaling", service_namespace="ecs",
                          scalable_dimension="ecs:service:DesiredCount", resource_id=target.resource_id,
                          target_tracking_scaling_policy_configuration={
                              "target_value": TARGET_VALUE, "scale_out_cooldown": 60, "scale_in_cooldown": 300,
                              "customized_metric_specification": {"metrics": [
                                  stat("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                       {"QueueName": queue.name}),
                                  stat("inflight", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible",
                                       {"QueueName": queue.name}),
                                  stat("tasks", "ECS/ContainerInsights", "RunningTaskCount",
                                       {"ClusterName": "raw", "ServiceName": service.name}),
                                  {"id": "backlog", "expression": BACKLOG_EXPRESSION, "return_data": True}]}})
if STEP_POLICY:
    step = aws.appautoscaling.Policy("orders-scaling-from-zero", policy_type="StepScaling", service_namespace="ecs",
                                     scalable_dimension="ecs:service:DesiredCount", resource_id=target.resource_id,
                                     step_scaling_policy_configuration={
                                         "adjustment_type": "ChangeInCapacity", "cooldown": 60,
                                         "step_adjustments": [{"metric_interval_lower_bound": "0",
                                                               "scaling_adjustment": 1}]})
    if STEP_ALARM:
        aws.cloudwatch.MetricAlarm("orders-alarm-from-zero", namespace="AWS/SQS",
                                   metric_name="ApproximateNumberOfMessagesVisible",
                                   dimensions={"QueueName": queue.name}, statistic="Maximum", period=60,
                                   evaluation_periods=1, threshold=1,
                                   comparison_operator="GreaterThanOrEqualToThreshold", alarm_actions=[step.arn])

schedule_role = aws.iam.Role("orders-schedule-role", assume_role_policy=json.dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("orders-schedule-policy", role=schedule_role.id, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": task.arn},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": [execution_role.arn, task_role.arn]},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:key"}]}))
aws.scheduler.Schedule("orders-schedule", name="raw-orders", schedule_expression="rate(5 minutes)",
                       flexible_time_window={"mode": "OFF"}, kms_key_arn="arn:aws:kms:key",
                       target={"arn": cluster.arn, "role_arn": schedule_role.arn, "ecs_parameters": {
                           "task_definition_arn": task.arn, "launch_type": "FARGATE",
                           "network_configuration": {"subnets": ["subnet-1"],
                                                     "assign_public_ip": SCHEDULE_PUBLIC_IP}}})

aws.elasticache.ReplicationGroup("orders-cache", replication_group_id="raw-orders", description="orders",
                                 node_type="cache.t4g.small", num_cache_clusters=CACHE_NODES,
                                 automatic_failover_enabled=CACHE_NODES > 1, multi_az_enabled=CACHE_NODES > 1,
                                 at_rest_encryption_enabled=True, transit_encryption_enabled=True,
                                 kms_key_id="arn:aws:kms:key", auth_token="0123456789abcdef0123",
                                 snapshot_retention_limit=1, tags=CACHE_TAGS)

account = "0" * 32
cf_queue = cloudflare.Queue("sessions-queue", account_id=account, queue_name="sessions")
cloudflare.Queue("sessions-dlq", account_id=account, queue_name="sessions-dlq")
cloudflare.QueueConsumer("sessions-consumer", account_id=account, queue_id=cf_queue.id,
                         script_name="session-consumer", type="worker", dead_letter_queue="sessions-dlq",
                         settings=cloudflare.QueueConsumerSettingsArgs(batch_size=100, max_concurrency=10,
                                                                       max_wait_time_ms=5000,
                                                                       max_retries=CLOUDFLARE_MAX_RETRIES))
exec(EXTRA)
