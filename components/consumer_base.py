"""What the service consumer (FargateConsumer) and the scheduled one share: cluster, checks, environment.

Both run the reference worker's task from a WorkloadPlan, so both take its environment from
`worker_environment`, the one builder of the variables capacity/contract.py declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from capacity import contract, limits
from capacity.fargate import fargate_size_problem
from capacity.plan import WorkloadPlan
from components.consumer_iam import SecretAccess
from components.consumer_task import ConsumerTask, TaskSpec, create_consumer_task
from components.tags import stack_tags

SQS_BROKERS = contract.SQS_BROKERS
CONSUMER_BROKERS = contract.CONSUMER_BROKERS


def cluster_name_from_arn(cluster_arn: str) -> str:
    """The cluster name at the end of an ECS cluster ARN (arn:aws:ecs:<region>:<acct>:cluster/<name>)."""
    if ":cluster/" not in cluster_arn:
        raise ValueError(f"{cluster_arn!r} is not an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)")
    return cluster_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ClusterRef:
    """An ECS cluster to run in: its ARN and name (Container Insights metrics use the name)."""

    arn: pulumi.Input[str]
    name: pulumi.Input[str]

    @staticmethod
    def from_arn(cluster_arn: str) -> ClusterRef:
        return ClusterRef(arn=cluster_arn, name=cluster_name_from_arn(cluster_arn))


def create_cluster(
    name: str, stack: str, environment: str, opts: pulumi.ResourceOptions | None = None
) -> ClusterRef:
    """The stack's ECS cluster `qcap-<stack>`, with Container Insights (the scaling metric needs it)."""
    cluster = aws.ecs.Cluster(
        name,
        name=f"qcap-{stack}",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        tags=stack_tags(stack, environment, "cluster"),
        opts=opts,
    )
    return ClusterRef(arn=cluster.arn, name=cluster.name)


def check_fargate_size(plan: WorkloadPlan) -> None:
    """Fail before creating anything when task_cpu / task_memory_mib is not a Fargate combination."""
    problem = fargate_size_problem(plan.task_cpu, plan.task_memory_mib)
    if problem:
        raise ValueError(f"workload {plan.name!r}: {problem}")


def worker_environment(plan: WorkloadPlan, stack: str, region: str,
                       queue_url: pulumi.Input[str] | None = None) -> dict[str, pulumi.Input[str]]:
    """The plain variables a consumer component sets for the reference worker, from the plan.

    What capacity/contract.py declares as set for the plan's mode and broker (secrets aside);
    `queue_url` is the SQS queue's, None for Redis.
    """
    environment: dict[str, pulumi.Input[str]] = {
        contract.QCAP_STACK.name: stack,
        contract.QCAP_WORKLOAD.name: plan.name,
        contract.AWS_REGION.name: region,
        contract.RECEIVE_BATCH.name: str(plan.receive_batch),
        contract.RECEIVE_WAIT_SECONDS.name: str(plan.receive_wait_seconds),
        contract.CONCURRENCY.name: str(plan.scheduled.max_concurrency if plan.scheduled else plan.concurrency_per_task),
        contract.VISIBILITY_TIMEOUT_SECONDS.name: str(plan.visibility_timeout_seconds),
        contract.MAX_RECEIVE_COUNT.name: str(plan.max_receive_count),
        contract.STOP_TIMEOUT_SECONDS.name: str(plan.service.stop_timeout_seconds if plan.service
                                                else limits.ECS_DEFAULT_STOP_TIMEOUT_SECONDS),
    }
    if plan.scheduled is not None:
        environment[contract.BATCH_LIMIT.name] = str(plan.scheduled.batch_limit)
        environment[contract.RUN_DEADLINE_SECONDS.name] = str(plan.scheduled.run_deadline_seconds)
    if queue_url is not None:
        environment[contract.QUEUE_URL.name] = queue_url
    environment[contract.METRIC_NAMESPACE.name] = contract.worker_namespace(plan.broker)
    if plan.broker == contract.REDIS:
        if plan.cache is not None:
            environment[contract.REDIS_POOL_SIZE.name] = str(plan.cache.pool_size_per_task)
    return environment


class ConsumerComponent(pulumi.ComponentResource):
    """A component running the consumer task: its cluster (given or new) and the task behind it."""

    cluster_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]

    def __init__(self, type_token: str, name: str, plan: WorkloadPlan, stack: str, cluster: ClusterRef | None,
                 opts: pulumi.ResourceOptions | None):
        super().__init__(type_token, name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        cluster = cluster or create_cluster(f"{name}-cluster", stack, plan.environment, self._child)
        self.cluster_arn = pulumi.Output.from_input(cluster.arn)
        self.cluster_name = pulumi.Output.from_input(cluster.name)

    def _create_task(self, name: str, plan: WorkloadPlan, stack: str, region: str,
                     queue_url: pulumi.Input[str] | None, environment: Mapping[str, pulumi.Input[str]],
                     secrets: Mapping[str, pulumi.Input[str]], statements: Sequence[Mapping[str, object]],
                     kms_key_arn: pulumi.Input[str] | None,
                     secret_access: SecretAccess | None = None) -> ConsumerTask:
        """The task with the worker's environment from the plan, overlaid by the caller's `environment`."""
        variables = {**worker_environment(plan, stack, region, queue_url), **environment}
        spec = TaskSpec(plan, stack, region, variables, dict(secrets), list(statements), kms_key_arn, secret_access)
        return create_consumer_task(self, name, spec)
