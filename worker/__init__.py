"""The reference consumer: an SQS or Redis worker that honours the plan's environment.

    from worker import Message, WorkerConfig, sqs_worker
    sqs_worker(handle, WorkerConfig.from_env()).run()

Imports boto3 and redis only (redis lazily), never pulumi or the rest of qcap; see
docs/workers.md.
"""

from worker.config import WorkerConfig, WorkerConfigError
from worker.engine import Counters, Engine, Message

__all__ = ["Counters", "Engine", "Message", "WorkerConfig", "WorkerConfigError", "sqs_worker", "redis_worker"]


def sqs_worker(*args, **kwargs):  # noqa: ANN002, ANN003 - thin lazy re-export
    from worker.sqs import sqs_worker as build

    return build(*args, **kwargs)


def redis_worker(*args, **kwargs):  # noqa: ANN002, ANN003 - thin lazy re-export
    from worker.redis_queue import redis_worker as build

    return build(*args, **kwargs)
