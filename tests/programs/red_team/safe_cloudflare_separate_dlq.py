"""A Cloudflare consumer with retries and its own dead-letter queue."""
import pulumi_cloudflare as cloudflare

EXPECTED = None
ACCOUNT = "0123456789abcdef0123456789abcdef"
queue = cloudflare.Queue("signups", account_id=ACCOUNT, queue_name="signups")
dlq = cloudflare.Queue("signups-dlq", account_id=ACCOUNT, queue_name="signups-dlq")
cloudflare.QueueConsumer("signups-consumer", account_id=ACCOUNT, queue_id=queue.queue_id, script_name="signups",
                         type="worker", dead_letter_queue=dlq.queue_name,
                         settings={"batch_size": 10, "max_retries": 5, "max_wait_time_ms": 2000})
