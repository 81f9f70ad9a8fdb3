"""Two mends to moto's SQS model, applied wherever the tests run moto (in-process and as a server).

- ReceiveMessage re-reads every queue attribute (an O(depth) scan) once per message it returns,
  only to check retention; `retention_check_without_attribute_scan` does the same arithmetic on
  the queue's retention field, so a receive costs what it costs on SQS instead of growing with
  the queue.
- DeleteMessage rebuilds the queue's message list without the lock SendMessage appends under,
  so a message sent while another is being deleted can vanish (moto 5.2.5, `Queue.delete_message`;
  a `qcap load --drain` test lost 4 of 120 that way). `delete_under_the_queue_lock` holds that
  lock for the rebuild. SQS never drops an acknowledged send; the tests are about our code.

Nothing else in moto is changed.
"""

from __future__ import annotations

import functools

from moto.core.utils import unix_time
from moto.sqs.models import Queue, SQSBackend

_APPLIED_FLAG = "_qcap_mended"


def retention_check_without_attribute_scan(self, queue_name, message):
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > unix_time()


def delete_under_the_queue_lock(delete):
    @functools.wraps(delete)
    def locked(self, receipt_handle):
        with self._messages_lock:  # a Condition on an RLock: re-entrant, and what add_message holds
            return delete(self, receipt_handle)

    return locked


def apply() -> None:
    """Install both mends once per process (a second call changes nothing)."""
    if getattr(Queue, _APPLIED_FLAG, False):
        return
    SQSBackend.is_message_valid_based_on_retention_period = retention_check_without_attribute_scan
    Queue.delete_message = delete_under_the_queue_lock(Queue.delete_message)
    setattr(Queue, _APPLIED_FLAG, True)
