"""A Cloudflare queue whose consumer sets no dead-letter queue."""
import pulumi_cloudflare as cloudflare

EXPECTED = "cloudflare-queue-has-dlq"
ACCOUNT = "0123456789abcdef0123456789abcdef"
queue = cloudflare.Queue("views", account_id=ACCOUNT, queue_name="views")
cloudflare.QueueConsumer("views-consumer", account_id=ACCOUNT, queue_id=queue.queue_id, script_name="views",
                         type="worker", settings={"max_retries": 3})
