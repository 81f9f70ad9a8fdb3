"""End to end on one machine: moto, `qcap load`, workers, `qcap doctor` healthy; workers stopped, doctor says never.

Run from the repository root (takes about 5 minutes; everything on 127.0.0.1, stopped at the end):

    .venv/bin/python examples/worker/e2e_local.py [--stack dev] [--window-minutes 2]

1. Starts a moto server that also does what SQS does for CloudWatch: every 5 s it publishes
   each queue's NumberOfMessagesSent, NumberOfMessagesDeleted, ApproximateAgeOfOldestMessage
   and ApproximateNumberOfMessagesVisible (AWS/SQS, dimension QueueName) into moto's own
   CloudWatch, which `qcap doctor` reads. (Plain moto publishes nothing, so doctor would see
   no flow at all.)
2. Creates what `pulumi up` would for the stack's first SQS workload, with the plan's values:
   queue and DLQ with retention, visibility, redrive and the qcap tags; the ECS cluster and
   service (one running task); the scalable target and the backlog-per-task policy.
3. Starts one worker process (`python -m worker examples.worker.handler:handle`, a handler
   that takes the plan's processing time) with the environment the Fargate component sets.
4. Runs `qcap load` at the plan's average rate for the doctor's window, then `qcap doctor`:
   healthy (exit 0).
5. Sends SIGTERM to the worker (it exits within its stop timeout), sets the service in moto
   to 0 tasks, loads for another window, runs `qcap doctor` again: the backlog will not
   drain (exit 1, drain "never").
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from capacity.profile import Broker, ConsumerMode

ROOT = Path(__file__).resolve().parent.parent.parent
REGION = "us-east-1"
PUBLISH_SECONDS = 5

MOTO_WITH_SQS_METRICS = """
import sys, threading, time
from moto.core.utils import unix_time
from moto.sqs import models as sqs_models
from moto.sqs.models import SQSBackend, sqs_backends
from moto.cloudwatch.models import cloudwatch_backends

PERIOD = float(sys.argv[2])
counts = {}
lock = threading.Lock()

sys.path.insert(0, sys.argv[3])  # tests/moto_fixes.py: a receive without a per-message scan, a delete that drops no send
import moto_fixes
moto_fixes.apply()

def counting(name, key, size):
    original = getattr(SQSBackend, name)
    def wrapper(self, queue_name, *args, **kwargs):
        result = original(self, queue_name, *args, **kwargs)
        with lock:
            c = counts.setdefault((self.account_id, self.region_name, queue_name), {"sent": 0, "deleted": 0})
            c[key] += size(result, args, kwargs)
        return result
    setattr(SQSBackend, name, wrapper)

# The batch calls go through these one message at a time.
counting("send_message", "sent", lambda r, a, k: 1)
counting("delete_message", "deleted", lambda r, a, k: 1)

def publish():
    while True:
        time.sleep(PERIOD)
        for account, regions in list(sqs_backends.items()):
            for region, backend in list(regions.items()):
                for name, queue in list(backend.queues.items()):
                    with lock:
                        c = counts.pop((account, region, name), {"sent": 0, "deleted": 0})
                    visible = [m for m in queue._messages if m.visible and not m.delayed]
                    oldest = min((m.sent_timestamp for m in queue._messages), default=None)
                    age = 0.0 if oldest is None else max(0.0, unix_time() - oldest / 1000)
                    data = [("NumberOfMessagesSent", c["sent"]), ("NumberOfMessagesDeleted", c["deleted"]),
                            ("ApproximateAgeOfOldestMessage", age),
                            ("ApproximateNumberOfMessagesVisible", len(visible))]
                    cloudwatch_backends[account][region].put_metric_data("AWS/SQS", [
                        {"MetricName": metric, "Value": value, "Unit": "Count",
                         "Dimensions": [{"Name": "QueueName", "Value": name}]} for metric, value in data])

threading.Thread(target=publish, daemon=True).start()
from moto.server import main
sys.exit(main(["-H", "127.0.0.1", "-p", sys.argv[1]]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(text: str) -> None:
    print(f"\n=== {time.strftime('%H:%M:%S')} {text}", flush=True)


def deploy(stack: str, plan, endpoint: str) -> str:
    """What the components create for one SQS service workload, with the plan's values."""
    import boto3

    from components.tags import workload_tags

    def client(service: str):
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION)

    sqs, ecs, aas = client("sqs"), client("ecs"), client("application-autoscaling")
    base = f"qcap-{stack}-{plan.name}"
    dlq_url = sqs.create_queue(QueueName=f"{base}-dlq",
                               Attributes={"MessageRetentionPeriod": str(plan.dlq_retention_seconds)},
                               tags=workload_tags(plan, stack, "dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=base, Attributes={
        "MessageRetentionPeriod": str(plan.retention_seconds),
        "VisibilityTimeout": str(plan.visibility_timeout_seconds),
        "MaximumMessageSize": str(plan.max_message_bytes),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": plan.max_receive_count}),
    }, tags=workload_tags(plan, stack, "queue"))["QueueUrl"]
    cluster = f"qcap-{stack}"
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family=f"qcap-{stack}-{plan.name}", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu=str(plan.task_cpu), memory=str(plan.task_memory_mib),
        containerDefinitions=[{"name": "consumer", "image": plan.image or "consumer", "memory": plan.task_memory_mib}])
    ecs.create_service(cluster=cluster, serviceName=plan.name, taskDefinition=f"qcap-{stack}-{plan.name}",
                       desiredCount=1, launchType="FARGATE")
    ecs.update_service(cluster=cluster, service=plan.name, desiredCount=1)  # moto: running = desired
    resource = f"service/{cluster}/{plan.name}"
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource,
                                 ScalableDimension="ecs:service:DesiredCount",
                                 MinCapacity=plan.min_capacity, MaxCapacity=plan.max_capacity)
    queue_metric = {"Namespace": "AWS/SQS", "Dimensions": [{"Name": "QueueName", "Value": base}]}
    aas.put_scaling_policy(
        PolicyName=f"qcap-{stack}-{plan.name}-backlog-per-task", ServiceNamespace="ecs", ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": plan.scaling.target_backlog_per_task,
            "CustomizedMetricSpecification": {"Metrics": [
                {"Id": "visible", "ReturnData": False, "MetricStat": {
                    "Metric": {**queue_metric, "MetricName": "ApproximateNumberOfMessagesVisible"}, "Stat": "Average"}},
                {"Id": "inflight", "ReturnData": False, "MetricStat": {
                    "Metric": {**queue_metric, "MetricName": "ApproximateNumberOfMessagesNotVisible"},
                    "Stat": "Average"}},
                {"Id": "tasks", "ReturnData": False, "MetricStat": {"Metric": {
                    "Namespace": "ECS/ContainerInsights", "MetricName": "RunningTaskCount",
                    "Dimensions": [{"Name": "ClusterName", "Value": cluster},
                                   {"Name": "ServiceName", "Value": plan.name}]}, "Stat": "Average"}},
                {"Id": "backlogpertask", "Expression": "(visible + inflight) / tasks", "ReturnData": True},
            ]},
            "ScaleOutCooldown": plan.scaling.scale_out_cooldown_seconds,
            "ScaleInCooldown": plan.scaling.scale_in_cooldown_seconds,
        })
    return url


def qcap(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "qcap", *args]
    print("$ qcap " + " ".join(args), flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    print(done.stdout + done.stderr, flush=True)
    print(f"(exit {done.returncode})", flush=True)
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--window-minutes", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from capacity.plan import plan as make_plan
    from capacity.profile import load_profile, resolve_stack
    from components.fargate_consumer import worker_environment

    stack_plan = make_plan(load_profile(resolve_stack(args.stack)))
    workload = next(w for w in stack_plan.workloads if w.broker == Broker.sqs and w.mode == ConsumerMode.service)
    window_seconds = args.window_minutes * 60
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_"))}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, PYTHONPATH=str(ROOT), COLUMNS="200")
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
    server = subprocess.Popen([sys.executable, "-c", MOTO_WITH_SQS_METRICS, str(port), str(PUBLISH_SECONDS),
                               str(ROOT / "tests")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        say(f"moto on {endpoint}; deploying {args.stack}/{workload.name} with the plan's values")
        url = deploy(args.stack, workload, endpoint)
        print(f"queue {url}: c = {workload.concurrency_per_task}, t = {workload.processing_seconds} s, "
              f"visibility {workload.visibility_timeout_seconds} s, max receives {workload.max_receive_count}, "
              f"stop timeout {workload.service.stop_timeout_seconds} s; average inflow "
              f"{workload.arrival_average_per_second:.3f} msg/s, peak {workload.arrival_peak_per_second:.3f}")
        worker_env = {**env, **worker_environment(workload, args.stack, REGION), "QUEUE_URL": url,
                      "RECEIVERS": "1", "HANDLER_SECONDS": str(workload.processing_seconds)}
        worker_env["AWS_REGION"] = REGION
        say("starting one worker: python -m worker examples.worker.e2e_handler:handle")
        worker = subprocess.Popen([sys.executable, "-m", "worker", "examples.worker.e2e_handler:handle"], cwd=ROOT,
                                  env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        rate = round(workload.arrival_average_per_second, 3)
        messages = max(10, int(rate * (window_seconds + 15)))
        say(f"phase 1: qcap load at {rate} msg/s for {window_seconds + 15} s with the worker running")
        qcap("load", "--queue-url", url, "--messages", str(messages), "--rate", str(rate), "--concurrency", "1",
             env=env, timeout=window_seconds + 120)
        time.sleep(PUBLISH_SECONDS + 1)
        first = qcap("doctor", args.stack, "--window-minutes", str(args.window_minutes), env=env, timeout=120)
        say("SIGTERM to the worker")
        sent = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        print(f"worker exited {worker.returncode} after {time.monotonic() - sent:.2f} s "
              f"(stop timeout {workload.service.stop_timeout_seconds} s); its last line:")
        print(output.strip().splitlines()[-1])
        worker = None
        import boto3

        ecs = boto3.client("ecs", endpoint_url=endpoint, region_name=REGION)
        ecs.update_service(cluster=f"qcap-{args.stack}", service=workload.name, desiredCount=0)
        print("the ECS service in moto set to 0 tasks, as a scale-in to zero would leave it")
        say(f"phase 2: qcap load at {rate} msg/s for {window_seconds + 15} s with no worker")
        # The queue may hold what the stopped worker released: sending on top of it is the point here.
        qcap("load", "--queue-url", url, "--messages", str(messages), "--rate", str(rate), "--concurrency", "1",
             "--allow-busy-queue", env=env, timeout=window_seconds + 120)
        time.sleep(PUBLISH_SECONDS + 1)
        second = qcap("doctor", args.stack, "--window-minutes", str(args.window_minutes), env=env, timeout=120)
        say(f"doctor exit codes: with the worker {first.returncode} (0 = healthy), "
            f"without {second.returncode} (1 = not healthy)")
        return 0 if (first.returncode, second.returncode) == (0, 1) else 1
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
