"""A raw pulumi_aws program with one resource of each of 54 common types, wired to each other's outputs.

tests/test_preview_common_types.py previews it with the offline engine. Each resource reads what
the provider computes for another (ARNs, ids, names, URLs) and the policy documents come from
get_policy_document, so a missing output or data source shows up as an error or a violation.
"""

import json

import pulumi
import pulumi_aws as aws

ACCOUNT = aws.get_caller_identity().account_id
REGION = aws.get_region().region
ZONES = aws.get_availability_zones(state="available").names
TAGS = {"qcap:environment": "dev", "team": "types"}


def assume(service: str) -> str:
    return aws.iam.get_policy_document(statements=[aws.iam.GetPolicyDocumentStatementArgs(
        actions=["sts:AssumeRole"],
        principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[service])])]).json


def allow(actions: list[str], resources: list) -> pulumi.Output:
    return pulumi.Output.all(*resources).apply(lambda arns: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": list(arns)}]}))


# --- network ----------------------------------------------------------------------------
vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS)
subnet_a = aws.ec2.Subnet("subnet-a", vpc_id=vpc.id, cidr_block="10.0.1.0/24", availability_zone=ZONES[0], tags=TAGS)
subnet_b = aws.ec2.Subnet("subnet-b", vpc_id=vpc.id, cidr_block="10.0.2.0/24", availability_zone=ZONES[1], tags=TAGS)
group = aws.ec2.SecurityGroup("sg", vpc_id=vpc.id, description="types", tags=TAGS)
aws.vpc.SecurityGroupIngressRule("sg-in", security_group_id=group.id, cidr_ipv4="10.0.0.0/16", ip_protocol="tcp",
                                 from_port=6379, to_port=6379)

# --- keys, secrets, parameters ----------------------------------------------------------
key = aws.kms.Key("key", description="types", enable_key_rotation=True, tags=TAGS)
aws.kms.Alias("key-alias", name="alias/qcap-types", target_key_id=key.key_id)
secret = aws.secretsmanager.Secret("secret", name="qcap-types-secret", kms_key_id=key.arn, tags=TAGS)
aws.secretsmanager.SecretVersion("secret-value", secret_id=secret.id, secret_string="not-a-real-secret")
aws.ssm.Parameter("parameter", name="/qcap/types/endpoint", type="String", value="https://example.com", tags=TAGS)

# --- queues and topics ------------------------------------------------------------------
dlq = aws.sqs.Queue("dlq", name="qcap-types-dlq", message_retention_seconds=1_209_600, kms_master_key_id=key.arn,
                    tags=TAGS)
queue = aws.sqs.Queue("queue", name="qcap-types", visibility_timeout_seconds=60, kms_master_key_id=key.arn,
                      tags=TAGS)
aws.sqs.RedrivePolicy("queue-redrive", queue_url=queue.url, redrive_policy=dlq.arn.apply(
    lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})))
aws.sqs.RedriveAllowPolicy("dlq-allow", queue_url=dlq.url, redrive_allow_policy=queue.arn.apply(
    lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})))
topic = aws.sns.Topic("topic", name="qcap-types-alerts", kms_master_key_id=key.arn, tags=TAGS)
aws.sns.TopicSubscription("topic-queue", topic=topic.arn, protocol="sqs", endpoint=queue.arn)
aws.sqs.QueuePolicy("queue-policy", queue_url=queue.url, policy=pulumi.Output.all(queue.arn, topic.arn).apply(
    lambda arns: aws.iam.get_policy_document(statements=[aws.iam.GetPolicyDocumentStatementArgs(
        actions=["sqs:SendMessage"], resources=[arns[0]],
        principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=["sns.amazonaws.com"])],
        conditions=[aws.iam.GetPolicyDocumentStatementConditionArgs(test="ArnEquals", variable="aws:SourceArn",
                                                                    values=[arns[1]])])]).json))
aws.sns.TopicPolicy("topic-policy", arn=topic.arn, policy=topic.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                            "Action": "sns:Publish", "Resource": arn}]})))
stream = aws.kinesis.Stream("stream", name="qcap-types", shard_count=1, encryption_type="KMS", kms_key_id=key.arn,
                            tags=TAGS)
table = aws.dynamodb.Table("table", name="qcap-types", billing_mode="PAY_PER_REQUEST", hash_key="id",
                           attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")], tags=TAGS)
bucket = aws.s3.Bucket("bucket", bucket="qcap-types-artifacts", tags=TAGS)
aws.s3.BucketPublicAccessBlock("bucket-private", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                               ignore_public_acls=True, restrict_public_buckets=True)
repository = aws.ecr.Repository("repository", name="qcap-types", image_tag_mutability="IMMUTABLE", tags=TAGS)

# --- identities -------------------------------------------------------------------------
role = aws.iam.Role("task-role", assume_role_policy=assume("ecs-tasks.amazonaws.com"), tags=TAGS)
read = aws.iam.Policy("queue-read", policy=allow(["sqs:ReceiveMessage", "sqs:DeleteMessage"], [queue.arn]), tags=TAGS)
aws.iam.RolePolicyAttachment("task-read", role=role.name, policy_arn=read.arn)
aws.iam.RolePolicy("task-inline", role=role.id, policy=allow(["dynamodb:GetItem"], [table.arn]))
profile = aws.iam.InstanceProfile("profile", role=role.name, tags=TAGS)
user = aws.iam.User("user", name="qcap-types-reader", tags=TAGS)
people = aws.iam.Group("group", name="qcap-types-readers")
aws.iam.GroupPolicyAttachment("group-read", group=people.name, policy_arn=read.arn)
aws.iam.UserPolicy("user-inline", user=user.name, policy=allow(["ssm:GetParameter"], [
    pulumi.Output.concat("arn:aws:ssm:", REGION, ":", ACCOUNT, ":parameter/qcap/types/*")]))
lambda_role = aws.iam.Role("lambda-role", assume_role_policy=assume("lambda.amazonaws.com"), tags=TAGS)
machine_role = aws.iam.Role("machine-role", assume_role_policy=assume("states.amazonaws.com"), tags=TAGS)
pipe_role = aws.iam.Role("pipe-role", assume_role_policy=assume("pipes.amazonaws.com"), tags=TAGS)

# --- compute ----------------------------------------------------------------------------
function = aws.lambda_.Function("function", role=lambda_role.arn, runtime="python3.12", handler="app.handler",
                                code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c):\n    return e\n")}),
                                timeout=30, tags=TAGS)
aws.lambda_.EventSourceMapping("function-queue", event_source_arn=queue.arn, function_name=function.arn, batch_size=10)
aws.lambda_.Permission("function-invoke", action="lambda:InvokeFunction", function=function.name,
                       principal="events.amazonaws.com")
logs = aws.cloudwatch.LogGroup("logs", name="/qcap/types", retention_in_days=0, kms_key_id=key.arn, tags=TAGS)
cluster = aws.ecs.Cluster("cluster", name="qcap-types",
                          settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")], tags=TAGS)
task = aws.ecs.TaskDefinition("task", family="qcap-types", cpu="256", memory="512", network_mode="awsvpc",
                              requires_compatibilities=["FARGATE"], task_role_arn=role.arn,
                              container_definitions=logs.name.apply(lambda name: json.dumps([{
                                  "name": "worker", "image": "public.ecr.aws/docker/library/python:3.12",
                                  "essential": True, "logConfiguration": {"logDriver": "awslogs", "options": {
                                      "awslogs-group": name, "awslogs-region": "us-east-1",
                                      "awslogs-stream-prefix": "worker"}}}])), tags=TAGS)
network = aws.ecs.ServiceNetworkConfigurationArgs(subnets=[subnet_a.id, subnet_b.id], security_groups=[group.id],
                                                  assign_public_ip=False)
service = aws.ecs.Service("service", name="qcap-types", cluster=cluster.arn, task_definition=task.arn,
                          desired_count=1, launch_type="FARGATE", network_configuration=network, tags=TAGS)
aws.ecs.TaskSet("task-set", cluster=cluster.id, service=service.id, task_definition=task.arn, launch_type="FARGATE",
                network_configuration=aws.ecs.TaskSetNetworkConfigurationArgs(
                    subnets=[subnet_a.id], security_groups=[group.id], assign_public_ip=False))
target = aws.appautoscaling.Target("scaling-target", min_capacity=1, max_capacity=4, scalable_dimension="ecs:service:DesiredCount",
                                   service_namespace="ecs", resource_id=pulumi.Output.concat(
                                       "service/", cluster.name, "/", service.name))
aws.appautoscaling.Policy("scaling-policy", policy_type="TargetTrackingScaling", resource_id=target.resource_id,
                          scalable_dimension=target.scalable_dimension, service_namespace=target.service_namespace,
                          target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                              target_value=60, predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                                  predefined_metric_type="ECSServiceAverageCPUUtilization")))
machine = aws.sfn.StateMachine("machine", name="qcap-types", role_arn=machine_role.arn, definition=function.arn.apply(
    lambda arn: json.dumps({"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": arn, "End": True}}})),
    tags=TAGS)

# --- events, APIs, schedules ------------------------------------------------------------
rule = aws.cloudwatch.EventRule("rule", name="qcap-types-hourly", schedule_expression="rate(1 hour)", tags=TAGS)
aws.cloudwatch.EventTarget("rule-function", rule=rule.name, arn=function.arn)
aws.pipes.Pipe("pipe", name="qcap-types", role_arn=pipe_role.arn, source=queue.arn, target=machine.arn, tags=TAGS)
aws.scheduler.Schedule("schedule", name="qcap-types", schedule_expression="rate(5 minutes)",
                       flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                       target=aws.scheduler.ScheduleTargetArgs(arn=queue.arn, role_arn=pipe_role.arn))
aws.apigateway.RestApi("rest-api", name="qcap-types", tags=TAGS)
aws.apigatewayv2.Api("http-api", name="qcap-types", protocol_type="HTTP", tags=TAGS)

# --- monitoring -------------------------------------------------------------------------
aws.cloudwatch.MetricAlarm("alarm", name="qcap-types-age", comparison_operator="GreaterThanThreshold",
                           evaluation_periods=3, metric_name="ApproximateAgeOfOldestMessage", namespace="AWS/SQS",
                           period=60, statistic="Maximum", threshold=300, dimensions={"QueueName": queue.name},
                           alarm_actions=[topic.arn], tags=TAGS)
aws.cloudwatch.Dashboard("dashboard", dashboard_name="qcap-types", dashboard_body=queue.name.apply(
    lambda name: json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
        "metrics": [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]], "region": "us-east-1"}}]})))

# --- caches and databases ---------------------------------------------------------------
cache_subnets = aws.elasticache.SubnetGroup("cache-subnets", name="qcap-types-cache",
                                            subnet_ids=[subnet_a.id, subnet_b.id], tags=TAGS)
aws.elasticache.ReplicationGroup("cache", replication_group_id="qcap-types", description="types", engine="redis",
                                 node_type="cache.t4g.small", num_cache_clusters=2, automatic_failover_enabled=True,
                                 subnet_group_name=cache_subnets.name, security_group_ids=[group.id],
                                 at_rest_encryption_enabled=True, transit_encryption_enabled=True, tags=TAGS)
memory_subnets = aws.memorydb.SubnetGroup("memorydb-subnets", name="qcap-types-memorydb",
                                          subnet_ids=[subnet_a.id, subnet_b.id], tags=TAGS)
aws.memorydb.Cluster("memorydb", name="qcap-types", node_type="db.t4g.small", acl_name="open-access",
                     subnet_group_name=memory_subnets.name, security_group_ids=[group.id], tls_enabled=True, tags=TAGS)
aws.rds.Instance("database", identifier="qcap-types", engine="postgres", instance_class="db.t4g.micro",
                 allocated_storage=20, username="qcap", manage_master_user_password=True, storage_encrypted=True,
                 kms_key_id=key.arn, skip_final_snapshot=True, tags=TAGS)

pulumi.export("functionInvokeArn", function.invoke_arn)
pulumi.export("instanceProfileArn", profile.arn)
pulumi.export("streamArn", stream.arn)
pulumi.export("repositoryUrl", repository.repository_url)
